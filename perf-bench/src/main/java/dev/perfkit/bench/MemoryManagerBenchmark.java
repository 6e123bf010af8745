package dev.perfkit.bench;

import dev.perfkit.PerfConfig;
import dev.perfkit.memory.MemoryPressureRegistry;
import dev.perfkit.memory.MemorySnapshot;
import dev.perfkit.memory.oshi.OshiMemoryManager;
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
 * The costs of {@link OshiMemoryManager} on the paths a bot calls per request: {@code
 * getMemoryUsage()} with the reading cached (the default) and uncached (a fresh OSHI read each
 * time), {@code trackObject}, and {@code snapshot()}.
 *
 * <pre>
 * mvn -B -q install -DskipTests
 * java -jar perf-bench/target/perfkit.jar jmh MemoryManagerBenchmark -prof gc
 * </pre>
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
public class MemoryManagerBenchmark {
    /**
     * The cap on tracked objects. At 100,000 (the HIGH preset) the short-lived objects of this
     * benchmark fill the tracker between collections, so most calls take the sampled path; at
     * 10,000,000 nearly every call is tracked.
     */
    @Param({"100000", "10000000"})
    int trackCap;

    private OshiMemoryManager cached;
    private OshiMemoryManager uncached;
    private OshiMemoryManager tracking;

    @Setup
    public void setUp() {
        cached = manager(config().memoryReadCache(Duration.ofSeconds(1)).build());
        uncached = manager(config().memoryReadCache(Duration.ZERO).build());
        tracking = manager(config().maxTrackedObjects(trackCap).build());
    }

    private static PerfConfig.Builder config() {
        return PerfConfig.builder().meterRegistry(new SimpleMeterRegistry());
    }

    private static OshiMemoryManager manager(PerfConfig config) {
        return OshiMemoryManager.builder()
                .config(config)
                .pressureRegistry(MemoryPressureRegistry.create())
                .backgroundSampling(false)
                .build();
    }

    @Benchmark
    public double getMemoryUsageCached() {
        return cached.getMemoryUsage();
    }

    @Benchmark
    public double getMemoryUsageUncached() {
        return uncached.getMemoryUsage();
    }

    @Benchmark
    public void trackObject() {
        tracking.trackObject(new Object(), "session", Duration.ofMinutes(5));
    }

    @Benchmark
    public MemorySnapshot snapshot() {
        return cached.snapshot();
    }

    @TearDown
    public void tearDown() {
        cached.close();
        uncached.close();
        tracking.close();
    }
}
