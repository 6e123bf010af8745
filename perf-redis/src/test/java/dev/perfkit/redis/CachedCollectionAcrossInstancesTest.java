package dev.perfkit.redis;

import static com.mongodb.client.model.Filters.eq;
import static com.mongodb.client.model.Updates.inc;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.mongodb.client.MongoClient;
import com.mongodb.client.MongoClients;
import com.mongodb.client.MongoCollection;
import de.bwaldvogel.mongo.MongoServer;
import de.bwaldvogel.mongo.backend.memory.MemoryBackend;
import dev.perfkit.memory.MemoryPressureRegistry;
import dev.perfkit.mongo.CachedCollection;
import dev.perfkit.mongo.MongoPerf;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.bson.Document;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** Cached collections of two bot instances (two clients, two caches) over one MongoDB and one Redis. */
class CachedCollectionAcrossInstancesTest {
    private EmbeddedRedis redis;
    private MongoServer mongo;
    private final List<AutoCloseable> closing = new ArrayList<>();

    @BeforeEach
    void start() {
        redis = EmbeddedRedis.start();
        mongo = new MongoServer(new MemoryBackend());
        String uri = mongo.bindAndGetConnectionString();
        try (MongoClient seed = MongoClients.create(uri)) {
            MongoCollection<Document> accounts = seed.getDatabase("bank").getCollection("accounts");
            for (int user = 1; user <= 3; user++) {
                accounts.insertOne(
                        new Document("_id", user).append("user_id", user).append("balance", 100));
            }
        }
    }

    @AfterEach
    void stop() throws Exception {
        for (AutoCloseable resource : closing) {
            resource.close();
        }
        mongo.shutdownNow();
        redis.close();
    }

    private CachedCollection<Document> instance(SharedLevel.Invalidation mode) {
        RedisQueryCache cache = RedisQueryCache.builder()
                .redisUri(redis.uri())
                .name("bank")
                .invalidation(mode)
                .meterRegistry(new SimpleMeterRegistry())
                .pressureRegistry(MemoryPressureRegistry.create())
                .build();
        closing.add(cache);
        assertThat(cache.awaitRedis(Duration.ofSeconds(10))).isTrue();
        MongoClient client = MongoClients.create(mongo.getConnectionString());
        closing.add(client);
        return MongoPerf.cached(client.getDatabase("bank").getCollection("accounts"), Duration.ofMinutes(5), cache);
    }

    @ParameterizedTest
    @EnumSource(
            value = SharedLevel.Invalidation.class,
            names = {"TRACKING", "PUBSUB"})
    void aWriteThroughOneInstance_dropsTheCachedReadsOfEveryInstance(SharedLevel.Invalidation mode) {
        CachedCollection<Document> a = instance(mode);
        CachedCollection<Document> b = instance(mode);
        assertThat(b.find(eq("user_id", 1)).first().getInteger("balance")).isEqualTo(100); // cached in b
        assertThat(b.countDocuments(eq("balance", 100))).isEqualTo(3);

        Object unused = a.updateOne(eq("user_id", 1), inc("balance", 50));

        await().atMost(Duration.ofSeconds(5)).untilAsserted(() -> {
            assertThat(b.find(eq("user_id", 1)).first().getInteger("balance")).isEqualTo(150);
            assertThat(b.countDocuments(eq("balance", 100))).isEqualTo(2);
        });
        assertThat(a.find(eq("user_id", 1)).first().getInteger("balance")).isEqualTo(150);
    }

    @Test
    void readsRacingWritesOnAnotherInstance_neverStayStale() {
        CachedCollection<Document> a = instance(SharedLevel.Invalidation.AUTO);
        CachedCollection<Document> b = instance(SharedLevel.Invalidation.AUTO);
        for (int round = 1; round <= 50; round++) {
            int user = 1 + round % 3;
            Document before = b.find(eq("user_id", user)).first(); // b caches (or re-reads) the account
            Object unused = a.updateOne(eq("user_id", user), inc("balance", 1));
            int expected = before.getInteger("balance") + 1;
            await().atMost(Duration.ofSeconds(5)).untilAsserted(() -> assertThat(
                            b.find(eq("user_id", user)).first().getInteger("balance"))
                    .isEqualTo(expected));
        }
    }
}
