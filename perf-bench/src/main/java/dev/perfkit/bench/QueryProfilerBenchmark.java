package dev.perfkit.bench;

import dev.perfkit.PerfConfig;
import dev.perfkit.db.MicrometerQueryProfiler;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.bson.Document;
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
 * The cost of {@code recordQuery} on the profiler's hot path: a three-field query whose shape
 * repeats with changing values, recorded into a profiler publishing to a Micrometer registry.
 *
 * <pre>
 * mvn -B -q install -DskipTests
 * java -jar perf-bench/target/perfkit.jar jmh QueryProfilerBenchmark -t 1 -prof gc
 * java -jar perf-bench/target/perfkit.jar jmh QueryProfilerBenchmark -t 2 -prof gc
 * </pre>
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
public class QueryProfilerBenchmark {
    private MicrometerQueryProfiler profiler;
    private final Duration duration = Duration.ofMillis(3);
    private final Map<String, Object> sort = Map.of();

    @Setup
    public void setUp() {
        profiler = MicrometerQueryProfiler.create(
                PerfConfig.builder().meterRegistry(new SimpleMeterRegistry()).build());
    }

    /** Per-thread queries: the same structure, different values, as a bot issues them. */
    @State(Scope.Thread)
    public static class Queries {
        final Document[] queries = new Document[1024];
        int next;

        @Setup
        public void build() {
            for (int i = 0; i < queries.length; i++) {
                queries[i] = new Document("guild_id", 1_000L + i)
                        .append("active", i % 2 == 0)
                        .append("balance", new Document("$gte", i * 10));
            }
        }

        Document next() {
            next = (next + 1) & (queries.length - 1);
            return queries[next];
        }
    }

    @Benchmark
    public void recordQuery(Queries queries) {
        profiler.recordQuery("accounts", "find", queries.next(), sort, duration, true, 1);
    }

    @TearDown
    public void tearDown() {
        profiler.close();
    }
}
