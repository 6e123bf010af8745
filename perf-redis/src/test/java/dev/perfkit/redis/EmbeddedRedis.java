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

    private String external; // PERF_REDIS_URI: a real server the tests share, never stopped

    /** The Redis of most tests: PERF_REDIS_URI when set (a real server), else an embedded one. */
    static EmbeddedRedis start() {
        String configured = System.getenv("PERF_REDIS_URI");
        if (configured != null && !configured.isBlank()) {
            EmbeddedRedis redis = new EmbeddedRedis(-1, null);
            redis.external = configured;
            return redis;
        }
        return start(null);
    }

    /** An embedded server whatever the environment says: for tests that stop and restart it. */
    static EmbeddedRedis startEmbedded() {
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
        if (external != null) {
            throw new IllegalStateException("cannot stop the server PERF_REDIS_URI names");
        }
        try {
            server.stop();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    String uri() {
        return external != null ? external : "redis://127.0.0.1:" + port + "/0";
    }

    int port() {
        return port;
    }

    @Override
    public void close() {
        if (external == null && server != null && server.isActive()) {
            stop();
        }
    }
}
