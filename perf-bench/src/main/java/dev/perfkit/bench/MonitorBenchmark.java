package dev.perfkit.bench;

import dev.perfkit.PerfConfig;
import dev.perfkit.monitor.micrometer.MicrometerPerfMonitor;
import io.micrometer.core.instrument.Timer;
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
 * The request monitor's hot path: {@code recordRequestNanos} over eight request names (target
 * ≤ 150 ns, 0 B/op), against the baseline it is built on, one Micrometer {@code Timer} with the same
 * client-side percentiles ({@code way=timer}).
 *
 * <pre>
 * java -jar perf-bench/target/perfkit.jar jmh MonitorBenchmark -prof gc
 * java -jar perf-bench/target/perfkit.jar jmh MonitorBenchmark -t 2 -prof gc
 * </pre>
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
public class MonitorBenchmark {
    /** {@code monitor}: perfkit's recordRequestNanos; {@code timer}: one bare Micrometer timer. */
    @Param({"monitor", "timer"})
    public String way;

    private static final String[] NAMES = {
        "balance", "transfer", "daily", "leaderboard", "profile", "shop", "work", "help"
    };

    private MicrometerPerfMonitor monitor;
    private Timer timer;

    @Setup
    public void setUp() {
        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        monitor = MicrometerPerfMonitor.builder(PerfConfig.builder()
                        .meterRegistry(registry)
                        .performanceMonitoringEnabled(false)
                        .build())
                .build();
        timer = Timer.builder("baseline")
                .publishPercentiles(0.5, 0.95, 0.99)
                .percentilePrecision(2)
                .distributionStatisticExpiry(Duration.ofSeconds(60))
                .distributionStatisticBufferLength(3)
                .register(registry);
    }

    /** Per-thread position in the name list and a varying duration. */
    @State(Scope.Thread)
    public static class Calls {
        int next;

        int next() {
            next = (next + 1) & 7;
            return next;
        }
    }

    @Benchmark
    public void record(Calls calls) {
        int i = calls.next();
        long nanos = 100_000L + i * 37_000L;
        if (way.equals("monitor")) {
            monitor.recordRequestNanos(NAMES[i], nanos, i != 7);
        } else {
            timer.record(nanos, TimeUnit.NANOSECONDS);
        }
    }

    @TearDown
    public void tearDown() {
        monitor.close();
    }
}
