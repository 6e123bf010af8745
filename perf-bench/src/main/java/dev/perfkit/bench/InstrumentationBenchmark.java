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
 * plain client versus one with perfkit's profiler listener and Micrometer's command and pool
 * listeners.
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
        mongo = EmbeddedMongo.startFromEnvironment();
        profiler = MicrometerQueryProfiler.create(
                PerfConfig.builder().meterRegistry(new SimpleMeterRegistry()).build());
        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        client = mongo.client(settings -> {
            if (clientKind == Client.INSTRUMENTED) {
                MongoPerf.instrument(settings, () -> profiler, registry);
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
