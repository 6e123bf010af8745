package dev.perfkit.mongo;

import static com.mongodb.client.model.Filters.and;
import static com.mongodb.client.model.Filters.eq;
import static com.mongodb.client.model.Filters.gte;
import static com.mongodb.client.model.Updates.inc;
import static com.mongodb.client.model.Updates.set;
import static org.assertj.core.api.Assertions.assertThat;

import com.mongodb.client.MongoClient;
import com.mongodb.client.MongoCollection;
import com.mongodb.client.model.DeleteManyModel;
import com.mongodb.client.model.InsertOneModel;
import com.mongodb.client.model.UpdateOneModel;
import com.mongodb.client.model.UpdateOptions;
import dev.perfkit.PerfConfig;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.bson.BsonInt32;
import org.bson.Document;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** {@code addWithResult}: each operation's own counts, even when its batch holds many others. */
class BatchWriterOutcomeTest {
    private final PerfConfig config =
            PerfConfig.builder().meterRegistry(new SimpleMeterRegistry()).build();
    private final AtomicInteger commands = new AtomicInteger();
    private MongoClient client;
    private MongoCollection<Document> accounts;
    private MongoBatchWriter<Document> writer;

    @BeforeEach
    void start() {
        client = MongoTestSupport.countingClient(commands, "insert", "update", "delete");
        accounts = MongoTestSupport.freshDatabase(client).getCollection("accounts");
        // One batch for everything added before flush(): what is exact must be exact inside a batch.
        writer = MongoBatchWriter.create(
                accounts, config, b -> b.batchSize(1_000).maxDelay(Duration.ofHours(1)), (models, cause) -> {});
    }

    @AfterEach
    void stop() {
        writer.close();
        client.close();
    }

    @Test
    void aDebitRequiringEnoughBalance_reportsWhetherItMatched_amongOtherUpdates() throws Exception {
        accounts.insertOne(new Document("_id", 1).append("balance", 150));
        Object unused = writer.add(new UpdateOneModel<>(eq("_id", 1), set("seen", true)));
        CompletableFuture<WriteOutcome> first = writer.addWithResult(
                new UpdateOneModel<>(and(eq("_id", 1), gte("balance", 100)), inc("balance", -100)));
        unused = writer.add(new UpdateOneModel<>(eq("_id", 1), set("seen", false)));
        CompletableFuture<WriteOutcome> second = writer.addWithResult(
                new UpdateOneModel<>(and(eq("_id", 1), gte("balance", 100)), inc("balance", -100)));
        writer.flush().get(30, TimeUnit.SECONDS);

        assertThat(first.get().matched()).isEqualTo(1);
        assertThat(first.get().modified()).isEqualTo(1);
        assertThat(second.get().matched()).isZero();
        assertThat(second.get().modified()).isZero();
        assertThat(accounts.find(eq("_id", 1)).first().getInteger("balance")).isEqualTo(50);
    }

    @Test
    void anUpsert_reportsTheIdItInserted_thenItsMatch() throws Exception {
        UpdateOptions upsert = new UpdateOptions().upsert(true);
        CompletableFuture<WriteOutcome> created =
                writer.addWithResult(new UpdateOneModel<>(eq("_id", 7), set("xp", 1), upsert));
        CompletableFuture<WriteOutcome> updated =
                writer.addWithResult(new UpdateOneModel<>(eq("_id", 7), inc("xp", 1), upsert));
        writer.flush().get(30, TimeUnit.SECONDS);

        assertThat(created.get().upsertedId()).isEqualTo(new BsonInt32(7));
        assertThat(created.get().matched()).isZero();
        assertThat(updated.get().upsertedId()).isNull();
        assertThat(updated.get().matched()).isEqualTo(1);
        assertThat(accounts.find(eq("_id", 7)).first().getInteger("xp")).isEqualTo(2);
    }

    @Test
    void insertsAndDeletes_reportTheirOwnIdAndCount() throws Exception {
        Document doc = new Document("kind", "a");
        CompletableFuture<WriteOutcome> inserted = writer.addWithResult(new InsertOneModel<>(doc));
        for (int i = 0; i < 5; i++) {
            Object unused = writer.add(new InsertOneModel<>(new Document("kind", "b")));
        }
        Object unused = writer.add(new DeleteManyModel<>(eq("kind", "a")));
        CompletableFuture<WriteOutcome> deleted = writer.addWithResult(new DeleteManyModel<>(eq("kind", "b")));
        writer.flush().get(30, TimeUnit.SECONDS);

        assertThat(inserted.get().insertedId()).isEqualTo(new org.bson.BsonObjectId(doc.getObjectId("_id")));
        assertThat(deleted.get().deleted()).isEqualTo(5);
        assertThat(accounts.countDocuments()).isZero();
    }

    @Test
    void plainAddsStillShareCommands() throws Exception {
        for (int i = 0; i < 20; i++) {
            Object unused =
                    writer.add(new UpdateOneModel<>(eq("_id", i), set("v", i), new UpdateOptions().upsert(true)));
        }
        writer.flush().get(30, TimeUnit.SECONDS);

        assertThat(commands).hasValue(1);
        assertThat(accounts.countDocuments()).isEqualTo(20);
    }

    /**
     * Seeded: a random mix of $inc updates (half asking for outcomes) on a few accounts, checked
     * against the same operations applied one at a time to a second collection.
     */
    @Test
    void randomMix_eachOutcomeEqualsTheSameWriteMadeAlone() throws Exception {
        long seed = MongoTestSupport.seed("BatchWriterOutcomeTest");
        SplittableRandom random = new SplittableRandom(seed);
        MongoCollection<Document> reference =
                client.getDatabase(accounts.getNamespace().getDatabaseName()).getCollection("reference");
        for (int id = 0; id < 5; id++) {
            accounts.insertOne(new Document("_id", id).append("balance", 100));
            reference.insertOne(new Document("_id", id).append("balance", 100));
        }
        List<CompletableFuture<WriteOutcome>> outcomes = new ArrayList<>();
        List<Long> expectedMatched = new ArrayList<>();
        for (int i = 0; i < 300; i++) {
            int id = random.nextInt(6); // 5 matches nothing
            int amount = random.nextInt(-60, 60);
            UpdateOneModel<Document> op = new UpdateOneModel<>(
                    and(eq("_id", id), gte("balance", Math.max(0, -amount))), inc("balance", amount));
            long matched = reference.updateOne(op.getFilter(), op.getUpdate()).getMatchedCount();
            if (random.nextBoolean()) {
                outcomes.add(writer.addWithResult(op));
                expectedMatched.add(matched);
            } else {
                Object unused = writer.add(op);
            }
        }
        writer.flush().get(60, TimeUnit.SECONDS);

        for (int i = 0; i < outcomes.size(); i++) {
            assertThat(outcomes.get(i).get().matched())
                    .as("seed %d, outcome %d", seed, i)
                    .isEqualTo(expectedMatched.get(i));
        }
        assertThat(accounts.find().into(new ArrayList<>()))
                .as("seed %d", seed)
                .isEqualTo(reference.find().into(new ArrayList<>()));
    }
}
