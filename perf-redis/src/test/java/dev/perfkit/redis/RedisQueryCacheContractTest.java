package dev.perfkit.redis;

import dev.perfkit.FakeTicker;
import dev.perfkit.cache.QueryCache;
import dev.perfkit.cache.QueryCacheContract;
import dev.perfkit.memory.MemoryPressureRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;

/** Every promise of QueryCache, kept by the two-level cache over a real (embedded) Redis. */
class RedisQueryCacheContractTest extends QueryCacheContract {
    private static final AtomicInteger NAMES = new AtomicInteger();
    private static EmbeddedRedis redis;

    @BeforeAll
    static void startRedis() {
        redis = EmbeddedRedis.start();
    }

    @AfterAll
    static void stopRedis() {
        redis.close();
    }

    @Override
    protected int concurrencyOperations() {
        return 8_000; // each operation is one or two Redis round trips
    }

    @Override
    protected QueryCache createCache(long maxSize, Duration defaultTtl, FakeTicker ticker) {
        RedisQueryCache created = RedisQueryCache.builder()
                .redisUri(redis.uri())
                .name("contract-" + NAMES.incrementAndGet()) // a fresh key space per test
                .maxSize(maxSize)
                .defaultTtl(defaultTtl)
                .ticker(ticker)
                .executor(Runnable::run)
                .meterRegistry(new SimpleMeterRegistry())
                .pressureRegistry(MemoryPressureRegistry.create())
                .build();
        if (!created.awaitRedis(Duration.ofSeconds(10))) {
            throw new IllegalStateException("embedded Redis not reachable: " + created.redisUnavailableReason());
        }
        return created;
    }
}
