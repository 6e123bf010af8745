package dev.perfkit.mongo;

import static com.mongodb.client.model.Filters.eq;
import static com.mongodb.client.model.Updates.inc;
import static com.mongodb.client.model.Updates.set;
import static org.assertj.core.api.Assertions.assertThat;

import com.mongodb.client.MongoClient;
import com.mongodb.client.MongoCollection;
import com.mongodb.client.model.InsertOneModel;
import com.mongodb.client.model.UpdateOneModel;
import dev.perfkit.Concurrently;
import dev.perfkit.PerfConfig;
import dev.perfkit.cache.caffeine.CaffeineQueryCache;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.bson.Document;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * A batch writer in front of a cached collection: its batches invalidate the wrapper's cached reads
 * they may change, before the operations' futures complete; a writer over the raw collection writes
 * around the wrapper, as documented.
 */
class BatchWriterCachedReadsTest {
    private final PerfConfig config =
            PerfConfig.builder().meterRegistry(new SimpleMeterRegistry()).build();
    private final AtomicInteger finds = new AtomicInteger();
    private final CaffeineQueryCache cache = MongoTestSupport.cache("batch-writer-cached-reads");
    private MongoClient client;
    private MongoCollection<Document> raw;
    private CachedCollection<Document> members;

    @BeforeEach
    void connect() {
        client = MongoTestSupport.countingClient(finds, "find");
        raw = MongoTestSupport.freshDatabase(client).getCollection("members");
        for (int id = 0; id < 8; id++) {
            raw.insertOne(new Document("_id", id).append("xp", 0).append("guild", id % 2));
        }
        members = MongoPerf.cached(raw, Duration.ofHours(1), cache);
    }

    @AfterEach
    void disconnect() {
        client.close();
        cache.close();
    }

    @Test
    void aBatchThroughTheWrapperInvalidatesOnlyTheReadsItChangesBeforeItsFutureCompletes() throws Exception {
        assertThat(members.find(eq("_id", 1)).first().getInteger("xp")).isZero();
        assertThat(members.find(eq("_id", 2)).first().getInteger("xp")).isZero();
        assertThat(members.countDocuments(eq("guild", 1))).isEqualTo(4);
        int loaded = finds.get();

        try (MongoBatchWriter<Document> writer =
                MongoBatchWriter.create(members, config, b -> b.batchSize(10), (models, cause) -> {})) {
            writer.add(new UpdateOneModel<>(eq("_id", 1), inc("xp", 5))).get(30, TimeUnit.SECONDS);

            assertThat(members.find(eq("_id", 1)).first().getInteger("xp"))
                    .as("read after the future completed")
                    .isEqualTo(5);
            // A pure $inc by _id: member 1's read was brought up to date (written through), not reloaded.
            assertThat(members.writesThrough()).isEqualTo(1);
            assertThat(finds).as("nothing was loaded again").hasValue(loaded);
            assertThat(members.find(eq("_id", 2)).first().getInteger("xp")).isZero();
            assertThat(members.countDocuments(eq("guild", 1))).isEqualTo(4);
            assertThat(finds).as("the other reads stayed cached").hasValue(loaded);

            writer.add(new InsertOneModel<>(
                            new Document("_id", 9).append("xp", 0).append("guild", 1)))
                    .get(30, TimeUnit.SECONDS);
            assertThat(members.countDocuments(eq("guild", 1))).isEqualTo(5);
        }
    }

    @Test
    void aBatchThatFailsPartWayStillLeavesNoStaleReadOfWhatItApplied() throws Exception {
        assertThat(members.find(eq("_id", 1)).first().getInteger("xp")).isZero();

        try (MongoBatchWriter<Document> writer =
                MongoBatchWriter.create(members, config, b -> b.batchSize(10), (models, cause) -> {})) {
            CompletableFuture<Void> credit = writer.add(new UpdateOneModel<>(eq("_id", 1), inc("xp", 5)));
            CompletableFuture<Void> duplicate = writer.add(new InsertOneModel<>(new Document("_id", 2)));
            CompletableFuture.allOf(credit, duplicate).handle((v, t) -> null).get(30, TimeUnit.SECONDS);

            assertThat(credit).isCompleted().isNotCompletedExceptionally();
            assertThat(duplicate).isCompletedExceptionally();
            assertThat(members.find(eq("_id", 1)).first().getInteger("xp"))
                    .as("the applied half of a failed bulk write")
                    .isEqualTo(5);
        }
    }

    @Test
    void aWriterOverTheRawCollectionWritesAroundTheWrapperUntilItsReadsExpire() throws Exception {
        assertThat(members.find(eq("_id", 1)).first().getInteger("xp")).isZero();

        try (MongoBatchWriter<Document> writer =
                MongoBatchWriter.create(raw, config, b -> b.batchSize(10), (models, cause) -> {})) {
            writer.add(new UpdateOneModel<>(eq("_id", 1), inc("xp", 5))).get(30, TimeUnit.SECONDS);
        }

        assertThat(raw.find(eq("_id", 1)).first().getInteger("xp")).isEqualTo(5);
        assertThat(members.find(eq("_id", 1)).first().getInteger("xp"))
                .as("a write made elsewhere, for the wrapper")
                .isZero();
        members.invalidate();
        assertThat(members.find(eq("_id", 1)).first().getInteger("xp")).isEqualTo(5);
    }

    @Test
    void concurrentWritersAndReaders_aReadAfterACompletedFutureSeesItsWrite() throws Exception {
        int threads = 4;
        int rounds = 200;
        try (MongoBatchWriter<Document> writer = MongoBatchWriter.create(
                members, config, b -> b.batchSize(16).maxDelay(Duration.ofMillis(2)), (models, cause) -> {})) {
            Concurrently.run(threads, 60, thread -> {
                for (int round = 1; round <= rounds; round++) {
                    // each thread owns a member; the others' reads and writes race it
                    writer.add(new UpdateOneModel<>(eq("_id", thread), set("xp", round)))
                            .get(30, TimeUnit.SECONDS);
                    assertThat(members.find(eq("_id", thread)).first().getInteger("xp"))
                            .as("thread %d round %d", thread, round)
                            .isEqualTo(round);
                    assertThat(members.find(eq("guild", thread % 2)).toList())
                            .as("thread %d round %d: its guild's members", thread, round)
                            .filteredOn(member -> member.getInteger("_id") == thread)
                            .singleElement()
                            .extracting(member -> member.getInteger("xp"))
                            .isEqualTo(round);
                }
            });
        }
    }
}
