package dev.perfkit.mongo;

import static com.mongodb.client.model.Filters.eq;
import static com.mongodb.client.model.Updates.inc;
import static com.mongodb.client.model.Updates.set;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import com.mongodb.ConnectionString;
import com.mongodb.MongoClientSettings;
import com.mongodb.client.MongoClient;
import com.mongodb.client.MongoClients;
import com.mongodb.client.MongoCollection;
import com.mongodb.client.model.InsertOneModel;
import com.mongodb.client.model.UpdateOneModel;
import com.mongodb.client.model.WriteModel;
import de.bwaldvogel.mongo.MongoServer;
import de.bwaldvogel.mongo.backend.memory.MemoryBackend;
import dev.perfkit.PerfConfig;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
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
            assertThatThrownBy(() -> MongoBatchWriter.create(null, config, b -> {}, (m, c) -> {}))
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
        MemoryBackend backend = new MemoryBackend() {
            @Override
            public void close() {
                // keep the data across the restart, like a disk
            }
        };
        MongoServer first = new MongoServer(backend);
        InetSocketAddress address = first.bind();
        MongoServer second = null;
        MongoClientSettings settings = MongoClientSettings.builder()
                .applyConnectionString(new ConnectionString("mongodb://localhost:" + address.getPort()))
                .applyToClusterSettings(cluster -> cluster.serverSelectionTimeout(500, TimeUnit.MILLISECONDS))
                .applyToSocketSettings(socket -> socket.connectTimeout(500, TimeUnit.MILLISECONDS))
                .build();
        List<CompletableFuture<Void>> inserts = new ArrayList<>();
        List<CompletableFuture<Void>> increments = new ArrayList<>();
        List<WriteModel<Document>> deadLetters = new CopyOnWriteArrayList<>();
        try (MongoClient client = MongoClients.create(settings)) {
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
                        first.shutdownNow();
                    }
                    if (i == 1_500) {
                        await().atMost(Duration.ofSeconds(30))
                                .until(() -> writer.stats().retried() > 0);
                        second = new MongoServer(backend);
                        second.bind("localhost", address.getPort());
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
        } finally {
            first.shutdownNow();
            if (second != null) {
                second.shutdownNow();
            }
        }
    }
}
