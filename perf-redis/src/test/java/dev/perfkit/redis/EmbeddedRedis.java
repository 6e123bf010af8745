package dev.perfkit.redis;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.ServerSocket;
import redis.embedded.RedisServer;

/**
 * A Redis 6.2 for tests (com.github.codemonstur:embedded-redis), on a free loopback port, without
 * persistence; it can be stopped and started again on the same port to test outages.
 */
final class EmbeddedRedis implements AutoCloseable {
    private final int port;
    private final java.nio.file.Path dataDirectory; // null: no persistence
    private String password; // null: none
    private RedisServer server;

    private EmbeddedRedis(int port, java.nio.file.Path dataDirectory) {
        this.port = port;
        this.dataDirectory = dataDirectory;
    }

    /** A server that requires a password. */
    static EmbeddedRedis startWithPassword(String password) {
        int port;
        try (ServerSocket socket = new ServerSocket(0)) {
            port = socket.getLocalPort();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        EmbeddedRedis redis = new EmbeddedRedis(port, null);
        redis.password = password;
        redis.startAgain();
        return redis;
    }

    static EmbeddedRedis start() {
        return start(null);
    }

    /** A server that keeps its data across stop and start (append-only file in the directory). */
    static EmbeddedRedis startPersistent(java.nio.file.Path directory) {
        return start(directory);
    }

    private static EmbeddedRedis start(java.nio.file.Path directory) {
        int port;
        try (ServerSocket socket = new ServerSocket(0)) {
            port = socket.getLocalPort();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        EmbeddedRedis redis = new EmbeddedRedis(port, directory);
        redis.startAgain();
        return redis;
    }

    void startAgain() {
        try {
            server = RedisServer.newRedisServer()
                    .bind("127.0.0.1")
                    .port(port)
                    .setting("save \"\"")
                    .setting(dataDirectory == null ? "appendonly no" : "appendonly yes")
                    .settingIf(dataDirectory != null, "appendfsync always")
                    .settingIf(dataDirectory != null, "dir " + dataDirectory)
                    .settingIf(password != null, "requirepass " + password)
                    .build();
            server.start();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    void stop() {
        try {
            server.stop();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    String uri() {
        return "redis://127.0.0.1:" + port + "/0";
    }

    int port() {
        return port;
    }

    @Override
    public void close() {
        if (server != null && server.isActive()) {
            stop();
        }
    }
}
