package dev.perfkit.bench;

import com.mongodb.ConnectionString;
import com.mongodb.MongoClientSettings;
import com.mongodb.client.MongoClient;
import com.mongodb.client.MongoClients;
import de.bwaldvogel.mongo.MongoServer;
import de.bwaldvogel.mongo.backend.memory.MemoryBackend;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.function.Function;

/**
 * The MongoDB the benchmarks talk to: an in-memory mongo-java-server on a random port, or the server
 * of {@code PERF_MONGO_URI} when that is set. Close it to stop the embedded server.
 */
public final class EmbeddedMongo implements AutoCloseable {
    private final MongoServer server;
    private final String connectionString;

    private EmbeddedMongo(MongoServer server, String connectionString) {
        this.server = server;
        this.connectionString = connectionString;
    }

    /**
     * Starts an embedded server, or points at {@code uri} when it is non-blank.
     *
     * @param uri a MongoDB connection string, or null/blank for the embedded server
     * @return the running server
     */
    public static EmbeddedMongo start(String uri) {
        return start(uri, MongoServer::bindAndGetConnectionString);
    }

    /** The server of {@code uri}, or an embedded one bound by {@code bind} (which returns its connection string). */
    private static EmbeddedMongo start(String uri, Function<MongoServer, String> bind) {
        if (uri != null && !uri.isBlank()) {
            return new EmbeddedMongo(null, uri);
        }
        MongoServer server = new MongoServer(new MemoryBackend());
        return new EmbeddedMongo(server, bind.apply(server));
    }

    /**
     * Starts an embedded server that serves every connection on one worker thread, or points at
     * {@code uri} when it is non-blank: for comparing clients with each other (instrumented against
     * plain). The default server spreads connections over several worker threads, and on a small
     * virtual machine a connection's speed then depends on its thread: measured here, the same
     * plain client code ran 30 µs per insertOne on some connections and 105 µs on others, in one
     * run, against one server. Such a comparison would measure where each client's connection
     * landed; with one worker thread every client is served alike.
     *
     * @param uri a MongoDB connection string, or null/blank for the embedded server
     * @return the running server
     */
    public static EmbeddedMongo startForComparison(String uri) {
        return start(uri, server -> {
            server.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 1, 1);
            return server.getConnectionString();
        });
    }

    /** Starts an embedded server unless {@code PERF_MONGO_URI} names a real one. */
    public static EmbeddedMongo startFromEnvironment() {
        return start(System.getenv("PERF_MONGO_URI"));
    }

    /** Returns whether this is the embedded server. */
    public boolean embedded() {
        return server != null;
    }

    /** Returns the connection string. */
    public String connectionString() {
        return connectionString;
    }

    /**
     * Creates a client with short server-selection and connect timeouts.
     *
     * @param customizer adjusts the settings (instrumentation, pool)
     * @return a new client
     */
    public MongoClient client(Consumer<MongoClientSettings.Builder> customizer) {
        MongoClientSettings.Builder settings = MongoClientSettings.builder()
                .applyConnectionString(new ConnectionString(connectionString))
                .applyToClusterSettings(cluster -> cluster.serverSelectionTimeout(3, TimeUnit.SECONDS))
                .applyToSocketSettings(socket -> socket.connectTimeout(3, TimeUnit.SECONDS));
        customizer.accept(settings);
        return MongoClients.create(settings.build());
    }

    @Override
    public void close() {
        if (server != null) {
            server.shutdownNow();
        }
    }
}
