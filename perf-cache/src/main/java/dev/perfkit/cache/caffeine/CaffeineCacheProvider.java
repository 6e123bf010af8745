package dev.perfkit.cache.caffeine;

import dev.perfkit.PerfConfig;
import dev.perfkit.cache.QueryCache;
import dev.perfkit.spi.PerfProvider;
import java.util.Optional;

/**
 * Supplies {@link CaffeineQueryCache} as {@code Perf.getQueryCache()}. Registered in {@code
 * META-INF/services}; hosts never call it.
 */
public final class CaffeineCacheProvider implements PerfProvider {

    /** Creates the provider; called by {@link java.util.ServiceLoader}. */
    public CaffeineCacheProvider() {}

    @Override
    public Optional<QueryCache> createQueryCache(PerfConfig config) {
        return Optional.of(CaffeineQueryCache.create(config));
    }
}
