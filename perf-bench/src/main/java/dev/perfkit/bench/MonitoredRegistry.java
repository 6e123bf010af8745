package dev.perfkit.bench;

import dev.perfkit.PerfConfig;
import dev.perfkit.cache.caffeine.CaffeineQueryCache;
import dev.perfkit.db.MicrometerQueryProfiler;
import dev.perfkit.memory.MemoryPressureRegistry;
import dev.perfkit.memory.oshi.OshiMemoryManager;
import dev.perfkit.monitor.micrometer.MicrometerPerfMonitor;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.time.Duration;
import java.util.Map;

/**
 * A Prometheus registry holding what a busy bot's perfkit publishes: a query cache, a profiler over
 * 10 collections × 4 operations, a memory manager, three MongoDB pools and a monitor with 50 request
 * names. What the scrape figure of perf-test and {@link MonitorScrapeBenchmark} scrape.
 */
public final class MonitoredRegistry implements AutoCloseable {
    private final PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    private final CaffeineQueryCache cache;
    private final MicrometerQueryProfiler profiler;
    private final OshiMemoryManager memory;
    private final MicrometerPerfMonitor monitor;

    /** Fills the registry. */
    public MonitoredRegistry() {
        PerfConfig config = PerfConfig.builder()
                .meterRegistry(registry)
                .performanceMonitoringEnabled(false)
                .build();
        cache = CaffeineQueryCache.create(config);
        profiler = MicrometerQueryProfiler.create(config);
        memory = OshiMemoryManager.builder()
                .config(config)
                .pressureRegistry(MemoryPressureRegistry.create())
                .backgroundSampling(false)
                .build();
        monitor = MicrometerPerfMonitor.builder(config)
                .queryCache(cache)
                .queryProfiler(profiler)
                .memoryManager(memory)
                .build();
        for (int i = 0; i < 1_000; i++) {
            cache.set("k" + i, i);
            Object unused = cache.get("k" + (i * 7));
        }
        String[] operations = {"find", "update", "insert", "delete"};
        for (int c = 0; c < 10; c++) {
            for (String operation : operations) {
                profiler.recordQuery(
                        "collection" + c, operation, Map.of("user_id", c), Duration.ofMillis(1 + c), c != 3, 1);
            }
        }
        for (int p = 0; p < 3; p++) {
            Gauge.builder("perfkit.mongo.pool.utilization", () -> 0.25)
                    .tag("cluster", "cluster-" + p)
                    .register(registry);
        }
        for (int n = 0; n < 50; n++) {
            for (int i = 0; i < 20; i++) {
                monitor.recordRequest("command-" + n, Duration.ofMillis(1 + i), i != 0);
            }
        }
    }

    /** Returns the scrape text. */
    public String scrape() {
        return registry.scrape();
    }

    /** Returns how many meters the registry holds. */
    public int meterCount() {
        return registry.getMeters().size();
    }

    @Override
    public void close() {
        monitor.close();
        memory.close();
        profiler.close();
        cache.close();
        registry.close();
    }
}
