package dev.perfkit.mongo;

import static org.assertj.core.api.Assertions.assertThat;

import com.mongodb.client.MongoClient;
import com.mongodb.client.MongoClients;
import com.mongodb.client.MongoCollection;
import com.mongodb.client.MongoDatabase;
import com.mongodb.client.model.InsertOneModel;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.bson.Document;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * {@code MongoPerf.batchWriter} drains on JVM shutdown: a child JVM accepts writes into a writer
 * whose batches would wait an hour, then exits without closing it. The control run, with draining
 * turned off, shows the test can fail.
 */
class BatchWriterShutdownTest {
    static final int WRITES = 50;

    private MongoClient client;
    private MongoDatabase database;

    @BeforeEach
    void connect() {
        client = MongoTestSupport.client();
        database = MongoTestSupport.freshDatabase(client);
    }

    @AfterEach
    void disconnect() {
        client.close();
    }

    @Test
    void acceptedWritesLandWhenTheJvmExitsWithoutClose() throws Exception {
        String output = runChild(true);

        assertThat(database.getCollection("events").countDocuments())
                .as("child output: %s", output)
                .isEqualTo(WRITES);
    }

    @Test
    void withDrainingTurnedOff_theSameExitLosesThem() throws Exception {
        String output = runChild(false);

        assertThat(database.getCollection("events").countDocuments())
                .as("child output: %s", output)
                .isZero();
    }

    private String runChild(boolean drain) throws IOException, InterruptedException {
        Path java = Path.of(System.getProperty("java.home"), "bin", "java");
        Process child = new ProcessBuilder(
                        java.toString(),
                        "-cp",
                        System.getProperty("java.class.path"),
                        Child.class.getName(),
                        MongoTestSupport.connectionString(),
                        database.getName(),
                        Boolean.toString(drain))
                .redirectErrorStream(true)
                .start();
        boolean exited = child.waitFor(90, TimeUnit.SECONDS);
        String output = new String(child.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!exited) {
            child.destroyForcibly();
        }
        assertThat(exited).as("child exited; output: %s", output).isTrue();
        assertThat(child.exitValue()).as("child exit code; output: %s", output).isZero();
        assertThat(output).contains("accepted " + WRITES);
        return output;
    }

    /** The child JVM: accept writes, then exit without closing anything. */
    public static final class Child {
        private Child() {}

        public static void main(String[] args) {
            MongoClient client = MongoClients.create(args[0]);
            MongoCollection<Document> events = client.getDatabase(args[1]).getCollection("events");
            boolean drain = Boolean.parseBoolean(args[2]);
            MongoBatchWriter<Document> writer = MongoPerf.batchWriter(
                    events,
                    b -> b.batchSize(1_000).maxDelay(Duration.ofHours(1)).drainOnShutdown(drain));
            for (int i = 0; i < WRITES; i++) {
                Object unused = writer.add(new InsertOneModel<>(new Document("n", i)));
            }
            System.out.println("accepted " + writer.stats().added());
            System.exit(0);
        }
    }
}
