package dev.perfkit.monitor.micrometer;

import dev.perfkit.cache.CacheStats;
import dev.perfkit.memory.CollectionResult;
import dev.perfkit.memory.LeakReport;
import dev.perfkit.memory.MemorySnapshot;
import dev.perfkit.memory.MemoryTrend;
import dev.perfkit.monitor.Alert;
import dev.perfkit.monitor.AlertRule;
import dev.perfkit.monitor.Health;
import dev.perfkit.monitor.RequestReport;
import dev.perfkit.profile.IndexRecommendation;
import dev.perfkit.profile.NPlusOneWarning;
import dev.perfkit.profile.ProfilerStats;
import dev.perfkit.profile.QueryProfiler;
import dev.perfkit.profile.SlowQuery;
import io.micrometer.core.instrument.Measurement;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.Tag;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;

/*
 * The JSON documents of the monitor's endpoints, as maps (Jackson writes them). Every component is
 * read defensively: a component that throws while being read shows {"error": ...} in its document
 * and DOWN in /health, and the rest of the page still renders. Numbers that are not finite become
 * null, since JSON has no NaN. Query documents carry shapes only (the profiler never keeps literal
 * values), so nothing a user typed reaches these pages.
 */
final class Views {
    private static final double MB = MemorySnapshot.BYTES_PER_MB;
    private static final int LIST_LIMIT = 20;

    private Views() {}

    static Map<String, Object> status(MicrometerPerfMonitor monitor) {
        Map<String, Object> status = new LinkedHashMap<>();
        Health health = health(monitor);
        status.put("status", health.status().name());
        status.put("time", monitor.clock().instant().toString());
        status.put(
                "uptimeSeconds",
                Duration.between(monitor.started(), monitor.clock().instant()).toSeconds());
        status.put("mode", monitor.config().mode().name());
        status.put("monitor", monitor.meterTag());
        status.put("components", components(health));
        status.put("requests", requests(monitor));
        status.put("cache", cache(monitor));
        status.put("memory", memory(monitor));
        status.put("queries", queries(monitor));
        status.put("pool", pool(monitor));
        status.put("alerts", alertList(monitor.activeAlerts()));
        return status;
    }

    static Map<String, Object> healthDocument(Health health) {
        Map<String, Object> document = new LinkedHashMap<>();
        document.put("status", health.status().name());
        document.put("components", components(health));
        return document;
    }

    private static Map<String, Object> components(Health health) {
        Map<String, Object> components = new LinkedHashMap<>();
        health.components().forEach((name, component) -> {
            Map<String, Object> entry = new LinkedHashMap<>();
            entry.put("status", component.status().name());
            if (!component.detail().isEmpty()) {
                entry.put("detail", component.detail());
            }
            components.put(name, entry);
        });
        return components;
    }

    static Health health(MicrometerPerfMonitor monitor) {
        List<Alert> firing = monitor.activeAlerts();
        Map<String, String> componentOf = new LinkedHashMap<>();
        for (AlertRule rule : monitor.alertRules()) {
            componentOf.put(rule.name(), rule.component());
        }
        Map<String, Health.Component> components = new LinkedHashMap<>();
        Components sources = monitor.components();
        components.put(
                "cache",
                degraded(probe(sources.cache, cache -> cache.stats(), "cache", firing, componentOf), sources.cache));
        components.put(
                "memory", probe(sources.memory, memory -> memory.getMemoryUsage(), "memory", firing, componentOf));
        components.put(
                "queries", probe(sources.profiler, profiler -> profiler.getStats(), "queries", firing, componentOf));
        Components.Source<Object> pool = poolMeters(monitor).isEmpty()
                ? Components.Source.absent("no MongoDB client instrumented with MongoPerf.instrument")
                : Components.Source.of(Boolean.TRUE);
        components.put("pool", probe(pool, present -> present, "pool", firing, componentOf));
        components.put(
                "requests",
                probe(Components.Source.of(Boolean.TRUE), present -> present, "requests", firing, componentOf));
        boolean down = components.values().stream().anyMatch(c -> c.status() == Health.Status.DOWN);
        boolean degraded =
                !firing.isEmpty() || components.values().stream().anyMatch(c -> c.status() == Health.Status.DEGRADED);
        Health.Status overall = down ? Health.Status.DOWN : degraded ? Health.Status.DEGRADED : Health.Status.UP;
        return new Health(overall, components);
    }

    /** A cache that reports itself degraded (Redis away) is DEGRADED even without a firing alert. */
    private static Health.Component degraded(
            Health.Component component, Components.Source<dev.perfkit.cache.QueryCache> source) {
        if (component.status() != Health.Status.UP) {
            return component;
        }
        try {
            dev.perfkit.cache.QueryCache cache = source.get();
            String reason = cache == null ? "" : cache.degradedReason();
            return reason.isEmpty() ? component : new Health.Component(Health.Status.DEGRADED, reason);
        } catch (RuntimeException | LinkageError e) {
            return new Health.Component(Health.Status.DOWN, describe(e));
        }
    }

    private static <T> Health.Component probe(
            Components.Source<T> source,
            Function<T, Object> read,
            String component,
            List<Alert> firing,
            Map<String, String> componentOf) {
        T value;
        try {
            value = source.get();
            if (value == null) {
                return new Health.Component(Health.Status.ABSENT, source.absentReason());
            }
            Object unused = read.apply(value);
        } catch (RuntimeException | LinkageError e) {
            return new Health.Component(Health.Status.DOWN, describe(e));
        }
        List<String> messages = new ArrayList<>();
        for (Alert alert : firing) {
            if (component.equals(componentOf.get(alert.rule()))) {
                messages.add(alert.message());
            }
        }
        return messages.isEmpty()
                ? new Health.Component(Health.Status.UP, "")
                : new Health.Component(Health.Status.DEGRADED, String.join("; ", messages));
    }

    static Map<String, Object> requests(MicrometerPerfMonitor monitor) {
        RequestReport report = monitor.requestReport();
        Map<String, Object> document = report(report);
        document.put("windowSeconds", monitor.config().monitorRequestWindow().toSeconds());
        document.put("trackedNames", monitor.requests().trackedNames());
        Map<String, Object> byName = new LinkedHashMap<>();
        report.byName().forEach((name, named) -> byName.put(name, report(named)));
        document.put("byName", byName);
        return document;
    }

    private static Map<String, Object> report(RequestReport report) {
        Map<String, Object> document = new LinkedHashMap<>();
        document.put("requests", report.requests());
        document.put("requestsPerSecond", finite(report.requestsPerSecond()));
        document.put("averageMs", millis(report.averageResponseTime()));
        document.put("p50Ms", millis(report.p50()));
        document.put("p95Ms", millis(report.p95()));
        document.put("p99Ms", millis(report.p99()));
        document.put("errorRate", finite(report.errorRate()));
        document.put("totalRequests", report.totalRequests());
        return document;
    }

    static Map<String, Object> cache(MicrometerPerfMonitor monitor) {
        return read(monitor.components().cache, cache -> {
            CacheStats stats = cache.stats();
            Map<String, Object> document = new LinkedHashMap<>();
            document.put("hits", stats.hits());
            document.put("misses", stats.misses());
            document.put("requests", stats.requests());
            document.put("hitRatio", finite(stats.hitRatio()));
            document.put("size", stats.size());
            document.put("maxSize", cache.getMaxSize());
            document.put("evictions", stats.evictions());
            document.put("loadSuccesses", stats.loadSuccesses());
            document.put("loadFailures", stats.loadFailures());
            document.put("averageLoadMs", millis(stats.averageLoadTime()));
            document.put("shared", cache.isShared());
            document.put("degraded", cache.degradedReason());
            return document;
        });
    }

    static Map<String, Object> memory(MicrometerPerfMonitor monitor) {
        long limitMb = monitor.config().memoryLimitMb();
        return read(monitor.components().memory, memory -> {
            MemorySnapshot snapshot = memory.snapshot();
            double rssMb = memory.getMemoryUsage();
            Map<String, Object> document = new LinkedHashMap<>();
            document.put("rssMb", finite(rssMb));
            document.put("limitMb", limitMb);
            document.put("usagePercent", finite(rssMb * 100 / limitMb));
            document.put("heapUsedMb", finite(snapshot.heapUsedBytes() / MB));
            document.put("heapMaxMb", snapshot.heapMaxBytes() < 0 ? null : finite(snapshot.heapMaxBytes() / MB));
            document.put("systemAvailableMb", finite(snapshot.systemAvailableBytes() / MB));
            MemoryTrend trend = memory.trend();
            document.put("growthMbPerMinute", finite(trend.growthMbPerMinute()));
            document.put("samples", trend.samples().size());
            LeakReport leaks = memory.checkTrackedObjects();
            document.put("trackedObjects", leaks.trackedCount());
            document.put("leakSuspects", leaks.suspects().size());
            return document;
        });
    }

    static Map<String, Object> queries(MicrometerPerfMonitor monitor) {
        return read(monitor.components().profiler, profiler -> {
            ProfilerStats stats = profiler.getStats();
            Map<String, Object> document = new LinkedHashMap<>();
            document.put("totalQueries", stats.totalQueries());
            document.put("slowQueries", stats.slowQueries());
            document.put("slowThresholdMs", millis(profiler.getSlowThreshold()));
            document.put("averageMs", millis(stats.avgQueryTime()));
            document.put("p95Ms", millis(stats.p95()));
            document.put("errorRate", finite(stats.errorRate()));
            document.put("slowest", slowest(profiler));
            List<Object> nPlusOne = new ArrayList<>();
            for (NPlusOneWarning warning : limit(profiler.getNPlusOneWarnings())) {
                Map<String, Object> entry = new LinkedHashMap<>();
                entry.put("scope", warning.scope());
                entry.put("collection", warning.collection());
                entry.put("shape", warning.shape());
                entry.put("count", warning.count());
                entry.put("occurrences", warning.occurrences());
                entry.put("suggestion", warning.suggestion());
                nPlusOne.add(entry);
            }
            document.put("nPlusOne", nPlusOne);
            List<Object> indexes = new ArrayList<>();
            for (IndexRecommendation advice : limit(profiler.recommendIndexes())) {
                Map<String, Object> entry = new LinkedHashMap<>();
                entry.put("collection", advice.collection());
                entry.put("keys", advice.keysView());
                entry.put("reason", advice.reason());
                entry.put("queryCount", advice.queryCount());
                entry.put("totalMs", millis(advice.totalTime()));
                indexes.add(entry);
            }
            document.put("indexAdvice", indexes);
            return document;
        });
    }

    /** The slow queries kept by the profiler, grouped by shape: slowest shape first. */
    private static List<Object> slowest(QueryProfiler profiler) {
        Map<String, Map<String, Object>> byShape = new LinkedHashMap<>();
        for (SlowQuery query : profiler.getSlowQueries()) {
            String key = query.collection() + '\u0000' + query.operation() + '\u0000' + query.shape();
            Map<String, Object> entry = byShape.computeIfAbsent(key, k -> {
                Map<String, Object> created = new LinkedHashMap<>();
                created.put("collection", query.collection());
                created.put("operation", query.operation());
                created.put("shape", query.shape());
                created.put("count", 0L);
                created.put("durationMs", 0.0);
                created.put("failures", 0L);
                created.put("lastSeen", query.time().toString());
                return created;
            });
            entry.put("count", (Long) entry.get("count") + 1);
            entry.put("durationMs", Math.max((Double) entry.get("durationMs"), millis(query.duration())));
            if (!query.success()) {
                entry.put("failures", (Long) entry.get("failures") + 1);
            }
            if (query.time().toString().compareTo((String) entry.get("lastSeen")) > 0) {
                entry.put("lastSeen", query.time().toString());
            }
        }
        List<Map<String, Object>> sorted = new ArrayList<>(byShape.values());
        sorted.sort((a, b) -> Double.compare((Double) b.get("durationMs"), (Double) a.get("durationMs")));
        return new ArrayList<>(limit(sorted));
    }

    static Map<String, Object> pool(MicrometerPerfMonitor monitor) {
        Map<String, Object> document = new LinkedHashMap<>();
        List<Object> pools = new ArrayList<>();
        double max = Double.NaN;
        for (Meter meter : poolMeters(monitor)) {
            Map<String, Object> entry = new LinkedHashMap<>();
            for (Tag tag : meter.getId().getTags()) {
                entry.put(tag.getKey(), tag.getValue());
            }
            double utilization = Double.NaN;
            for (Measurement measurement : meter.measure()) {
                utilization = measurement.getValue();
            }
            entry.put("utilization", finite(utilization));
            pools.add(entry);
            if (!Double.isNaN(utilization) && (Double.isNaN(max) || utilization > max)) {
                max = utilization;
            }
        }
        document.put("present", !pools.isEmpty());
        document.put("maxUtilization", finite(max));
        document.put("pools", pools);
        return document;
    }

    private static List<Meter> poolMeters(MicrometerPerfMonitor monitor) {
        return new ArrayList<>(
                monitor.registry().find("perfkit.mongo.pool.utilization").meters());
    }

    static Map<String, Object> alerts(MicrometerPerfMonitor monitor) {
        Map<String, Object> document = new LinkedHashMap<>();
        document.put("alerts", alertList(monitor.activeAlerts()));
        List<Object> rules = new ArrayList<>();
        for (AlertRule rule : monitor.alertRules()) {
            Map<String, Object> entry = new LinkedHashMap<>();
            entry.put("rule", rule.name());
            entry.put("direction", rule.direction().name());
            entry.put("warning", finite(rule.warning()));
            entry.put("critical", finite(rule.critical()));
            entry.put("unit", rule.unit());
            entry.put("forSeconds", rule.forDuration().toSeconds());
            rules.add(entry);
        }
        document.put("rules", rules);
        return document;
    }

    private static List<Object> alertList(List<Alert> alerts) {
        List<Object> list = new ArrayList<>();
        for (Alert alert : alerts) {
            Map<String, Object> entry = new LinkedHashMap<>();
            entry.put("rule", alert.rule());
            entry.put("severity", alert.severity().name());
            entry.put("value", finite(alert.value()));
            entry.put("threshold", finite(alert.threshold()));
            entry.put("since", alert.since().toString());
            entry.put("message", alert.message());
            list.add(entry);
        }
        return list;
    }

    static Map<String, Object> metrics(MicrometerPerfMonitor monitor) {
        List<Object> meters = new ArrayList<>();
        for (Meter meter : monitor.registry().getMeters()) {
            Map<String, Object> entry = new LinkedHashMap<>();
            entry.put("name", meter.getId().getName());
            entry.put("type", meter.getId().getType().name());
            Map<String, String> tags = new LinkedHashMap<>();
            for (Tag tag : meter.getId().getTags()) {
                tags.put(tag.getKey(), tag.getValue());
            }
            entry.put("tags", tags);
            Map<String, Object> measurements = new LinkedHashMap<>();
            try {
                for (Measurement measurement : meter.measure()) {
                    measurements.put(
                            measurement.getStatistic().getTagValueRepresentation(), finite(measurement.getValue()));
                }
            } catch (RuntimeException e) {
                entry.put("error", describe(e));
            }
            entry.put("measurements", measurements);
            meters.add(entry);
        }
        Map<String, Object> document = new LinkedHashMap<>();
        document.put("meters", meters);
        return document;
    }

    static Map<String, Object> clearCache(MicrometerPerfMonitor monitor) {
        return read(monitor.components().cache, cache -> {
            long before = cache.stats().size();
            cache.clear();
            Map<String, Object> document = new LinkedHashMap<>();
            document.put("cleared", true);
            document.put("entriesBefore", before);
            return document;
        });
    }

    static Map<String, Object> collectGarbage(MicrometerPerfMonitor monitor) {
        return read(monitor.components().memory, memory -> {
            CollectionResult result = memory.forceCollection();
            Map<String, Object> document = new LinkedHashMap<>();
            document.put("freedMb", finite(result.freedBytes() / MB));
            document.put("durationMs", millis(result.duration()));
            document.put("collections", result.collections());
            document.put("heapBeforeMb", finite(result.heapBeforeBytes() / MB));
            document.put("heapAfterMb", finite(result.heapAfterBytes() / MB));
            return document;
        });
    }

    /** Reads a component into a document with "present": false when absent, "error" when it throws. */
    private static <T> Map<String, Object> read(Components.Source<T> source, Function<T, Map<String, Object>> read) {
        Map<String, Object> document = new LinkedHashMap<>();
        T component;
        try {
            component = source.get();
        } catch (RuntimeException | LinkageError e) {
            document.put("present", true);
            document.put("error", describe(e));
            return document;
        }
        if (component == null) {
            document.put("present", false);
            document.put("reason", source.absentReason());
            return document;
        }
        document.put("present", true);
        try {
            document.putAll(read.apply(component));
        } catch (RuntimeException | LinkageError e) {
            document.put("error", describe(e));
        }
        return document;
    }

    private static <T> List<T> limit(List<T> list) {
        return list.size() <= LIST_LIMIT ? list : list.subList(0, LIST_LIMIT);
    }

    static String describe(Throwable e) {
        String message = e.getMessage();
        return e.getClass().getSimpleName() + (message == null ? "" : ": " + message);
    }

    private static Double finite(double value) {
        return Double.isFinite(value) ? value : null;
    }

    private static double millis(Duration duration) {
        return duration.toNanos() / 1e6;
    }
}
