package dev.perfkit.bench;

import dev.perfkit.mongo.MongoQueryOptimizer;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.bson.Document;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * {@code MongoQueryOptimizer.optimizeQuery} on the seed's query: an {@code $or} of three {@code
 * user_id} equalities next to {@code active: true}.
 *
 * <pre>
 * java -jar perf-bench/target/perfkit.jar jmh MongoQueryOptimizerBenchmark -prof gc
 * </pre>
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
public class MongoQueryOptimizerBenchmark {
    private final Document seedQuery = new Document(
                    "$or",
                    List.of(
                            new Document("user_id", "123"),
                            new Document("user_id", "456"),
                            new Document("user_id", "789")))
            .append("active", true);

    @Benchmark
    public Document optimizeQuery() {
        return MongoQueryOptimizer.optimizeQuery(seedQuery);
    }
}
