package dev.perfkit.bench;

import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * One Prometheus scrape of every perfkit meter of a busy bot ({@link MonitoredRegistry}); target
 * ≤ 5 ms.
 *
 * <pre>
 * java -jar perf-bench/target/perfkit.jar jmh MonitorScrapeBenchmark
 * </pre>
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
public class MonitorScrapeBenchmark {
    private MonitoredRegistry registry;

    @Setup
    public void setUp() {
        registry = new MonitoredRegistry();
    }

    @Benchmark
    public String scrape() {
        return registry.scrape();
    }

    @TearDown
    public void tearDown() {
        registry.close();
    }
}
