package dev.perfkit.cache;

import java.time.Duration;

/**
 * A snapshot of a {@link QueryCache}'s counters.
 *
 * @param hits lookups that found a value
 * @param misses lookups that found nothing (including those that then loaded)
 * @param hitRatio {@code hits / (hits + misses)}, 1.0 when there were no lookups
 * @param evictions entries removed by the size bound or expiry (not by invalidation)
 * @param size entries currently held (approximate while writes are in flight)
 * @param loadSuccesses loads that produced a value
 * @param loadFailures loads that threw or produced null
 * @param totalLoadTime time spent loading
 */
public record CacheStats(
        long hits,
        long misses,
        double hitRatio,
        long evictions,
        long size,
        long loadSuccesses,
        long loadFailures,
        Duration totalLoadTime) {

    /** Returns {@code hits + misses}. */
    public long requests() {
        return hits + misses;
    }

    /** Returns {@code loadSuccesses + loadFailures}. */
    public long loads() {
        return loadSuccesses + loadFailures;
    }

    /** Returns the mean time of a load, zero when nothing was loaded. */
    public Duration averageLoadTime() {
        long loads = loads();
        return loads == 0 ? Duration.ZERO : totalLoadTime.dividedBy(loads);
    }
}
