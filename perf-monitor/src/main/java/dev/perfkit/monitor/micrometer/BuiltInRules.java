package dev.perfkit.monitor.micrometer;

import dev.perfkit.PerfConfig;
import dev.perfkit.cache.CacheStats;
import dev.perfkit.cache.QueryCache;
import dev.perfkit.memory.MemoryManager;
import dev.perfkit.monitor.AlertRule;
import dev.perfkit.profile.QueryProfiler;
import dev.perfkit.profile.SlowQuery;
import io.micrometer.core.instrument.MeterRegistry;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.function.DoubleSupplier;

/*
 * The seeds' alerts (seed 003's list, seed 002's target / critical table), with thresholds from
 * PerfConfig. Every value is in a unit people read: percent, milliseconds or megabytes.
 */
final class BuiltInRules {
    static final String POOL_UTILIZATION = "pool_utilization";
    static final String CACHE_HIT_RATIO = "cache_hit_ratio";
    static final String MEMORY_USAGE = "memory_usage";
    static final String MEMORY_RSS = "memory_rss";
    static final String SLOW_QUERIES = "slow_queries";
    static final String ERROR_RATE = "error_rate";
    static final String RESPONSE_TIME = "response_time";
    static final String CACHE_DEGRADED = "cache_degraded";

    private BuiltInRules() {}

    static List<AlertRule> create(
            PerfConfig config, Components components, RequestStats requests, MeterRegistry registry, Clock clock) {
        Duration hold = config.alertFor();
        double hysteresis = config.alertHysteresisPercent() / 100.0;
        DoubleSupplier pool = AlertRule.meter(registry, "perfkit.mongo.pool.utilization");
        return List.of(
                AlertRule.above(POOL_UTILIZATION, () -> pool.getAsDouble() * 100)
                        .warning(config.alertPoolUtilizationWarning())
                        .critical(config.alertPoolUtilizationCritical())
                        .forDuration(hold)
                        .hysteresis(hysteresis)
                        .unit("%")
                        .component("pool")
                        .build(),
                AlertRule.below(CACHE_HIT_RATIO, new IntervalHitRatio(components, config.alertCacheMinLookups()))
                        .warning(config.alertCacheHitRatioWarning())
                        .critical(config.alertCacheHitRatioCritical())
                        .forDuration(hold)
                        .hysteresis(hysteresis)
                        .unit("%")
                        .component("cache")
                        .build(),
                AlertRule.above(MEMORY_USAGE, () -> {
                            MemoryManager memory = components.memory.get();
                            return memory == null ? Double.NaN : memory.getMemoryUsage() * 100 / config.memoryLimitMb();
                        })
                        .warning(config.alertMemoryWarningPercent())
                        .critical(config.alertMemoryCriticalPercent())
                        .forDuration(hold)
                        .hysteresis(hysteresis)
                        .unit("%")
                        .component("memory")
                        .build(),
                AlertRule.above(MEMORY_RSS, () -> {
                            MemoryManager memory = components.memory.get();
                            return memory == null ? Double.NaN : memory.getMemoryUsage();
                        })
                        .warning(config.alertRssWarningMb())
                        .critical(config.alertRssCriticalMb())
                        .forDuration(hold)
                        .hysteresis(hysteresis)
                        .unit("MB")
                        .component("memory")
                        .build(),
                // One slow query is the event itself: fire at once, resolve when the window holds none.
                AlertRule.above(SLOW_QUERIES, () -> slowestRecent(components, clock, config.monitorRequestWindow()))
                        .warning(config.alertSlowQueryWarning().toMillis())
                        .critical(config.alertSlowQueryCritical().toMillis())
                        .hysteresis(hysteresis)
                        .unit("ms")
                        .component("queries")
                        .build(),
                AlertRule.above(ERROR_RATE, () -> {
                            RequestStats.Window window = requests.overallWindow();
                            return window.count() < Math.max(1, config.alertMinRequests())
                                    ? Double.NaN
                                    : 100.0 * window.errors() / window.count();
                        })
                        .warning(config.alertErrorRateWarning())
                        .critical(config.alertErrorRateCritical())
                        .forDuration(hold)
                        .hysteresis(hysteresis)
                        .unit("%")
                        .component("requests")
                        .build(),
                AlertRule.above(RESPONSE_TIME, () -> {
                            RequestStats.Window window = requests.overallWindow();
                            return window.count() < Math.max(1, config.alertMinRequests())
                                    ? Double.NaN
                                    : window.percentileNanos(0.95) / 1e6;
                        })
                        .warning(config.alertResponseTimeWarning().toMillis())
                        .critical(config.alertResponseTimeCritical().toMillis())
                        .forDuration(hold)
                        .hysteresis(hysteresis)
                        .unit("ms")
                        .component("requests")
                        .build(),
                // A cache working below its configuration (the two-level cache with Redis away):
                // instances cannot hear each other's writes. 1 while degraded.
                AlertRule.above(CACHE_DEGRADED, () -> {
                            QueryCache cache = components.cache.get();
                            return cache == null
                                    ? Double.NaN
                                    : cache.degradedReason().isEmpty() ? 0 : 1;
                        })
                        .warning(0.5)
                        .forDuration(hold)
                        .hysteresis(0)
                        .component("cache")
                        .build());
    }

    /** The slowest query recorded within the window, in ms; 0 when none, NaN without a profiler. */
    static double slowestRecent(Components components, Clock clock, Duration window) {
        QueryProfiler profiler = components.profiler.get();
        if (profiler == null) {
            return Double.NaN;
        }
        Instant since = clock.instant().minus(window);
        double slowest = 0;
        for (SlowQuery query : profiler.getSlowQueries()) {
            if (query.time().isAfter(since)) {
                slowest = Math.max(slowest, query.duration().toNanos() / 1e6);
            }
        }
        return slowest;
    }

    /*
     * The hit ratio of the lookups made since the previous evaluation (not since start-up, which
     * would hide a collapse behind hours of history); NaN while fewer than minLookups were made.
     * Only the alert engine calls it, under its evaluation lock.
     */
    private static final class IntervalHitRatio implements DoubleSupplier {
        private final Components components;
        private final int minLookups;
        private long lastHits = -1;
        private long lastMisses = -1;

        IntervalHitRatio(Components components, int minLookups) {
            this.components = components;
            this.minLookups = Math.max(1, minLookups);
        }

        @Override
        public double getAsDouble() {
            QueryCache cache = components.cache.get();
            if (cache == null) {
                return Double.NaN;
            }
            CacheStats stats = cache.stats();
            long hits = stats.hits() - Math.max(0, lastHits);
            long misses = stats.misses() - Math.max(0, lastMisses);
            if (hits < 0 || misses < 0) { // counters reset (a new cache): start over
                hits = stats.hits();
                misses = stats.misses();
            }
            if (hits + misses < minLookups) {
                return Double.NaN; // keep accumulating until there is enough to judge
            }
            lastHits = stats.hits();
            lastMisses = stats.misses();
            return 100.0 * hits / (hits + misses);
        }
    }
}
