package dev.perfkit.bench;

import dev.perfkit.cache.CacheLevel;
import dev.perfkit.cache.caffeine.CaffeineQueryCache;
import dev.perfkit.memory.MemoryPressureRegistry;
import dev.perfkit.redis.RedisQueryCache;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.io.IOException;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * The two-level cache against an embedded Redis 6.2 on loopback: a hit in the in-process level
 * ({@code way=memory}) against {@code CaffeineQueryCache}'s hit ({@code way=caffeine}), a hit in
 * Redis ({@code way=redis}, one round trip), and ({@link #invalidationReachesAnotherInstance}) how
 * long a write on one instance takes to remove the entry from another's memory.
 *
 * <pre>
 * java -jar perf-bench/target/perfkit.jar jmh RedisCacheBenchmark.get
 * java -jar perf-bench/target/perfkit.jar jmh RedisCacheBenchmark.invalidation -p way=memory
 * java -jar perf-bench/target/perfkit.jar jmh RedisCacheBenchmark.hundred -p way=redis
 * </pre>
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
public class RedisCacheBenchmark {
    /** {@code memory}, {@code caffeine} or {@code redis}: which hit {@link #get} measures. */
    @Param({"memory", "caffeine", "redis"})
    public String way;

    private EmbeddedRedisServer server;
    private RedisQueryCache memoryFirst;
    private RedisQueryCache redisOnly;
    private RedisQueryCache otherInstance;
    private CaffeineQueryCache caffeine;
    private final String[] keys = new String[1024];
    private long version;

    @Setup(Level.Trial)
    public void setUp() throws IOException {
        server = EmbeddedRedisServer.start();
        memoryFirst = server.cache("bench", CacheLevel.BOTH);
        otherInstance = server.cache("bench", CacheLevel.BOTH);
        redisOnly = server.cache("bench", CacheLevel.REDIS);
        caffeine = CaffeineQueryCache.builder()
                .name("bench-caffeine")
                .maxSize(10_000)
                .meterRegistry(new SimpleMeterRegistry())
                .pressureRegistry(MemoryPressureRegistry.create())
                .build();
        for (int i = 0; i < keys.length; i++) {
            keys[i] = "user:" + i + ":profile";
            memoryFirst.set(keys[i], "profile " + i);
            caffeine.set(keys[i], "profile " + i);
        }
        for (String key : keys) {
            Object unused = memoryFirst.get(key);
        }
    }

    /** Per-thread position in the keys. */
    @State(Scope.Thread)
    public static class Position {
        int next;
    }

    @Benchmark
    public Object get(Position position) {
        position.next = (position.next + 1) & 1023;
        String key = keys[position.next];
        return switch (way) {
            case "memory" -> memoryFirst.get(key);
            case "caffeine" -> caffeine.get(key);
            default -> redisOnly.get(key);
        };
    }

    /**
     * One write on an instance, then spinning on another instance (which held the entry in its
     * memory) until it sees the new value: the time for Redis's invalidation to arrive, plus one
     * read from Redis.
     */
    @Benchmark
    @BenchmarkMode(Mode.SampleTime)
    @OutputTimeUnit(TimeUnit.MICROSECONDS)
    public long invalidationReachesAnotherInstance() {
        long next = ++version;
        Object unused = otherInstance.get("shared"); // in its memory now (or the previous value)
        memoryFirst.set("shared", next);
        long spins = 0;
        while (!Long.valueOf(next).equals(otherInstance.get("shared"))) {
            spins++;
        }
        return spins;
    }

    private final java.util.Map<String, Object> batch = new java.util.LinkedHashMap<>();

    /** A warm-up batch of 100 entries, one set each: 100 round trips. */
    @Benchmark
    @OutputTimeUnit(TimeUnit.MICROSECONDS)
    public void hundredSetsOneByOne() {
        for (int i = 0; i < 100; i++) {
            redisOnly.set("batch:" + i, "value " + i);
        }
    }

    /** The same 100 entries through setAll: one pipelined batch. */
    @Benchmark
    @OutputTimeUnit(TimeUnit.MICROSECONDS)
    public void hundredSetsPipelined() {
        if (batch.isEmpty()) {
            for (int i = 0; i < 100; i++) {
                batch.put("batch:" + i, "value " + i);
            }
        }
        redisOnly.setAll(batch, Duration.ofMinutes(5));
    }

    @TearDown(Level.Trial)
    public void tearDown() throws IOException {
        memoryFirst.close();
        otherInstance.close();
        redisOnly.close();
        caffeine.close();
        server.close();
    }
}
