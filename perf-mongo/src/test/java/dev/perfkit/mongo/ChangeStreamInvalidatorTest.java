package dev.perfkit.mongo;

import static com.mongodb.client.model.Filters.eq;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.mongodb.client.MongoClient;
import com.mongodb.client.MongoClients;
import com.mongodb.client.MongoCollection;
import com.mongodb.client.model.Updates;
import de.bwaldvogel.mongo.MongoServer;
import de.bwaldvogel.mongo.backend.memory.MemoryBackend;
import dev.perfkit.Concurrently;
import dev.perfkit.cache.caffeine.CaffeineQueryCache;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.bson.Document;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The change-stream listener against the embedded server with its oplog enabled (or the server of
 * {@code PERF_MONGO_URI}): writes made around the wrapper reach its cached reads once their events
 * are applied, precisely where the event names its document; a server without change streams is
 * reported, not failed on.
 */
class ChangeStreamInvalidatorTest {
    private static final boolean EMBEDDED = MongoTestSupport.embedded();

    static MongoClient client(AtomicInteger finds) {
        return MongoTestSupport.oplogClient(finds);
    }

    static void caughtUp(ChangeStreamInvalidator invalidator) {
        MongoTestSupport.caughtUp(invalidator);
    }

    // The fixture most tests share: a fresh collection of ten members on the server with change
    // streams, read through a cached collection whose client counts its finds.
    private final AtomicInteger finds = new AtomicInteger();
    private MongoClient client;
    private CaffeineQueryCache cache;
    private MongoCollection<Document> raw;
    private CachedCollection<Document> cached;

    @BeforeEach
    void connect() {
        client = client(finds);
        cache = MongoTestSupport.cache("streams");
        raw = MongoTestSupport.freshDatabase(client).getCollection("members");
        members(raw);
        cached = MongoPerf.cached(raw, Duration.ofMinutes(5), cache);
    }

    @AfterEach
    void disconnect() {
        cache.close();
        client.close();
    }

    private static void members(MongoCollection<Document> raw) {
        for (int id = 0; id < 10; id++) {
            raw.insertOne(new Document("_id", id).append("g", id % 2).append("balance", 100));
        }
    }

    @Test
    void serverWithoutChangeStreams_isReportedWithItsReason_andReadsStillWork() {
        MongoServer plain = new MongoServer(new MemoryBackend()); // no oplog: no change streams
        try (MongoClient client = MongoClients.create(plain.bindAndGetConnectionString());
                CaffeineQueryCache cache = MongoTestSupport.cache("no-streams")) {
            MongoCollection<Document> raw = client.getDatabase("plain").getCollection("members");
            members(raw);
            CachedCollection<Document> cached = MongoPerf.cached(raw, Duration.ofMinutes(5), cache);
            ChangeStreamInvalidator invalidator = cached.watchChanges();
            assertThat(invalidator.state()).isEqualTo(ChangeStreamInvalidator.State.UNAVAILABLE);
            assertThat(invalidator.unavailableReason()).hasValueSatisfying(reason -> assertThat(reason)
                    .contains("Change streams are not available for plain.members")
                    .contains("replica set")
                    .contains("once they expire"));
            assertThat(cached.find(eq("g", 1)).toList()).hasSize(5);
            invalidator.close();
            invalidator.close(); // twice is fine
            assertThat(invalidator.state()).isEqualTo(ChangeStreamInvalidator.State.CLOSED);
            assertThat(invalidator.unavailableReason()).isPresent();
        } finally {
            plain.shutdownNow();
        }
    }

    @Test
    void outsideInsertDeleteAndReplace_refreshOnlyTheReadsTheyCanChange() {
        try (ChangeStreamInvalidator invalidator = cached.watchChanges()) {
            assertThat(invalidator.state()).isEqualTo(ChangeStreamInvalidator.State.RUNNING);
            assertThat(invalidator.fullInvalidations()).isEqualTo(1); // opening drops what predates it
            List<Document> odd = cached.find(eq("g", 1)).toList();
            List<Document> even = cached.find(eq("g", 0)).toList();
            Document seven = cached.find(eq("_id", 7)).first();
            assertThat(odd).hasSize(5);
            int loads = finds.get();

            // An insert into group 1: only group 1's read can change.
            raw.insertOne(new Document("_id", 11).append("g", 1).append("balance", 5));
            caughtUp(invalidator);
            assertThat(cached.find(eq("g", 1)).toList()).hasSize(6);
            assertThat(cached.find(eq("g", 0)).toList()).isEqualTo(even);
            assertThat(cached.find(eq("_id", 7)).first()).isEqualTo(seven);
            assertThat(finds.get()).as("group 1 reloaded, the others kept").isEqualTo(loads + 1);

            // A delete of _id 4 (group 0): group 0's read holds it; _id 7's read cannot match it.
            raw.deleteOne(eq("_id", 4));
            caughtUp(invalidator);
            assertThat(cached.find(eq("g", 0)).toList()).hasSize(4);
            assertThat(cached.find(eq("_id", 7)).first()).isEqualTo(seven);
            assertThat(finds.get()).isEqualTo(loads + 2);

            // A replacement of _id 7: its read is dropped, and so is each group's (it may now match either).
            raw.replaceOne(eq("_id", 7), new Document("g", 0).append("balance", 1));
            caughtUp(invalidator);
            assertThat(cached.find(eq("_id", 7)).first()).containsEntry("balance", 1);
            assertThat(cached.find(eq("g", 0)).toList()).hasSize(5);
            assertThat(cached.find(eq("g", 1)).toList()).hasSize(5);
            assertThat(invalidator.eventsApplied()).isEqualTo(3);
            assertThat(invalidator.fullInvalidations()).isEqualTo(1);
        }
    }

    @Test
    void outsideUpdate_showsInCachedReads() {
        try (ChangeStreamInvalidator invalidator = cached.watchChanges()) {
            assertThat(cached.find(eq("_id", 3)).first()).containsEntry("balance", 100);
            long full = invalidator.fullInvalidations();
            raw.updateOne(eq("_id", 3), Updates.inc("balance", 50));
            caughtUp(invalidator);
            assertThat(cached.find(eq("_id", 3)).first()).containsEntry("balance", 150);
            if (EMBEDDED) {
                // The embedded server's update events do not name their document: all is dropped.
                assertThat(invalidator.fullInvalidations()).isEqualTo(full + 1);
            }
        }
    }

    @Test
    void outsideDrop_dropsEveryRead_andTheStreamGoesOn() {
        try (ChangeStreamInvalidator invalidator = cached.watchChanges()) {
            assertThat(cached.find(eq("_id", 1)).first()).isNotNull();
            long full = invalidator.fullInvalidations();
            raw.drop();
            caughtUp(invalidator);
            assertThat(invalidator.fullInvalidations()).isGreaterThan(full);
            assertThat(cached.find(eq("_id", 1)).first()).isNull();
            raw.insertOne(new Document("_id", 1).append("g", 1));
            caughtUp(invalidator);
            assertThat(cached.find(eq("_id", 1)).first()).containsEntry("g", 1);
            assertThat(invalidator.state()).isEqualTo(ChangeStreamInvalidator.State.RUNNING);
        }
    }

    @Test
    void closedListener_appliesNothingMore_andItsThreadEnds() {
        ChangeStreamInvalidator invalidator = cached.watchChanges();
        raw.insertOne(new Document("_id", 20).append("g", 0));
        caughtUp(invalidator);
        invalidator.close();
        assertThat(invalidator.state()).isEqualTo(ChangeStreamInvalidator.State.CLOSED);
        assertThat(invalidator.listening()).isFalse();
        long applied = invalidator.eventsApplied();
        assertThat(cached.find(eq("g", 0)).toList()).hasSize(6);
        raw.insertOne(new Document("_id", 21).append("g", 0));
        // Closed: the TTL is the bound again, so the cached read stays as it was.
        assertThat(cached.find(eq("g", 0)).toList()).hasSize(6);
        assertThat(invalidator.eventsApplied()).isEqualTo(applied);
    }

    @Test
    void closeRacingTheListener_alwaysEndsIt() throws Exception {
        Thread writer = new Thread(() -> {
            for (int i = 0; i < 2_000 && !Thread.currentThread().isInterrupted(); i++) {
                raw.insertOne(new Document("_id", 1_000 + i).append("g", i % 2));
            }
        });
        writer.start();
        try {
            for (int round = 0; round < 20; round++) {
                ChangeStreamInvalidator invalidator = cached.watchChanges();
                assertThat(cached.find(eq("g", round % 2)).toList()).isNotEmpty();
                // Closed by two threads at once: both return, and the listener is gone.
                Concurrently.run(2, 30, thread -> invalidator.close());
                assertThat(invalidator.listening()).as("round %d", round).isFalse();
                assertThat(invalidator.state()).isEqualTo(ChangeStreamInvalidator.State.CLOSED);
            }
        } finally {
            writer.interrupt();
            writer.join();
        }
    }

    /**
     * The server comes back without change streams (restarted as a standalone, say): resuming is
     * refused, opening anew too, so the listener stops, says why, and drops what it may have missed.
     */
    @Test
    void serverBackWithoutChangeStreams_stopsTheListenerAndDropsEverything() {
        try (RestartableServer server = new RestartableServer(true);
                MongoClient client = server.client();
                CaffeineQueryCache cache = MongoTestSupport.cache("streams-gone")) {
            MongoCollection<Document> raw = client.getDatabase("gone").getCollection("members");
            members(raw);
            CachedCollection<Document> cached = MongoPerf.cached(raw, Duration.ofMinutes(5), cache);
            try (ChangeStreamInvalidator invalidator = cached.watchChanges()) {
                raw.insertOne(new Document("_id", 40).append("g", 0)); // a resume position
                caughtUp(invalidator);
                assertThat(cached.find(eq("g", 1)).toList()).hasSize(5);
                long full = invalidator.fullInvalidations();

                server.stop();
                server.backend.disableOplog();
                server.start();
                await().atMost(Duration.ofSeconds(30))
                        .until(() -> invalidator.state() == ChangeStreamInvalidator.State.UNAVAILABLE);
                assertThat(invalidator.unavailableReason()).hasValueSatisfying(reason -> assertThat(reason)
                        .contains("Change streams are not available for gone.members"));
                assertThat(invalidator.fullInvalidations()).isGreaterThan(full);
                await().atMost(Duration.ofSeconds(30)).until(() -> !invalidator.listening());
                raw.insertOne(new Document("_id", 41).append("g", 1));
                assertThat(cached.find(eq("g", 1)).toList())
                        .as("dropped when the listener stopped, so read afresh")
                        .hasSize(6);
            }
        }
    }

    @Test
    void serverRestart_resumesWhereItStopped_withoutDroppingEverything() {
        try (RestartableServer server = new RestartableServer(true);
                MongoClient client = server.client();
                CaffeineQueryCache cache = MongoTestSupport.cache("streams-restart")) {
            MongoCollection<Document> raw = client.getDatabase("restart").getCollection("members");
            members(raw);
            CachedCollection<Document> cached = MongoPerf.cached(raw, Duration.ofMinutes(5), cache);
            try (ChangeStreamInvalidator invalidator = cached.watchChanges()) {
                raw.insertOne(new Document("_id", 30).append("g", 0)); // its event gives a resume position
                caughtUp(invalidator);
                long full = invalidator.fullInvalidations();
                assertThat(cached.find(eq("g", 1)).toList()).hasSize(5);

                server.stop();
                await().atMost(Duration.ofSeconds(30))
                        .until(() -> invalidator.state() == ChangeStreamInvalidator.State.RECONNECTING);
                server.start();
                // Written at once, while the listener is most likely still backing off: the reopened
                // stream must replay it from the resume token.
                raw.insertOne(new Document("_id", 31).append("g", 1));
                await().atMost(Duration.ofSeconds(30))
                        .until(() -> invalidator.state() == ChangeStreamInvalidator.State.RUNNING);
                caughtUp(invalidator);
                assertThat(cached.find(eq("g", 1)).toList()).hasSize(6);
                assertThat(invalidator.fullInvalidations())
                        .as("resumed after its last event: nothing was missed, nothing dropped wholesale")
                        .isEqualTo(full);
            }
        }
    }
}
