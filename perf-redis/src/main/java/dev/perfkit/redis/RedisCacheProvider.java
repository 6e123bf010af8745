package dev.perfkit.redis;

import dev.perfkit.PerfConfig;
import dev.perfkit.cache.CacheLevel;
import dev.perfkit.cache.QueryCache;
import dev.perfkit.spi.PerfProvider;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Supplies {@link RedisQueryCache} as {@code Perf.getQueryCache()} when {@code REDIS_URL} is set;
 * without it, perf-cache's in-memory cache is used and this says so once at INFO. Registered in
 * {@code META-INF/services}; ranks above perf-cache's provider.
 */
public final class RedisCacheProvider implements PerfProvider {
    private static final Logger log = LoggerFactory.getLogger(RedisCacheProvider.class);
    private static final AtomicBoolean TOLD = new AtomicBoolean();

    /** Creates the provider; called by {@link java.util.ServiceLoader}. */
    public RedisCacheProvider() {}

    @Override
    public int priority() {
        return 10;
    }

    @Override
    public Optional<QueryCache> createQueryCache(PerfConfig config) {
        if (config.redisUrl().isBlank() || config.cacheLevel() == CacheLevel.MEMORY) {
            if (TOLD.compareAndSet(false, true)) {
                log.info("perf-redis is on the class path but REDIS_URL is not set (or CACHE_LEVEL=memory): the query"
                        + " cache stays in this process's memory");
            }
            return Optional.empty();
        }
        return Optional.of(RedisQueryCache.create(config));
    }
}
