package dev.perfkit.bench;

import static com.mongodb.client.model.Filters.eq;

import com.mongodb.client.MongoClient;
import com.mongodb.client.MongoCollection;
import dev.perfkit.PerfConfig;
import dev.perfkit.db.MicrometerQueryProfiler;
import dev.perfkit.mongo.MongoPerf;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.bson.Document;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
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
 * What {@code MongoPerf.instrument} costs on a {@code findOne} against the embedded MongoDB: a
 * plain client, one with a do-nothing command listener (the driver's own cost of any listener),
 * and one with perfkit's command listener and the pool listeners. Separate scores on this shared
 * machine carry a wide error; {@code perfkit perf-test} measures the same overhead as the median of
 * paired, alternated rounds, which is the figure to quote.
 *
 * <pre>
 * java -jar perf-bench/target/perfkit.jar jmh InstrumentationBenchmark
 * </pre>
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 8, time = 1)
@Fork(2)
public class InstrumentationBenchmark {

    /** The client under test. */
    public enum Client {
        /** No listeners. */
        PLAIN,
        /**
         * A command listener that does nothing: what the driver itself does for any listener
         * (builds an event and a view of the command and reply per command), the floor under
         * {@code INSTRUMENTED}.
         */
        NOOP_LISTENER,
        /** {@code MongoPerf.instrument(settings)}. */
        INSTRUMENTED
    }

    @Param
    Client clientKind;

    private EmbeddedMongo mongo;
    private MongoClient client;
    private MongoCollection<Document> users;
    private MicrometerQueryProfiler profiler;
    private int next;

    @Setup(Level.Trial)
    public void start() {
        // one server thread for every connection, as in perf-test: see EmbeddedMongo.startForComparison
        mongo = EmbeddedMongo.startForComparison(System.getenv("PERF_MONGO_URI"));
        profiler = MicrometerQueryProfiler.create(
                PerfConfig.builder().meterRegistry(new SimpleMeterRegistry()).build());
        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        client = mongo.client(settings -> {
            switch (clientKind) {
                case PLAIN -> {}
                case NOOP_LISTENER -> settings.addCommandListener(new com.mongodb.event.CommandListener() {});
                case INSTRUMENTED -> MongoPerf.instrument(settings, () -> profiler, registry);
            }
        });
        users = client.getDatabase("perfkit_bench").getCollection("instrumented_users");
        users.drop();
        List<Document> documents = new ArrayList<>();
        for (int i = 0; i < 1_000; i++) {
            documents.add(new Document("user_id", i).append("name", "user" + i));
        }
        users.insertMany(documents);
    }

    @Benchmark
    public Document findOne() {
        return users.find(eq("user_id", next++ % 1_000)).first();
    }

    @TearDown(Level.Trial)
    public void stop() {
        client.close();
        mongo.close();
    }
}
