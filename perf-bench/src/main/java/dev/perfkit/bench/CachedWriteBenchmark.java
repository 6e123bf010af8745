package dev.perfkit.bench;

import static com.mongodb.client.model.Filters.eq;
import static com.mongodb.client.model.Updates.inc;

import com.mongodb.client.MongoClient;
import com.mongodb.client.MongoCollection;
import com.mongodb.client.model.IndexOptions;
import com.mongodb.client.model.Indexes;
import dev.perfkit.cache.caffeine.CaffeineQueryCache;
import dev.perfkit.memory.MemoryPressureRegistry;
import dev.perfkit.mongo.CachedCollection;
import dev.perfkit.mongo.MongoPerf;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
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
 * A payment, {@code updateOne(eq("user_id", id), inc("balance", 1))}, straight to the embedded
 * MongoDB versus through a {@link CachedCollection} holding {@code cachedReads} cached balance reads:
 * what a write through the wrapper costs, and whether it grows with the reads cached (it should not:
 * the wrapper judges only the reads a write may affect).
 *
 * <pre>
 * java -jar perf-bench/target/perfkit.jar jmh CachedWriteBenchmark
 * </pre>
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
public class CachedWriteBenchmark {
    static final int USERS = 10_000;

    /** Where the write goes. */
    public enum Way {
        /** The driver. */
        PLAIN,
        /** perf-mongo's cached collection, with its reads cached. */
        CACHED
    }

    @Param
    Way way;

    /** How many members' balance reads are cached before the writes. */
    @Param({"100", "10000"})
    int cachedReads;

    private EmbeddedMongo mongo;
    private MongoClient client;
    private MongoCollection<Document> users;
    private CachedCollection<Document> cached;
    private CaffeineQueryCache cache;
    private final SplittableRandom random = new SplittableRandom(42);

    @Setup(Level.Trial)
    public void start() {
        mongo = EmbeddedMongo.startFromEnvironment();
        client = mongo.client(settings -> {});
        users = client.getDatabase("perfkit_bench").getCollection("payments");
        users.drop();
        users.createIndex(Indexes.ascending("user_id"), new IndexOptions().unique(true));
        List<Document> documents = new ArrayList<>();
        for (int i = 0; i < USERS; i++) {
            documents.add(new Document("user_id", i).append("guild_id", i % 50).append("balance", 0L));
        }
        users.insertMany(documents);
        cache = CaffeineQueryCache.builder()
                .name("bench-write")
                .maxSize(100_000)
                .meterRegistry(new SimpleMeterRegistry())
                .pressureRegistry(MemoryPressureRegistry.create())
                .build();
        cached = MongoPerf.cached(users, Duration.ofHours(1), cache);
        for (int i = 0; i < cachedReads; i++) {
            Object unused = cached.find(eq("user_id", USERS - 1 - i)).first();
        }
    }

    @Benchmark
    public Object pay() {
        int id = random.nextInt(USERS);
        return switch (way) {
            case PLAIN -> users.updateOne(eq("user_id", id), inc("balance", 1L));
            case CACHED -> cached.updateOne(eq("user_id", id), inc("balance", 1L));
        };
    }

    @TearDown(Level.Trial)
    public void stop() {
        cache.close();
        client.close();
        mongo.close();
    }
}
