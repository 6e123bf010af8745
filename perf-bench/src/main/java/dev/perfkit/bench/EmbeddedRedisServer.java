package dev.perfkit.bench;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.ServerSocket;
import redis.embedded.RedisServer;

/**
 * A Redis for perf-test and demos: {@code PERF_REDIS_URI} or {@code REDIS_URL} when set, else an
 * embedded Redis 6.2 (com.github.codemonstur:embedded-redis) on a free loopback port.
 */
public final class EmbeddedRedisServer implements AutoCloseable {
    private final RedisServer server; // null when pointing at a real Redis
    private final String uri;

    private EmbeddedRedisServer(RedisServer server, String uri) {
        this.server = server;
        this.uri = uri;
    }

    /**
     * Starts an embedded Redis unless the environment names a real one.
     *
     * @return the server
     */
    public static EmbeddedRedisServer start() {
        for (String variable : new String[] {"PERF_REDIS_URI", "REDIS_URL"}) {
            String configured = System.getenv(variable);
            if (configured != null && !configured.isBlank()) {
                return new EmbeddedRedisServer(null, configured);
            }
        }
        return startEmbedded();
    }

    /**
     * Points at a Redis that runs elsewhere (nothing is started or stopped).
     *
     * @param uri its URI
     * @return the server
     */
    public static EmbeddedRedisServer external(String uri) {
        return new EmbeddedRedisServer(null, uri);
    }

    /**
     * Starts an embedded Redis whatever the environment says.
     *
     * @return the server
     */
    public static EmbeddedRedisServer startEmbedded() {
        try {
            int port;
            try (ServerSocket socket = new ServerSocket(0)) {
                port = socket.getLocalPort();
            }
            RedisServer server = RedisServer.newRedisServer()
                    .bind("127.0.0.1")
                    .port(port)
                    .setting("save \"\"")
                    .setting("appendonly no")
                    .build();
            server.start();
            return new EmbeddedRedisServer(server, "redis://127.0.0.1:" + port + "/0");
        } catch (IOException e) {
            throw new UncheckedIOException("cannot start the embedded Redis: " + e.getMessage(), e);
        }
    }

    /** Returns the URI to connect to. */
    public String uri() {
        return uri;
    }

    /**
     * A two-level cache on this server for measurements: 10,000 entries in memory, a 2 s timeout,
     * its own meters; waits for the connection.
     *
     * @param name the cache's name (instances with one name share entries)
     * @param level its levels
     * @return the connected cache
     * @throws IllegalStateException if Redis does not answer within 10 s
     */
    public dev.perfkit.redis.RedisQueryCache cache(String name, dev.perfkit.cache.CacheLevel level) {
        return cache(name, level, 10_000);
    }

    /**
     * {@link #cache(String, dev.perfkit.cache.CacheLevel)} with another in-memory size.
     *
     * @param name the cache's name
     * @param level its levels
     * @param maxSize entries kept in memory
     * @return the connected cache
     */
    public dev.perfkit.redis.RedisQueryCache cache(String name, dev.perfkit.cache.CacheLevel level, long maxSize) {
        dev.perfkit.redis.RedisQueryCache cache = dev.perfkit.redis.RedisQueryCache.builder()
                .redisUri(uri)
                .name(name)
                .level(level)
                .maxSize(maxSize)
                .timeout(java.time.Duration.ofSeconds(2))
                .meterRegistry(new io.micrometer.core.instrument.simple.SimpleMeterRegistry())
                .pressureRegistry(dev.perfkit.memory.MemoryPressureRegistry.create())
                .build();
        if (!cache.awaitRedis(java.time.Duration.ofSeconds(10))) {
            cache.close();
            throw new IllegalStateException("Redis not reachable: " + cache.redisUnavailableReason());
        }
        return cache;
    }

    /** Returns whether this is the embedded server. */
    public boolean embedded() {
        return server != null;
    }

    @Override
    public void close() {
        if (server != null) {
            try {
                server.stop();
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
    }
}
