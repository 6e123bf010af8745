package dev.perfkit.bench;

import static com.mongodb.client.model.Filters.eq;

import com.mongodb.client.MongoClient;
import com.mongodb.client.MongoCollection;
import dev.perfkit.cache.caffeine.CaffeineQueryCache;
import dev.perfkit.memory.MemoryPressureRegistry;
import dev.perfkit.mongo.CachedCollection;
import dev.perfkit.mongo.MongoPerf;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Duration;
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
 * A bot's profile lookup, {@code find(eq("user_id", id))} on 1,000 users, straight to the embedded
 * MongoDB versus through a {@link CachedCollection} whose cache already holds the answers (a hit).
 *
 * <pre>
 * java -jar perf-bench/target/perfkit.jar jmh CachedFindBenchmark
 * </pre>
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
public class CachedFindBenchmark {
    static final int USERS = 1_000;

    /** Where the read goes. */
    public enum Way {
        /** The driver, every time. */
        UNCACHED,
        /** perf-mongo's cached collection, warmed up; the filter built with the driver's {@code Filters.eq}. */
        CACHED,
        /** The same, the filter a {@code Document} as in the Python seeds. */
        CACHED_DOCUMENT,
        /** The floor: a hit on the {@code CaffeineQueryCache} underneath, key already built. */
        QUERY_CACHE_HIT
    }

    @Param
    Way way;

    private EmbeddedMongo mongo;
    private MongoClient client;
    private MongoCollection<Document> users;
    private CachedCollection<Document> cached;
    private CaffeineQueryCache cache;
    private int next;
    private String[] keys;

    @Setup(Level.Trial)
    public void start() {
        mongo = EmbeddedMongo.startFromEnvironment();
        client = mongo.client(settings -> {});
        users = client.getDatabase("perfkit_bench").getCollection("users");
        users.drop();
        List<Document> documents = new ArrayList<>();
        for (int i = 0; i < USERS; i++) {
            documents.add(new Document("user_id", i).append("name", "user" + i).append("balance", i * 10));
        }
        users.insertMany(documents);
        cache = CaffeineQueryCache.builder()
                .name("bench-find")
                .maxSize(10_000)
                .meterRegistry(new SimpleMeterRegistry())
                .pressureRegistry(MemoryPressureRegistry.create())
                .build();
        cached = MongoPerf.cached(users, Duration.ofHours(1), cache);
        keys = new String[USERS];
        for (int i = 0; i < USERS; i++) {
            cached.find(eq("user_id", i)).toList();
            cached.find(new Document("user_id", i)).toList();
            keys[i] = "user:" + i;
            cache.set(keys[i], List.of(new Document("user_id", i)), Duration.ofHours(1));
        }
    }

    @Benchmark
    public Object find() {
        int id = next++ % USERS;
        return switch (way) {
            case UNCACHED -> users.find(eq("user_id", id)).into(new ArrayList<>());
            case CACHED -> cached.find(eq("user_id", id)).toList();
            case CACHED_DOCUMENT -> cached.find(new Document("user_id", id)).toList();
            case QUERY_CACHE_HIT -> cache.get(keys[id]);
        };
    }

    @TearDown(Level.Trial)
    public void stop() {
        cache.close();
        client.close();
        mongo.close();
    }
}
