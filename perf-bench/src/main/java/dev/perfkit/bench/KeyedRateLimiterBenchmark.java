package dev.perfkit.bench;

import dev.perfkit.async.bucket4j.Bucket4jRateLimiter;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * {@code tryAcquire} of a keyed rate limiter: on one hot key (the target is 200 ns or less), and
 * on a million cold keys, where each call finds (or creates) another key's bucket in a cache that
 * must also forget them.
 *
 * <pre>
 * mvn -B -q install -DskipTests
 * java -jar perf-bench/target/perfkit.jar jmh KeyedRateLimiterBenchmark -prof gc
 * </pre>
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
public class KeyedRateLimiterBenchmark {
    /** Which keys are asked for. */
    public enum Keys {
        HOT,
        MILLION_COLD
    }

    @Param
    Keys keys;

    private Bucket4jRateLimiter limiter;
    private Long[] coldKeys;
    private int next;

    @Setup
    public void setUp() {
        limiter = Bucket4jRateLimiter.builder("bench", Integer.MAX_VALUE, Duration.ofMinutes(1))
                .maxKeys(1_000_000)
                .meterRegistry(new SimpleMeterRegistry())
                .build();
        coldKeys = new Long[1_000_000];
        for (int i = 0; i < coldKeys.length; i++) {
            coldKeys[i] = (long) i;
        }
    }

    @Benchmark
    public boolean tryAcquire() {
        if (keys == Keys.HOT) {
            return limiter.tryAcquire(7L);
        }
        Long key = coldKeys[next];
        next = next + 1 == coldKeys.length ? 0 : next + 1;
        return limiter.tryAcquire(key);
    }

    @TearDown
    public void tearDown() {
        limiter.close();
    }
}
