package dev.perfkit.cache.caffeine;

import com.github.benmanes.caffeine.cache.RemovalCause;
import com.github.benmanes.caffeine.cache.stats.CacheStats;
import com.github.benmanes.caffeine.cache.stats.StatsCounter;
import java.util.concurrent.atomic.LongAdder;

/**
 * The statistics of a {@link CaffeineQueryCache}, counted by the cache itself rather than by
 * Caffeine: the cache's index upkeep runs {@code compute}s that Caffeine would count as loads and
 * misses. Caffeine's own calls are ignored except evictions; {@link #snapshot()} still feeds
 * {@code cache.stats()}, so Micrometer's {@code CaffeineCacheMetrics} publishes these numbers.
 */
final class QueryCacheStatsCounter implements StatsCounter {
    private final LongAdder hits = new LongAdder();
    private final LongAdder misses = new LongAdder();
    private final LongAdder loadSuccesses = new LongAdder();
    private final LongAdder loadFailures = new LongAdder();
    private final LongAdder totalLoadTime = new LongAdder();
    private final LongAdder evictions = new LongAdder();
    private final LongAdder evictionWeight = new LongAdder();

    void hit() {
        hits.increment();
    }

    void miss() {
        misses.increment();
    }

    void loadSucceeded(long nanos) {
        loadSuccesses.increment();
        totalLoadTime.add(nanos);
    }

    void loadFailed(long nanos) {
        loadFailures.increment();
        totalLoadTime.add(nanos);
    }

    @Override
    public void recordHits(int count) {
        // counted by the cache (see the class comment)
    }

    @Override
    public void recordMisses(int count) {
        // counted by the cache
    }

    @Override
    public void recordLoadSuccess(long loadTime) {
        // counted by the cache
    }

    @Override
    public void recordLoadFailure(long loadTime) {
        // counted by the cache
    }

    @Override
    public void recordEviction(int weight, RemovalCause cause) {
        evictions.increment();
        evictionWeight.add(weight);
    }

    @Override
    public CacheStats snapshot() {
        return CacheStats.of(
                hits.sum(),
                misses.sum(),
                loadSuccesses.sum(),
                loadFailures.sum(),
                totalLoadTime.sum(),
                evictions.sum(),
                evictionWeight.sum());
    }
}
