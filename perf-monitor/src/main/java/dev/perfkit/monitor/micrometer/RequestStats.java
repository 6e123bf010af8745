package dev.perfkit.monitor.micrometer;

import dev.perfkit.monitor.PerfMonitor;
import dev.perfkit.monitor.RequestReport;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.FunctionTimer;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.TimeGauge;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.LongAdder;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.LongSupplier;
import org.HdrHistogram.Histogram;
import org.HdrHistogram.Recorder;

/*
 * The request monitor's numbers. Per request name:
 *
 *  - HdrHistogram Recorders of every request and of failed ones (microseconds, two significant digits): the writer side costs a few
 *    atomic increments and no allocation. The first request of each slot (a sixth of the window),
 *    or a reader, files what the recorder holds under the slot it was recorded in; percentiles
 *    come from the slots still inside the window, and so do the counts, the rate, the mean and the
 *    error rate;
 *  - exact cumulative totals (LongAdders).
 *
 * Nothing is recorded twice: the overall report sums the names' windows and merges their
 * histograms when it is read. The host's registry gets function meters over these numbers, which
 * cost nothing per request:
 *
 *   perfkit.requests{name,monitor}                     FunctionTimer: count and total time
 *   perfkit.requests.errors{name,monitor}              FunctionCounter
 *   perfkit.requests.latency{name,monitor,percentile}  TimeGauge: windowed p50, p95, p99
 *   perfkit.requests.overall.latency{monitor,percentile}
 *
 * Names are capped: past maxNames, or longer than MAX_NAME_LENGTH, a name counts as "other".
 */
final class RequestStats implements AutoCloseable {
    static final int MAX_NAME_LENGTH = 64;
    private static final double[] PERCENTILES = {0.5, 0.95, 0.99};
    private static final int SLOTS = 6;
    private static final long MAX_MICROS = TimeUnit.HOURS.toMicros(24);
    /**
     * How long the latency gauges reuse a window: a scrape reads three percentiles of each name,
     * and Prometheus scrapes every 15 s or so. Reports and alert evaluations always read afresh.
     */
    private static final long GAUGE_REUSE_NANOS = TimeUnit.SECONDS.toNanos(1);

    private final int maxNames;
    private final long slotNanos;
    private final LongSupplier nanoTicker;
    private final long startNanos;
    private final MeterRegistry host;
    private final String monitorTag;
    private final ConcurrentHashMap<String, Stats> byName = new ConcurrentHashMap<>();
    private final Stats other;
    private final List<Meter> hostMeters = new ArrayList<>();
    private final Object overallLock = new Object();
    private Window overall; // for the gauges; guarded by overallLock
    private long overallAt = Long.MIN_VALUE;

    RequestStats(int maxNames, Duration window, LongSupplier nanoTicker, MeterRegistry host, String monitorTag) {
        this.maxNames = maxNames;
        this.slotNanos = window.toNanos() / SLOTS;
        this.nanoTicker = nanoTicker;
        this.startNanos = nanoTicker.getAsLong();
        this.host = host;
        this.monitorTag = monitorTag;
        registerLatency("perfkit.requests.overall.latency", null, percentile -> overallPercentileNanos(percentile));
        this.other = stats(PerfMonitor.OTHER);
    }

    /** Records one request. Allocation-free once the name is known. */
    void record(String name, long nanos, boolean success) {
        Stats stats = byName.get(name);
        if (stats == null) {
            stats = statsForNewName(name);
        }
        stats.record(nanoTicker.getAsLong(), nanos, success);
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
        Stats stats = new Stats(name);
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
        registerLatency("perfkit.requests.latency", name, stats::percentileNanos);
        return stats;
    }

    private void registerLatency(String meterName, String name, PercentileReader reader) {
        synchronized (hostMeters) {
            for (double percentile : PERCENTILES) {
                TimeGauge.Builder<PercentileReader> builder = TimeGauge.builder(
                                meterName, reader, TimeUnit.NANOSECONDS, r -> r.nanos(percentile))
                        .description("Request latency percentile over the monitor's window")
                        .tags("monitor", monitorTag, "percentile", Double.toString(percentile));
                if (name != null) {
                    builder.tag("name", name);
                }
                hostMeters.add(builder.register(host));
            }
        }
    }

    /** Reads one percentile, in nanoseconds. */
    @FunctionalInterface
    private interface PercentileReader {
        double nanos(double percentile);
    }

    RequestReport report() {
        long now = nanoTicker.getAsLong();
        double seconds = coveredSeconds(now);
        // One pass: each name's window, merged into the overall one as it goes.
        Histogram overallAll = new Histogram(2);
        Histogram overallFailed = new Histogram(2);
        record Named(String name, RequestReport report) {}
        List<Named> named = new ArrayList<>();
        long total = 0;
        for (Stats stats : byName.values()) {
            Histogram all = new Histogram(2);
            Histogram failed = new Histogram(2);
            stats.addTo(all, failed, now);
            overallAll.add(all);
            overallFailed.add(failed);
            long totalRequests = stats.total.sum();
            total += totalRequests;
            if (totalRequests > 0) {
                named.add(new Named(stats.name, report(Window.of(all, failed), seconds, totalRequests, Map.of())));
            }
        }
        named.sort(Comparator.comparingLong((Named n) -> -n.report().requests()).thenComparing(Named::name));
        Map<String, RequestReport> byNameReport = new LinkedHashMap<>();
        named.forEach(n -> byNameReport.put(n.name(), n.report()));
        return report(Window.of(overallAll, overallFailed), seconds, total, byNameReport);
    }

    private static RequestReport report(
            Window window, double seconds, long totalRequests, Map<String, RequestReport> named) {
        long count = window.count();
        return new RequestReport(
                count,
                count / seconds,
                Duration.ofNanos((long) window.meanNanos()),
                Duration.ofNanos((long) window.percentileNanos(0.5)),
                Duration.ofNanos((long) window.percentileNanos(0.95)),
                Duration.ofNanos((long) window.percentileNanos(0.99)),
                count == 0 ? 0 : Math.min(1.0, (double) window.errors() / count),
                totalRequests,
                named);
    }

    /** Everything recorded within the window over every name, for the error-rate and response-time rules. */
    Window overallWindow() {
        return overallWindow(nanoTicker.getAsLong());
    }

    /** The overall p95 in milliseconds. */
    double p95Millis() {
        return overallWindow().percentileNanos(0.95) / 1e6;
    }

    private Window overallWindow(long now) {
        Histogram all = new Histogram(2);
        Histogram failed = new Histogram(2);
        for (Stats stats : byName.values()) {
            stats.addTo(all, failed, now);
        }
        return Window.of(all, failed);
    }

    /** For the overall latency gauges: one merge per scrape, as for the names'. */
    private double overallPercentileNanos(double percentile) {
        long now = nanoTicker.getAsLong();
        synchronized (overallLock) {
            if (overall == null || now - overallAt > GAUGE_REUSE_NANOS || now < overallAt) {
                overall = overallWindow(now);
                overallAt = now;
            }
            return overall.percentileNanos(percentile);
        }
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
    }

    /**
     * What a name (or all names) recorded within the window, computed once: HdrHistogram's
     * histograms are not safe to read from several threads, so readers never share one.
     */
    record Window(long count, long errors, double meanNanos, double p50Nanos, double p95Nanos, double p99Nanos) {
        static Window of(Histogram all, Histogram failures) {
            long count = all.getTotalCount();
            if (count == 0) {
                return new Window(0, failures.getTotalCount(), 0, 0, 0, 0);
            }
            return new Window(
                    count,
                    failures.getTotalCount(),
                    all.getMean() * 1_000,
                    all.getValueAtPercentile(50) * 1_000.0,
                    all.getValueAtPercentile(95) * 1_000.0,
                    all.getValueAtPercentile(99) * 1_000.0);
        }

        double percentileNanos(double percentile) {
            return percentile == 0.5 ? p50Nanos : percentile == 0.95 ? p95Nanos : p99Nanos;
        }
    }

    /** The time the window's slots cover now: up to the window, less while the monitor is young. */
    private double coveredSeconds(long now) {
        long slot = Math.floorDiv(now, slotNanos);
        long covered = (SLOTS - 1) * slotNanos + (now - slot * slotNanos);
        return Math.max(1e-3, Math.min(covered, now - startNanos) / 1e9);
    }

    private final class Stats {
        final String name;
        final Recorder recorder = new Recorder(2); // every request, in microseconds
        final Recorder failures = new Recorder(2); // failed requests only
        final LongAdder total = new LongAdder();
        final LongAdder errorsTotal = new LongAdder();
        final LongAdder totalNanos = new LongAdder();
        private final ReentrantLock lock = new ReentrantLock();
        private volatile long harvestedSlot = Long.MIN_VALUE; // the slot the recorders' pending values belong to
        // Guarded by lock:
        private final Histogram[] slots = new Histogram[SLOTS];
        private final Histogram[] failureSlots = new Histogram[SLOTS];
        private final long[] slotIds = new long[SLOTS];
        private Histogram interval;
        private Histogram failureInterval;
        private Window gaugeWindow;
        private long gaugeWindowAt = Long.MIN_VALUE;

        Stats(String name) {
            this.name = name;
            for (int i = 0; i < SLOTS; i++) {
                slots[i] = new Histogram(2);
                failureSlots[i] = new Histogram(2);
                slotIds[i] = Long.MIN_VALUE;
            }
        }

        void record(long now, long nanos, boolean success) {
            long slot = Math.floorDiv(now, slotNanos);
            // First request of a new slot: file what was recorded before under the slot it was
            // recorded in. If another thread holds the lock, it is doing just that.
            if (slot != harvestedSlot && lock.tryLock()) {
                try {
                    harvest(slot);
                } finally {
                    lock.unlock();
                }
            }
            long micros = Math.min(nanos / 1_000, MAX_MICROS);
            recorder.recordValue(micros);
            total.increment();
            totalNanos.add(nanos);
            if (!success) {
                failures.recordValue(micros);
                errorsTotal.increment();
            }
        }

        /*
         * Moves the recorders' pending values into the slot they were recorded in (harvestedSlot:
         * any request recorded in a later slot would have harvested first), then moves on to the
         * current slot. Called with the lock held.
         */
        private void harvest(long currentSlot) {
            // Before the first harvest, values recorded by threads racing it belong to now.
            long pendingSlot = harvestedSlot == Long.MIN_VALUE ? currentSlot : harvestedSlot;
            interval = recorder.getIntervalHistogram(interval);
            failureInterval = failures.getIntervalHistogram(failureInterval);
            if (interval.getTotalCount() + failureInterval.getTotalCount() > 0) {
                int index = (int) Math.floorMod(pendingSlot, (long) SLOTS);
                if (slotIds[index] != pendingSlot) {
                    slots[index].reset();
                    failureSlots[index].reset();
                    slotIds[index] = pendingSlot;
                }
                slots[index].add(interval);
                failureSlots[index].add(failureInterval);
            }
            if (currentSlot > harvestedSlot) {
                harvestedSlot = currentSlot;
            }
        }

        /** For the latency gauges: a window at most GAUGE_REUSE old, so one scrape merges once. */
        double percentileNanos(double percentile) {
            long now = nanoTicker.getAsLong();
            lock.lock();
            try {
                if (gaugeWindow == null || now - gaugeWindowAt > GAUGE_REUSE_NANOS || now < gaugeWindowAt) {
                    gaugeWindow = window(now);
                    gaugeWindowAt = now;
                }
                return gaugeWindow.percentileNanos(percentile);
            } finally {
                lock.unlock();
            }
        }

        /** What was recorded within the window, as of now. */
        Window window(long now) {
            lock.lock();
            try {
                Histogram all = new Histogram(2);
                Histogram failed = new Histogram(2);
                addTo(all, failed, now);
                return Window.of(all, failed);
            } finally {
                lock.unlock();
            }
        }

        /** Adds what was recorded within the window to the given histograms. */
        void addTo(Histogram all, Histogram failed, long now) {
            lock.lock();
            try {
                long slot = Math.floorDiv(now, slotNanos);
                harvest(slot);
                for (int i = 0; i < SLOTS; i++) {
                    if (slotIds[i] > slot - SLOTS && slotIds[i] <= slot) {
                        all.add(slots[i]);
                        failed.add(failureSlots[i]);
                    }
                }
            } finally {
                lock.unlock();
            }
        }
    }
}
