package dev.perfkit.bench;

import dev.perfkit.profile.QueryShape;
import java.util.List;
import java.util.Map;
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
import org.openjdk.jmh.annotations.Warmup;

/**
 * The cost of computing a {@link QueryShape}, which the profiler pays per recorded query unless it
 * caches shapes.
 *
 * <pre>
 * mvn -B -q install -DskipTests
 * java -jar perf-bench/target/perfkit.jar jmh QueryShapeBenchmark -prof gc
 * </pre>
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
public class QueryShapeBenchmark {

    /** Query forms of growing complexity. */
    public enum Form {
        /** {@code {user_id: ?}} */
        POINT(Map.of("user_id", 123456789L)),
        /** Three fields: equality, equality, range. */
        THREE_FIELDS(Map.of("guild_id", 42L, "active", true, "balance", Map.of("$gte", 100))),
        /** A nested $or of $in and $elemMatch. */
        NESTED(Map.of(
                "$or",
                List.of(
                        Map.of("user_id", Map.of("$in", List.of(1, 2, 3, 4, 5))),
                        Map.of("items", Map.of("$elemMatch", Map.of("sku", "A-1", "qty", Map.of("$gt", 5))))),
                "guild_id",
                42L));

        final Map<String, ?> query;

        Form(Map<String, ?> query) {
            this.query = query;
        }
    }

    @Param
    Form form;

    private Map<String, ?> query;
    private final Map<String, Integer> sort = Map.of("balance", -1);

    @Setup
    public void setUp() {
        query = form.query;
    }

    @Benchmark
    public QueryShape shape() {
        return QueryShape.of(query, sort);
    }

    @Benchmark
    public String shapeString() {
        return QueryShape.of(query).shape();
    }
}
