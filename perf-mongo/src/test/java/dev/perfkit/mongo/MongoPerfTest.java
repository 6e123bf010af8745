package dev.perfkit.mongo;

import static com.mongodb.client.model.Filters.eq;
import static com.mongodb.client.model.Filters.gt;
import static com.mongodb.client.model.Sorts.descending;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.mongodb.MongoClientSettings;
import com.mongodb.MongoCommandException;
import com.mongodb.MongoSocketReadException;
import com.mongodb.MongoTimeoutException;
import com.mongodb.MongoWriteException;
import com.mongodb.ServerAddress;
import com.mongodb.client.MongoClient;
import com.mongodb.client.MongoCollection;
import com.mongodb.client.MongoDatabase;
import com.mongodb.connection.ConnectionPoolSettings;
import dev.perfkit.PerfConfig;
import dev.perfkit.PerformanceMode;
import dev.perfkit.db.MicrometerQueryProfiler;
import dev.perfkit.profile.OperationStats;
import io.micrometer.core.instrument.Tag;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.binder.mongodb.MongoMetricsCommandListener;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.CompletionException;
import java.util.concurrent.TimeUnit;
import org.bson.BsonDocument;
import org.bson.Document;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class MongoPerfTest {
    private final SimpleMeterRegistry meters = new SimpleMeterRegistry();
    private final MicrometerQueryProfiler profiler = MicrometerQueryProfiler.create(
            PerfConfig.builder().meterRegistry(new SimpleMeterRegistry()).build());
    private MongoClient client;
    private MongoCollection<Document> users;

    @BeforeEach
    void connect() {
        client = MongoTestSupport.client(settings -> MongoPerf.instrument(settings, () -> profiler, meters));
        users = MongoTestSupport.freshDatabase(client).getCollection("users");
    }

    @AfterEach
    void disconnect() {
        client.close();
    }

    @Test
    void instrument_recordsCommandsWithShapesCountsAndSort() {
        for (int i = 0; i < 5; i++) {
            users.insertOne(new Document("user_id", i).append("balance", i * 10));
        }
        users.find(eq("user_id", 3)).first();
        users.find(gt("balance", 5)).sort(descending("balance")).into(new ArrayList<>());
        users.countDocuments(eq("user_id", 1));
        users.updateOne(eq("user_id", 2), new Document("$set", new Document("x", 1)));

        await().untilAsserted(
                        () -> assertThat(profiler.getStats().totalQueries()).isGreaterThanOrEqualTo(9));
        List<OperationStats> operations = profiler.getStats().operations();
        assertThat(operations).anySatisfy(op -> {
            assertThat(op.collection()).isEqualTo("users");
            assertThat(op.operation()).isEqualTo("find");
            assertThat(op.count()).isEqualTo(2);
        });
        assertThat(operations).anySatisfy(op -> assertThat(op.operation()).isEqualTo("insert"));
        assertThat(operations).anySatisfy(op -> assertThat(op.operation()).isEqualTo("update"));
        assertThat(profiler.recommendIndexes())
                .anySatisfy(r -> assertThat(r.keys()).containsExactly(java.util.Map.entry("balance", -1)))
                .anySatisfy(r -> assertThat(r.keys().keySet()).containsExactly("user_id"));
        String everything = profiler.getStats() + " " + profiler.recommendIndexes();
        assertThat(everything).doesNotContain("balance\":5").doesNotContain("user_id\":3");
    }

    @Test
    void instrument_failedCommandsCountAsErrors() {
        users.insertOne(new Document("_id", 1));
        try {
            users.insertOne(new Document("_id", 1));
        } catch (MongoWriteException expected) {
            // a duplicate key
        }

        await().untilAsserted(() -> assertThat(profiler.getStats().operations()).anySatisfy(op -> {
            assertThat(op.operation()).isEqualTo("insert");
            assertThat(op.count()).isEqualTo(2);
        }));
    }

    @Test
    void instrument_publishesMicrometerAndPoolMeters() {
        users.find().first();

        assertThat(meters.find("mongodb.driver.commands").timers()).isNotEmpty();
        assertThat(meters.find("mongodb.driver.pool.size").gauges()).isNotEmpty();
        assertThat(meters.find("perfkit.mongo.pool.checkout.wait")
                        .tag("status", "success")
                        .timer())
                .isNotNull()
                .satisfies(timer -> assertThat(timer.count()).isPositive());
        assertThat(meters.find("perfkit.mongo.pool.checkout.wait")
                        .tag("status", "failed")
                        .timer())
                .isNotNull()
                .satisfies(timer -> assertThat(timer.count()).isZero());
        assertThat(meters.find("perfkit.mongo.pool.utilization").gauge()).isNotNull();
    }

    /**
     * perfkit's listener replaced Micrometer's MongoMetricsCommandListener (for its cost); a host's
     * dashboards must not notice: same timer, description, tags and counts for the same commands.
     */
    @Test
    void instrument_commandTimer_matchesMicrometersOwnListener() {
        SimpleMeterRegistry theirs = new SimpleMeterRegistry();
        String database = users.getNamespace().getDatabaseName();
        try (MongoClient micrometerClient = MongoTestSupport.client(
                settings -> settings.addCommandListener(new MongoMetricsCommandListener(theirs)))) {
            for (MongoDatabase db : List.of(client.getDatabase(database), micrometerClient.getDatabase(database))) {
                MongoCollection<Document> collection = db.getCollection("parity");
                collection.insertOne(new Document("_id", 1).append("n", 1));
                collection.find(eq("_id", 1)).first();
                collection.updateOne(eq("_id", 1), new Document("$inc", new Document("n", 1)));
                collection.countDocuments();
                collection.createIndex(new Document("n", 1));
                collection.deleteOne(eq("_id", 1));
                try {
                    db.runCommand(new Document("find", "parity").append("filter", "not a document"));
                } catch (MongoCommandException expected) {
                    // a failed command
                }
                collection.drop();
            }
        }

        Map<String, Long> ours = commandCounts(meters);
        assertThat(ours).isEqualTo(commandCounts(theirs)).containsKey("find/parity/FAILED");
        Timer oneOfOurs = meters.get("mongodb.driver.commands").timer();
        Timer oneOfTheirs = theirs.get("mongodb.driver.commands").timer();
        assertThat(oneOfOurs.getId().getDescription())
                .isEqualTo(oneOfTheirs.getId().getDescription());
        assertThat(oneOfOurs.getId().getTags().stream().map(Tag::getKey))
                .containsExactlyInAnyOrderElementsOf(
                        oneOfTheirs.getId().getTags().stream().map(Tag::getKey).toList());
    }

    /** command/collection/status -> count of the command timers on one database of this test. */
    private Map<String, Long> commandCounts(SimpleMeterRegistry registry) {
        Map<String, Long> counts = new TreeMap<>();
        registry.find("mongodb.driver.commands")
                .tag("database", users.getNamespace().getDatabaseName())
                .timers()
                .forEach(timer -> counts.merge(
                        timer.getId().getTag("command") + "/" + timer.getId().getTag("collection") + "/"
                                + timer.getId().getTag("status"),
                        timer.count(),
                        Long::sum));
        return counts;
    }

    @Test
    void instrument_slowQueriesKeepTheirResultSize_fastOnesAreNotCounted() {
        MicrometerQueryProfiler everythingSlow = MicrometerQueryProfiler.create(
                PerfConfig.builder().meterRegistry(new SimpleMeterRegistry()).build());
        everythingSlow.setSlowThreshold(Duration.ZERO);
        try (MongoClient slowClient = MongoTestSupport.client(
                settings -> MongoPerf.instrument(settings, () -> everythingSlow, new SimpleMeterRegistry()))) {
            MongoCollection<Document> collection = slowClient
                    .getDatabase(users.getNamespace().getDatabaseName())
                    .getCollection("sizes");
            collection.insertMany(List.of(new Document("g", 1), new Document("g", 1), new Document("g", 2)));
            collection.find(eq("g", 1)).into(new ArrayList<>());
            collection.updateMany(eq("g", 1), new Document("$set", new Document("seen", true)));

            assertThat(everythingSlow.getSlowQueries())
                    .anySatisfy(query -> {
                        assertThat(query.operation()).isEqualTo("find");
                        assertThat(query.resultSize()).isEqualTo(2);
                    })
                    .anySatisfy(query -> {
                        assertThat(query.operation()).isEqualTo("update");
                        assertThat(query.resultSize()).isEqualTo(2);
                    });
        } finally {
            everythingSlow.close();
        }
        assertThat(profiler.usesResultSize(1_000))
                .as("a query under the threshold leaves no trace of its size, so it is not counted")
                .isFalse();
        assertThat(profiler.usesResultSize(Duration.ofDays(1).toNanos())).isTrue();
    }

    @Test
    void twoInstrumentedClientsOfOneServer_oneRegistry_ownTheirPoolMeters() {
        users.find().first();
        MongoClient second =
                MongoTestSupport.client(settings -> MongoPerf.instrument(settings, () -> profiler, meters));
        second.getDatabase(users.getNamespace().getDatabaseName())
                .getCollection("users")
                .find()
                .first();

        assertThat(meters.find("perfkit.mongo.pool.utilization").gauges()).hasSize(2);
        second.close();

        assertThat(meters.find("perfkit.mongo.pool.utilization").gauges())
                .as("closing one client leaves the other's gauge")
                .hasSize(1);
    }

    @Test
    void instrument_commandTimers_capTheCollectionTag() {
        MongoDatabase db = client.getDatabase(users.getNamespace().getDatabaseName());
        for (int i = 0; i < ProfilingCommandListener.MAX_TAGGED_COLLECTIONS + 50; i++) {
            db.getCollection("guild_" + i).find().first();
        }

        Set<String> collections = new HashSet<>();
        meters.find("mongodb.driver.commands")
                .timers()
                .forEach(t -> collections.add(t.getId().getTag("collection")));
        assertThat(collections)
                .hasSizeLessThanOrEqualTo(ProfilingCommandListener.MAX_TAGGED_COLLECTIONS + 1)
                .contains("other");
        assertThat(meters.get("mongodb.driver.commands")
                        .tag("collection", "other")
                        .tag("command", "find")
                        .tag("status", "SUCCESS")
                        .timer()
                        .count())
                .isPositive();
    }

    @Test
    void instrument_commandTimers_capTheDatabaseTag() {
        String base = users.getNamespace().getDatabaseName();
        for (int i = 0; i < ProfilingCommandListener.MAX_TAGGED_DATABASES + 40; i++) {
            client.getDatabase(base + "_guild_" + i)
                    .getCollection("settings")
                    .find()
                    .first();
        }

        Set<String> databases = new HashSet<>();
        meters.find("mongodb.driver.commands")
                .timers()
                .forEach(t -> databases.add(t.getId().getTag("database")));
        assertThat(databases)
                .hasSizeLessThanOrEqualTo(ProfilingCommandListener.MAX_TAGGED_DATABASES + 1)
                .contains("other");
        assertThat(meters.get("mongodb.driver.commands")
                        .tag("database", "other")
                        .tag("command", "find")
                        .timer()
                        .count())
                .as("commands past the cap are still timed")
                .isGreaterThanOrEqualTo(40);
    }

    @Test
    void listener_boundsItsInFlightState_andIgnoresUnknownCommands() {
        ProfilingCommandListener listener = new ProfilingCommandListener(() -> profiler, null);
        for (int i = 0; i < ProfilingCommandListener.MAX_IN_FLIGHT + 500; i++) {
            listener.commandStarted(new com.mongodb.event.CommandStartedEvent(
                    null, 1, i, null, "db", "find", BsonDocument.parse("{find: 'c', filter: {a: 1}}")));
        }
        listener.commandStarted(new com.mongodb.event.CommandStartedEvent(
                null, 1, -1, null, "admin", "hello", BsonDocument.parse("{hello: 1}")));

        assertThat(listener.inFlightCount()).isEqualTo(ProfilingCommandListener.MAX_IN_FLIGHT);
    }

    @Test
    void poolSettings_applyTheModePreset() {
        for (PerformanceMode mode : PerformanceMode.values()) {
            MongoClientSettings settings =
                    MongoPerf.poolSettings(MongoClientSettings.builder(), mode).build();
            ConnectionPoolSettings pool = settings.getConnectionPoolSettings();
            PoolPreset preset = MongoPerf.poolPreset(mode);

            assertThat(pool.getMaxSize()).isEqualTo(preset.maxSize());
            assertThat(pool.getMinSize()).isEqualTo(preset.minSize());
            assertThat(pool.getMaxConnecting()).isEqualTo(preset.maxConnecting());
            assertThat(pool.getMaxConnectionIdleTime(TimeUnit.SECONDS))
                    .isEqualTo(preset.maxIdleTime().toSeconds());
            assertThat(pool.getMaxWaitTime(TimeUnit.SECONDS))
                    .isEqualTo(preset.maxWaitTime().toSeconds());
        }
        assertThat(MongoPerf.poolPreset(PerformanceMode.HIGH).maxSize())
                .isGreaterThan(MongoPerf.poolPreset(PerformanceMode.LOW).maxSize());
    }

    @Test
    void retryPolicy_transientVersusPermanent() {
        ServerAddress address = new ServerAddress();
        assertThat(MongoRetryPolicy.isTransient(new MongoSocketReadException("reset", address)))
                .isTrue();
        assertThat(MongoRetryPolicy.isTransient(new MongoTimeoutException("no server")))
                .isTrue();
        assertThat(MongoRetryPolicy.isTransient(new CompletionException(new MongoTimeoutException("x"))))
                .isTrue();
        assertThat(MongoRetryPolicy.isTransient(new MongoCommandException(
                        BsonDocument.parse("{ok: 0, code: 91, errmsg: 'shutting down'}"), address)))
                .isTrue();
        MongoCommandException labelled = new MongoCommandException(
                BsonDocument.parse("{ok: 0, code: 1, errmsg: 'x', errorLabels: ['RetryableWriteError']}"), address);
        assertThat(MongoRetryPolicy.isTransient(labelled)).isTrue();
        assertThat(MongoRetryPolicy.isTransient(new MongoCommandException(
                        BsonDocument.parse("{ok: 0, code: 11000, errmsg: 'duplicate key'}"), address)))
                .isFalse();
        assertThat(MongoRetryPolicy.isTransient(new IllegalArgumentException())).isFalse();
        assertThat(MongoPerf.isTransient(new MongoTimeoutException("x"))).isTrue();
    }

    @Test
    void instrument_badInput() {
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> MongoPerf.instrument(null, () -> profiler, meters))
                .hasMessage("settings");
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> MongoPerf.cached(null, Duration.ofSeconds(1), null))
                .isInstanceOf(NullPointerException.class);
    }
}
