package dev.perfkit.bench;

import com.mongodb.client.MongoClient;
import com.mongodb.client.MongoCollection;
import com.mongodb.client.model.InsertOneModel;
import dev.perfkit.PerfConfig;
import dev.perfkit.mongo.MongoBatchWriter;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.bson.Document;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * Writes per second on the embedded MongoDB: 1,000 inserts one by one ({@code insertOne} each)
 * versus through a {@link MongoBatchWriter} (batches of 100 or 1,000, then a flush that waits until
 * every write landed). The embedded server runs in-process, so a round trip costs far less than
 * over a network: the ratio here is a floor.
 *
 * <pre>
 * java -jar perf-bench/target/perfkit.jar jmh MongoWriteBenchmark
 * </pre>
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 2, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(1)
public class MongoWriteBenchmark {
    static final int WRITES = 1_000;

    /** How the writes are made. */
    public enum Way {
        /** One {@code insertOne} round trip per document. */
        ONE_BY_ONE,
        /** perf-mongo's batch writer. */
        BATCH_WRITER
    }

    @Param
    Way way;

    /** Operations per bulk write of the batch writer. */
    @Param({"100", "1000"})
    int batchSize;

    private EmbeddedMongo mongo;
    private MongoClient client;
    private MongoCollection<Document> events;
    private MongoBatchWriter<Document> writer;
    private long next;

    @Setup(Level.Trial)
    public void start() {
        mongo = EmbeddedMongo.startFromEnvironment();
        client = mongo.client(settings -> {});
        events = client.getDatabase("perfkit_bench").getCollection("events");
        events.drop();
        writer = MongoBatchWriter.create(
                events,
                PerfConfig.builder().meterRegistry(new SimpleMeterRegistry()).build(),
                b -> b.batchSize(batchSize).maxDelay(Duration.ofMillis(5)).maxPending(10_000),
                (models, cause) -> {
                    throw new IllegalStateException("benchmark write failed", cause);
                });
    }

    /** Both ways write into an empty collection each iteration, so its growth does not skew them. */
    @Setup(Level.Iteration)
    public void emptyTheCollection() {
        events.drop();
    }

    @Benchmark
    @OperationsPerInvocation(WRITES)
    public void write() {
        if (way == Way.ONE_BY_ONE) {
            for (int i = 0; i < WRITES; i++) {
                events.insertOne(new Document("_id", next++).append("kind", "tick"));
            }
        } else {
            for (int i = 0; i < WRITES; i++) {
                writer.add(new InsertOneModel<>(new Document("_id", next++).append("kind", "tick")));
            }
            writer.flush().join();
        }
    }

    @TearDown(Level.Trial)
    public void stop() {
        writer.close();
        client.close();
        mongo.close();
    }
}
