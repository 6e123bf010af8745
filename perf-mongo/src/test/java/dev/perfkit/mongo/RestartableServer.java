package dev.perfkit.mongo;

import com.mongodb.ConnectionString;
import com.mongodb.MongoClientSettings;
import com.mongodb.client.MongoClient;
import com.mongodb.client.MongoClients;
import de.bwaldvogel.mongo.MongoServer;
import de.bwaldvogel.mongo.backend.memory.MemoryBackend;
import java.util.concurrent.TimeUnit;

/**
 * An embedded server that can be stopped and started again on its port, keeping its data (and its
 * oplog), as a server with a disk would: for tests of what survives a restart.
 */
final class RestartableServer implements AutoCloseable {
    /** The data; {@code enableOplog()}/{@code disableOplog()} before a start change what comes back. */
    final MemoryBackend backend = new MemoryBackend() {
        @Override
        public void close() {
            // keep the data across restarts, like a disk
        }
    };

    private final int port;
    private MongoServer server;

    RestartableServer(boolean oplog) {
        if (oplog) {
            backend.enableOplog();
        }
        server = new MongoServer(backend);
        port = server.bind().getPort();
    }

    /** Stops the server at once; its clients see socket errors, then timeouts. */
    void stop() {
        server.shutdownNow();
    }

    /** Starts it again on the same port, with the same data. */
    void start() {
        server = new MongoServer(backend);
        server.bind("localhost", port);
    }

    /** A client that gives up quickly (500 ms to select or connect) while the server is down. */
    MongoClient client() {
        return MongoClients.create(MongoClientSettings.builder()
                .applyConnectionString(new ConnectionString("mongodb://localhost:" + port))
                .applyToClusterSettings(cluster -> cluster.serverSelectionTimeout(500, TimeUnit.MILLISECONDS))
                .applyToSocketSettings(socket -> socket.connectTimeout(500, TimeUnit.MILLISECONDS))
                .build());
    }

    @Override
    public void close() {
        server.shutdownNow();
    }
}
