package dev.perfkit.monitor.micrometer;

import dev.perfkit.monitor.PerfMonitor;
import dev.perfkit.monitor.RequestReport;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.FunctionTimer;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.TimeGauge;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.distribution.HistogramSnapshot;
import io.micrometer.core.instrument.distribution.ValueAtPercentile;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.LongSupplier;

/*
 * The request monitor's numbers. Per request name: a sliding window (rate, mean, error rate), a
 * Micrometer Timer with client-side percentiles decaying over the window (p50/p95/p99), and exact
 * cumulative totals. The timers live on a private SimpleMeterRegistry, so the report works whatever
 * the host's registry is (the global composite without children records nothing); the host's
 * registry gets function meters over these numbers instead, which cost nothing per request:
 *
 *   perfkit.requests{name,monitor}                   FunctionTimer: count and total time
 *   perfkit.requests.errors{name,monitor}            FunctionCounter
 *   perfkit.requests.latency{name,monitor,percentile}  TimeGauge: windowed p50, p95, p99
 *   perfkit.requests.overall.latency{monitor,percentile}
 *
 * Names are capped: past maxNames, or longer than MAX_NAME_LENGTH, a name counts as "other".
 */
final class RequestStats implements AutoCloseable {
    static final int MAX_NAME_LENGTH = 64;
    private static final double[] PERCENTILES = {0.5, 0.95, 0.99};

    private final int maxNames;
    private final Duration window;
    private final LongSupplier nanoTicker;
    private final long startNanos;
    private final SimpleMeterRegistry timers;
    private final MeterRegistry host;
    private final String monitorTag;
    private final ConcurrentHashMap<String, Stats> byName = new ConcurrentHashMap<>();
    private final Stats overall;
    private final Stats other;
    private final List<Meter> hostMeters = new ArrayList<>();

    RequestStats(
            int maxNames,
            Duration window,
            LongSupplier nanoTicker,
            io.micrometer.core.instrument.Clock clock,
            MeterRegistry host,
            String monitorTag) {
        this.maxNames = maxNames;
        this.window = window;
        this.nanoTicker = nanoTicker;
        this.startNanos = nanoTicker.getAsLong();
        this.timers = new SimpleMeterRegistry(io.micrometer.core.instrument.simple.SimpleConfig.DEFAULT, clock);
        this.host = host;
        this.monitorTag = monitorTag;
        this.overall = new Stats("", timer("all"));
        registerLatency("perfkit.requests.overall.latency", null, overall);
        this.other = stats(PerfMonitor.OTHER);
    }

    private Timer timer(String name) {
        return Timer.builder("requests")
                .tag("name", name)
                .publishPercentiles(PERCENTILES)
                .percentilePrecision(2)
                .distributionStatisticExpiry(window)
                .distributionStatisticBufferLength(3)
                .register(timers);
    }

    /** Records one request. Allocation-free once the name is known. */
    void record(String name, long nanos, boolean success) {
        Stats stats = byName.get(name);
        if (stats == null) {
            stats = statsForNewName(name);
        }
        long now = nanoTicker.getAsLong();
        stats.record(now, nanos, success);
        overall.record(now, nanos, success);
    }

    private Stats statsForNewName(String name) {
        if (name.length() > MAX_NAME_LENGTH || byName.size() > maxNames) {
            return other;
        }
        synchronized (byName) {
            Stats existing = byName.get(name);
            if (existing != null) {
                return existing;
            }
            if (byName.size() > maxNames) {
                return other;
            }
            return stats(name);
        }
    }

    // Called with byName locked, or from the constructor.
    private Stats stats(String name) {
        Stats stats = new Stats(name, timer(name));
        byName.put(name, stats);
        synchronized (hostMeters) {
            hostMeters.add(FunctionTimer.builder(
                            "perfkit.requests",
                            stats,
                            s -> s.total.sum(),
                            s -> s.totalNanos.sum(),
                            TimeUnit.NANOSECONDS)
                    .description("Requests recorded by the perfkit monitor")
                    .tags("name", name, "monitor", monitorTag)
                    .register(host));
            hostMeters.add(FunctionCounter.builder("perfkit.requests.errors", stats, s -> s.errorsTotal.sum())
                    .description("Failed requests recorded by the perfkit monitor")
                    .tags("name", name, "monitor", monitorTag)
                    .register(host));
        }
        registerLatency("perfkit.requests.latency", name, stats);
        return stats;
    }

    private void registerLatency(String meterName, String name, Stats stats) {
        synchronized (hostMeters) {
            for (double percentile : PERCENTILES) {
                TimeGauge.Builder<Stats> builder = TimeGauge.builder(
                                meterName, stats, TimeUnit.NANOSECONDS, s -> s.percentileNanos(percentile))
                        .description("Request latency percentile over the monitor's window")
                        .tags("monitor", monitorTag, "percentile", Double.toString(percentile));
                if (name != null) {
                    builder.tag("name", name);
                }
                hostMeters.add(builder.register(host));
            }
        }
    }

    RequestReport report() {
        long now = nanoTicker.getAsLong();
        List<Stats> all = new ArrayList<>(byName.values());
        List<RequestReport> reports = new ArrayList<>();
        for (Stats stats : all) {
            reports.add(stats.report(now, Map.of()));
        }
        List<Integer> order = new ArrayList<>();
        for (int i = 0; i < all.size(); i++) {
            order.add(i);
        }
        order.sort(Comparator.comparingLong((Integer i) -> -reports.get(i).requests())
                .thenComparing(i -> all.get(i).name));
        Map<String, RequestReport> named = new LinkedHashMap<>();
        for (int i : order) {
            if (reports.get(i).totalRequests() > 0) {
                named.put(all.get(i).name, reports.get(i));
            }
        }
        return overall.report(now, named);
    }

    /** Requests and failures in the window, for the error-rate and response-time rules. */
    SlidingWindow.Totals windowTotals() {
        return overall.window.totals(nanoTicker.getAsLong());
    }

    /** The overall p95 in milliseconds. */
    double p95Millis() {
        return overall.percentileNanos(0.95) / 1e6;
    }

    int trackedNames() {
        return byName.size();
    }

    @Override
    public void close() {
        synchronized (hostMeters) {
            hostMeters.forEach(host::remove);
            hostMeters.clear();
        }
        timers.close();
    }

    private final class Stats {
        final String name;
        final Timer timer;
        final SlidingWindow window;
        final LongAdder total = new LongAdder();
        final LongAdder errorsTotal = new LongAdder();
        final LongAdder totalNanos = new LongAdder();

        Stats(String name, Timer timer) {
            this.name = name;
            this.timer = timer;
            this.window = new SlidingWindow((int) RequestStats.this.window.toSeconds());
        }

        void record(long now, long nanos, boolean success) {
            window.record(now, nanos, success);
            timer.record(nanos, TimeUnit.NANOSECONDS);
            total.increment();
            totalNanos.add(nanos);
            if (!success) {
                errorsTotal.increment();
            }
        }

        double percentileNanos(double percentile) {
            for (ValueAtPercentile value : timer.takeSnapshot().percentileValues()) {
                if (value.percentile() == percentile) {
                    return value.value(TimeUnit.NANOSECONDS);
                }
            }
            return 0;
        }

        RequestReport report(long now, Map<String, RequestReport> named) {
            SlidingWindow.Totals totals = window.totals(now);
            double elapsedSeconds = Math.max(1e-9, (now - startNanos) / 1e9);
            double seconds = Math.min(window.seconds(), Math.max(1, elapsedSeconds));
            HistogramSnapshot snapshot = timer.takeSnapshot();
            Duration p50 = Duration.ZERO;
            Duration p95 = Duration.ZERO;
            Duration p99 = Duration.ZERO;
            for (ValueAtPercentile value : snapshot.percentileValues()) {
                Duration at = Duration.ofNanos((long) value.value(TimeUnit.NANOSECONDS));
                if (value.percentile() == 0.5) {
                    p50 = at;
                } else if (value.percentile() == 0.95) {
                    p95 = at;
                } else if (value.percentile() == 0.99) {
                    p99 = at;
                }
            }
            return new RequestReport(
                    totals.count(),
                    totals.count() / seconds,
                    totals.count() == 0 ? Duration.ZERO : Duration.ofNanos(totals.nanos() / totals.count()),
                    p50,
                    p95,
                    p99,
                    totals.count() == 0 ? 0 : (double) totals.errors() / totals.count(),
                    total.sum(),
                    named);
        }
    }
}
