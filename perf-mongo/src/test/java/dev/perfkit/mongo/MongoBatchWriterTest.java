package dev.perfkit.mongo;

import static com.mongodb.client.model.Filters.eq;
import static com.mongodb.client.model.Updates.inc;
import static com.mongodb.client.model.Updates.set;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import com.mongodb.ConnectionString;
import com.mongodb.MongoBulkWriteException;
import com.mongodb.MongoClientSettings;
import com.mongodb.client.MongoClient;
import com.mongodb.client.MongoClients;
import com.mongodb.client.MongoCollection;
import com.mongodb.client.MongoDatabase;
import com.mongodb.client.model.DeleteOneModel;
import com.mongodb.client.model.InsertOneModel;
import com.mongodb.client.model.ReplaceOneModel;
import com.mongodb.client.model.UpdateOneModel;
import com.mongodb.client.model.WriteModel;
import de.bwaldvogel.mongo.MongoServer;
import de.bwaldvogel.mongo.backend.memory.MemoryBackend;
import de.bwaldvogel.mongo.exception.MongoServerError;
import dev.perfkit.PerfConfig;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.netty.channel.Channel;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.bson.Document;
import org.junit.jupiter.api.Test;

class MongoBatchWriterTest {
    private final PerfConfig config =
            PerfConfig.builder().meterRegistry(new SimpleMeterRegistry()).build();

    @Test
    void add_writesInBatches_andEachFutureCompletes() throws Exception {
        try (MongoClient client = MongoTestSupport.client()) {
            MongoCollection<Document> users =
                    MongoTestSupport.freshDatabase(client).getCollection("users");
            List<CompletableFuture<Void>> futures = new ArrayList<>();
            try (MongoBatchWriter<Document> writer =
                    MongoBatchWriter.create(users, config, b -> b.batchSize(100), (models, cause) -> {})) {
                for (int i = 0; i < 1_000; i++) {
                    futures.add(writer.add(new InsertOneModel<>(new Document("n", i))));
                }
                writer.add(new UpdateOneModel<>(eq("n", 5), set("seen", true)));
                writer.flush().get(30, TimeUnit.SECONDS);
                assertThat(writer.stats().batches()).isBetween(10L, 12L);
            }
            assertThat(futures).allMatch(f -> f.isDone() && !f.isCompletedExceptionally());
            assertThat(users.countDocuments()).isEqualTo(1_000);
            assertThat(users.find(eq("n", 5)).first().getBoolean("seen")).isTrue();
        }
    }

    @Test
    void add_rejectedOperation_failsOnlyItsOwnFuture() throws Exception {
        try (MongoClient client = MongoTestSupport.client()) {
            MongoCollection<Document> users =
                    MongoTestSupport.freshDatabase(client).getCollection("users");
            users.insertOne(new Document("_id", 3));
            List<CompletableFuture<Void>> futures = new ArrayList<>();
            try (MongoBatchWriter<Document> writer =
                    MongoBatchWriter.create(users, config, b -> b.batchSize(10), (models, cause) -> {})) {
                for (int i = 0; i < 10; i++) {
                    futures.add(writer.add(new InsertOneModel<>(new Document("_id", i))));
                }
                CompletableFuture.allOf(futures.toArray(CompletableFuture[]::new))
                        .handle((v, t) -> null)
                        .get(30, TimeUnit.SECONDS);
            }
            for (int i = 0; i < 10; i++) {
                if (i == 3) {
                    int index = i;
                    assertThatThrownBy(() -> futures.get(index).get())
                            .isInstanceOf(ExecutionException.class)
                            .cause()
                            .isInstanceOf(MongoBatchWriter.WriteFailedException.class)
                            .hasMessageContaining("code 11000");
                } else {
                    assertThat(futures.get(i)).isCompleted().isNotCompletedExceptionally();
                }
            }
            assertThat(users.countDocuments()).isEqualTo(10);
        }
    }

    @Test
    void add_insertWithoutId_getsOneBeforeSending() {
        try (MongoClient client = MongoTestSupport.client()) {
            MongoCollection<Document> users =
                    MongoTestSupport.freshDatabase(client).getCollection("users");
            Document document = new Document("name", "x");
            try (MongoBatchWriter<Document> writer =
                    MongoBatchWriter.create(users, config, b -> {}, (models, cause) -> {})) {
                writer.add(new InsertOneModel<>(document));
                assertThat(document.get("_id")).isNotNull();
            }
            assertThat(users.find(eq("_id", document.get("_id"))).first()).isNotNull();
            assertThatThrownBy(() ->
                            MongoBatchWriter.create((MongoCollection<Document>) null, config, b -> {}, (m, c) -> {}))
                    .hasMessage("collection");
            assertThatThrownBy(() ->
                            MongoBatchWriter.create((CachedCollection<Document>) null, config, b -> {}, (m, c) -> {}))
                    .hasMessage("collection");
        }
    }

    /**
     * The server dies in the middle of the writer's work and a new one starts on the same port (with
     * the data, as a real server's disk would keep it). Afterwards every operation either landed
     * exactly once with a normal future or failed its future; none is silently lost. Inserts are
     * retried through the outage; $inc updates caught by it are failed, not repeated.
     */
    @Test
    void serverRestartMidBatch_nothingSilentlyLost() throws Exception {
        List<CompletableFuture<Void>> inserts = new ArrayList<>();
        List<CompletableFuture<Void>> increments = new ArrayList<>();
        List<WriteModel<Document>> deadLetters = new CopyOnWriteArrayList<>();
        try (RestartableServer server = new RestartableServer(false);
                MongoClient client = server.client()) {
            MongoCollection<Document> events = client.getDatabase("fault").getCollection("events");
            events.insertOne(new Document("_id", "counter").append("n", 0));
            try (MongoBatchWriter<Document> writer = MongoBatchWriter.create(
                    events,
                    config,
                    b -> b.batchSize(50)
                            .maxDelay(Duration.ofMillis(5))
                            .retry(20, Duration.ofMillis(100), 2.0, Duration.ofMillis(500)),
                    (models, cause) -> deadLetters.addAll(models))) {
                for (int i = 0; i < 3_000; i++) {
                    inserts.add(writer.add(new InsertOneModel<>(new Document("_id", i))));
                    if (i % 10 == 0) {
                        increments.add(writer.add(new UpdateOneModel<>(eq("_id", "counter"), inc("n", 1))));
                    }
                    if (i == 1_000) {
                        server.stop();
                    }
                    if (i == 1_500) {
                        await().atMost(Duration.ofSeconds(30))
                                .until(() -> writer.stats().retried() > 0);
                        server.start();
                    }
                }
            }
            List<CompletableFuture<Void>> all = new ArrayList<>(inserts);
            all.addAll(increments);
            assertThat(all).allMatch(CompletableFuture::isDone);

            int landed = 0;
            for (int i = 0; i < inserts.size(); i++) {
                boolean present = events.countDocuments(eq("_id", i)) == 1;
                if (!inserts.get(i).isCompletedExceptionally()) {
                    assertThat(present)
                            .as("insert %d succeeded but is missing", i)
                            .isTrue();
                    landed++;
                }
            }
            long incrementsSucceeded = increments.stream()
                    .filter(f -> !f.isCompletedExceptionally())
                    .count();
            int counter = events.find(eq("_id", "counter")).first().getInteger("n");
            assertThat(counter).isBetween((int) incrementsSucceeded, increments.size());
            assertThat(landed).as("inserts are retried through the outage").isEqualTo(inserts.size());
            assertThat(increments).anyMatch(CompletableFuture::isCompletedExceptionally);
        }
    }

    @Test
    void insertThenSet_sameDocument_appliesInOrder() throws Exception {
        try (MongoClient client = MongoTestSupport.client()) {
            MongoCollection<Document> users =
                    MongoTestSupport.freshDatabase(client).getCollection("users");
            List<CompletableFuture<Void>> futures = new ArrayList<>();
            try (MongoBatchWriter<Document> writer = MongoBatchWriter.create(
                    users, config, b -> b.batchSize(100).maxDelay(Duration.ofHours(1)), (models, cause) -> {})) {
                for (int i = 0; i < 20; i++) {
                    futures.add(writer.add(new InsertOneModel<>(new Document("_id", i))));
                    futures.add(writer.add(new UpdateOneModel<>(eq("_id", i), set("seen", true))));
                }
                writer.flush().get(30, TimeUnit.SECONDS);
            }
            assertThat(futures).allMatch(f -> f.isDone() && !f.isCompletedExceptionally());
            assertThat(users.countDocuments(eq("seen", true))).isEqualTo(20);
        }
    }

    /**
     * A seeded random stream of inserts, updates, replacements and deletes over a few ids, written
     * through the writer and, one call at a time, straight to a second collection: both end equal,
     * and each future fails exactly when the direct call failed.
     */
    @Test
    void randomStream_matchesOneCallAtATime() throws Exception {
        long seed = MongoTestSupport.seed("MongoBatchWriterTest.randomStream");
        SplittableRandom random = new SplittableRandom(seed);
        try (MongoClient client = MongoTestSupport.client()) {
            MongoDatabase db = MongoTestSupport.freshDatabase(client);
            MongoCollection<Document> batched = db.getCollection("batched");
            MongoCollection<Document> direct = db.getCollection("direct");
            List<CompletableFuture<Void>> futures = new ArrayList<>();
            List<Boolean> directFailed = new ArrayList<>();
            try (MongoBatchWriter<Document> writer = MongoBatchWriter.create(
                    batched,
                    config,
                    b -> b.batchSize(1 + random.nextInt(60)).maxDelay(Duration.ofHours(1)),
                    (models, cause) -> {})) {
                for (int i = 0; i < 2_000; i++) {
                    int id = random.nextInt(8);
                    WriteModel<Document> model =
                            switch (random.nextInt(5)) {
                                case 0 -> new InsertOneModel<>(new Document("_id", id).append("v", i));
                                case 1 -> new UpdateOneModel<>(eq("_id", id), set("v", i));
                                case 2 -> new UpdateOneModel<>(eq("_id", id), inc("n", 1));
                                case 3 -> new ReplaceOneModel<>(eq("_id", id), new Document("r", i));
                                default -> new DeleteOneModel<>(eq("_id", id));
                            };
                    boolean failed = false;
                    try {
                        direct.bulkWrite(List.of(copy(model)));
                    } catch (MongoBulkWriteException e) {
                        failed = true;
                    }
                    directFailed.add(failed);
                    futures.add(writer.add(model));
                }
                writer.flush().get(30, TimeUnit.SECONDS);
                for (int i = 0; i < futures.size(); i++) {
                    assertThat(futures.get(i).isCompletedExceptionally())
                            .as("seed %d op %d", seed, i)
                            .isEqualTo(directFailed.get(i));
                }
                long failures = directFailed.stream().filter(f -> f).count();
                assertThat(writer.stats().failed()).as("seed %d", seed).isEqualTo(failures);
                assertThat(writer.stats().processed()).as("seed %d", seed).isEqualTo(futures.size() - failures);
            }
            assertThat(batched.find().sort(new Document("_id", 1)).into(new ArrayList<>()))
                    .as("seed %d", seed)
                    .isEqualTo(direct.find().sort(new Document("_id", 1)).into(new ArrayList<>()));
        }
    }

    private static WriteModel<Document> copy(WriteModel<Document> model) {
        if (model instanceof InsertOneModel<Document> insert) {
            return new InsertOneModel<>(new Document(insert.getDocument()));
        }
        return model;
    }

    /**
     * The first attempt of a batch fails transiently without applying anything; on the retry, an
     * insert collides with a document that was there before (a reused {@code _id} holding other
     * data). Its future must fail, not count as "my first attempt landed".
     */
    @Test
    void retryAfterTransientFailure_duplicateOfOtherData_failsTheInsert() throws Exception {
        FaultyBackend backend = new FaultyBackend();
        MongoServer server = new MongoServer(backend);
        try (MongoClient client = clientOf(server)) {
            MongoCollection<Document> users = client.getDatabase("fault").getCollection("users");
            users.insertOne(new Document("_id", 1).append("name", "existing"));
            backend.failNextInserts(1, false);
            CompletableFuture<Void> collides;
            CompletableFuture<Void> fresh;
            try (MongoBatchWriter<Document> writer = MongoBatchWriter.create(
                    users,
                    config,
                    b -> b.batchSize(2)
                            .maxDelay(Duration.ofHours(1))
                            .retry(3, Duration.ofMillis(1), 2.0, Duration.ofMillis(5)),
                    (models, cause) -> {})) {
                collides = writer.add(new InsertOneModel<>(new Document("_id", 1).append("name", "new")));
                fresh = writer.add(new InsertOneModel<>(new Document("_id", 2).append("name", "fresh")));
                writer.flush().get(30, TimeUnit.SECONDS);
                assertThat(writer.stats().failed()).isEqualTo(1);
            }
            assertThatThrownBy(collides::join).hasRootCauseInstanceOf(MongoBulkWriteException.class);
            assertThat(fresh).isCompleted().isNotCompletedExceptionally();
            assertThat(users.find(eq("_id", 1)).first().getString("name")).isEqualTo("existing");
            assertThat(users.find(eq("_id", 2)).first()).isNotNull();
        } finally {
            server.shutdownNow();
        }
    }

    /** The first attempt lands and then reports a transient failure: the retry's duplicate is ours. */
    @Test
    void retryAfterTransientFailure_ownEarlierInsertLanded_succeeds() throws Exception {
        FaultyBackend backend = new FaultyBackend();
        MongoServer server = new MongoServer(backend);
        try (MongoClient client = clientOf(server)) {
            MongoCollection<Document> users = client.getDatabase("fault").getCollection("users");
            backend.failNextInserts(1, true);
            CompletableFuture<Void> insert;
            try (MongoBatchWriter<Document> writer = MongoBatchWriter.create(
                    users,
                    config,
                    b -> b.batchSize(1)
                            .maxDelay(Duration.ofHours(1))
                            .retry(3, Duration.ofMillis(1), 2.0, Duration.ofMillis(5)),
                    (models, cause) -> {})) {
                insert = writer.add(new InsertOneModel<>(
                        new Document("name", "once").append("x", new Document("b", 1).append("a", 2))));
                writer.flush().get(30, TimeUnit.SECONDS);
                assertThat(writer.stats().retried()).isEqualTo(1);
            }
            assertThat(insert).isCompleted().isNotCompletedExceptionally();
            assertThat(users.countDocuments()).isEqualTo(1);
        } finally {
            server.shutdownNow();
        }
    }

    @Test
    void addWithResult_insertLandedBeforeATransientFailure_reportsItsIdOnce() throws Exception {
        FaultyBackend backend = new FaultyBackend();
        MongoServer server = new MongoServer(backend);
        try (MongoClient client = clientOf(server)) {
            MongoCollection<Document> users = client.getDatabase("fault").getCollection("users");
            backend.failNextInserts(1, true);
            Document document = new Document("name", "once");
            CompletableFuture<WriteOutcome> insert;
            try (MongoBatchWriter<Document> writer = MongoBatchWriter.create(
                    users,
                    config,
                    b -> b.batchSize(1)
                            .maxDelay(Duration.ofHours(1))
                            .retry(3, Duration.ofMillis(1), 2.0, Duration.ofMillis(5)),
                    (models, cause) -> {})) {
                insert = writer.addWithResult(new InsertOneModel<>(document));
                writer.flush().get(30, TimeUnit.SECONDS);
                assertThat(writer.stats().retried()).isEqualTo(1);
            }
            assertThat(insert.get().insertedId()).isEqualTo(new org.bson.BsonObjectId(document.getObjectId("_id")));
            assertThat(users.countDocuments()).isEqualTo(1);
        } finally {
            server.shutdownNow();
        }
    }

    private static MongoClient clientOf(MongoServer server) {
        InetSocketAddress address = server.bind();
        return MongoClients.create(MongoClientSettings.builder()
                .applyConnectionString(new ConnectionString("mongodb://localhost:" + address.getPort()))
                .applyToClusterSettings(cluster -> cluster.serverSelectionTimeout(5, TimeUnit.SECONDS))
                .build());
    }

    /** The embedded server with an injected fault: the next inserts fail with ExceededTimeLimit (262). */
    private static final class FaultyBackend extends MemoryBackend {
        private final AtomicInteger failures = new AtomicInteger();
        private volatile boolean applyFirst;

        void failNextInserts(int count, boolean applyBeforeFailing) {
            applyFirst = applyBeforeFailing;
            failures.set(count);
        }

        @Override
        public de.bwaldvogel.mongo.bson.Document handleCommand(
                Channel channel, String databaseName, String command, de.bwaldvogel.mongo.bson.Document query) {
            if (command.equals("insert") && failures.getAndUpdate(n -> Math.max(0, n - 1)) > 0) {
                if (applyFirst) {
                    super.handleCommand(channel, databaseName, command, query);
                }
                throw new MongoServerError(262, "injected transient failure");
            }
            return super.handleCommand(channel, databaseName, command, query);
        }
    }
}
