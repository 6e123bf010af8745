package dev.perfkit.memory.oshi;

import static java.util.Objects.requireNonNull;

import dev.perfkit.PerfConfig;
import dev.perfkit.internal.MeterOwnership;
import dev.perfkit.internal.Meters;
import dev.perfkit.memory.CollectionResult;
import dev.perfkit.memory.LeakReport;
import dev.perfkit.memory.MemoryManager;
import dev.perfkit.memory.MemoryOptimizationResult;
import dev.perfkit.memory.MemoryPressureLevel;
import dev.perfkit.memory.MemoryPressureRegistry;
import dev.perfkit.memory.MemoryReport;
import dev.perfkit.memory.MemorySample;
import dev.perfkit.memory.MemoryScope;
import dev.perfkit.memory.MemoryScopeReport;
import dev.perfkit.memory.MemorySnapshot;
import dev.perfkit.memory.MemoryTrend;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.MeterRegistry;
import java.lang.management.GarbageCollectorMXBean;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryMXBean;
import java.lang.management.ThreadMXBean;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import oshi.SystemInfo;
import oshi.hardware.GlobalMemory;
import oshi.software.os.OSProcess;

/**
 * A {@link MemoryManager} on OSHI (process RSS, system memory) and the JVM's management beans
 * (heap, collections, per-thread allocation).
 *
 * <pre>{@code
 * MemoryManager memory = OshiMemoryManager.create(PerfConfig.fromEnvironment());   // for injection
 * OshiMemoryManager custom = OshiMemoryManager.builder()
 *         .config(config)
 *         .pressureRegistry(registry)      // the caches it may ask to shrink
 *         .build();
 * }</pre>
 *
 * <p>{@code Perf.getMemoryManager()} returns one of these when this module is on the class path.
 * It starts one daemon thread, {@code perfkit-memory}, that samples memory every {@code
 * MEMORY_SAMPLE_INTERVAL} for {@link #trend()} and relieves pressure when RSS crosses {@code
 * MEMORY_LIMIT_MB}; {@link #close()} stops it. Thread-safe.
 */
public final class OshiMemoryManager implements MemoryManager {
    /*
     * Design notes.
     *
     * RSS: OSHI reads /proc (or the platform's equivalent) on every updateAttributes(), tens of
     * microseconds. getMemoryUsage() reuses the last reading for MEMORY_READ_CACHE_MS: the cached
     * path is a nanoTime and two volatile reads. One thread refreshes at a time (tryLock); the
     * others keep using the previous reading meanwhile.
     *
     * Collections: perfkit calls System.gc() only from forceCollection() and from pressure relief,
     * and relief collects at most once per GC_MIN_INTERVAL unless forced.
     *
     * Limit: each sample checks RSS against MEMORY_LIMIT_MB. Crossing it starts an episode: relief
     * runs once and one line is logged; the episode ends when RSS falls below 90% of the limit, so
     * RSS hovering around the limit does not relieve (and log) on every sample.
     */
    private static final Logger log = LoggerFactory.getLogger(OshiMemoryManager.class);
    private static final double MB = MemorySnapshot.BYTES_PER_MB;

    private final PerfConfig config;
    private final MemoryPressureRegistry pressureRegistry;
    private final Supplier<MemorySample> sampleSource;
    private final long readCacheNanos;
    private final long gcMinIntervalNanos;
    private final long memoryLimitMb;
    private final boolean pressureRelief;

    private final OSProcess process;
    private final GlobalMemory globalMemory;
    private final MemoryMXBean memoryBean = ManagementFactory.getMemoryMXBean();
    private final List<GarbageCollectorMXBean> collectors = ManagementFactory.getGarbageCollectorMXBeans();
    private final com.sun.management.ThreadMXBean allocationBean;

    private final ReentrantLock rssLock = new ReentrantLock();
    private volatile long cachedRssBytes;
    private volatile long cachedAtNanos;

    private final ReentrantLock gcLock = new ReentrantLock();
    private volatile long lastGcNanos;
    private volatile CollectionResult lastCollection;

    private final Object samplesLock = new Object();
    private final ArrayDeque<MemorySample> samples;
    private final int maxSamples;

    private final LeakTracker leaks;
    private final Duration defaultLifetime;

    private final Object episodeLock = new Object();
    private boolean inEpisode;
    private final AtomicLong episodes = new AtomicLong();
    private volatile MemoryOptimizationResult lastRelief;

    private final MeterRegistry meterRegistry;
    private final List<Meter> meters = new ArrayList<>();
    private String meterName;
    private final ScheduledExecutorService sampler;
    private final AtomicBoolean closed = new AtomicBoolean();

    private OshiMemoryManager(Builder builder) {
        this.config = builder.config;
        this.pressureRegistry = builder.pressureRegistry;
        this.readCacheNanos = config.memoryReadCache().toNanos();
        this.gcMinIntervalNanos = config.gcMinInterval().toNanos();
        this.memoryLimitMb = config.memoryLimitMb();
        this.pressureRelief = config.memoryPressureRelief();
        this.defaultLifetime = config.trackedObjectLifetime();
        this.maxSamples = config.memoryTrendSamples();
        this.samples = new ArrayDeque<>(maxSamples);
        this.leaks = new LeakTracker(config.maxTrackedObjects());

        SystemInfo systemInfo = new SystemInfo();
        this.process = systemInfo.getOperatingSystem().getCurrentProcess();
        this.globalMemory = systemInfo.getHardware().getMemory();
        ThreadMXBean threads = ManagementFactory.getThreadMXBean();
        this.allocationBean = threads instanceof com.sun.management.ThreadMXBean sun
                        && sun.isThreadAllocatedMemorySupported()
                        && sun.isThreadAllocatedMemoryEnabled()
                ? sun
                : null;
        this.sampleSource = builder.sampleSource != null ? builder.sampleSource : this::readSample;

        this.meterRegistry = config.meterRegistry();
        this.sampler = builder.backgroundSampling
                ? Executors.newSingleThreadScheduledExecutor(runnable -> {
                    Thread thread = new Thread(runnable, "perfkit-memory");
                    thread.setDaemon(true);
                    return thread;
                })
                : null;
    }

    /** Registers meters and starts the sampler once the object exists (nothing escapes the constructor). */
    private OshiMemoryManager start() {
        meterName = MeterOwnership.claim(meterRegistry, "memory", "memory");
        registerMeters();
        if (sampler != null) {
            long interval = config.memorySampleInterval().toMillis();
            sampler.scheduleWithFixedDelay(this::sampleQuietly, 0, interval, TimeUnit.MILLISECONDS);
        }
        return this;
    }

    /**
     * Returns the {@code name} tag of this manager's meters: {@code memory}, or {@code memory-2},
     * ... when another live manager publishes to the same registry.
     */
    public String meterTag() {
        return meterName;
    }

    /**
     * Creates a manager from a configuration, asking {@link MemoryPressureRegistry#shared()} for
     * relief, with background sampling on.
     *
     * @param config the configuration
     * @return a running manager
     */
    public static OshiMemoryManager create(PerfConfig config) {
        return builder().config(config).build();
    }

    /** Returns a builder with the {@code MEDIUM} preset, the shared pressure registry and sampling on. */
    public static Builder builder() {
        return new Builder();
    }

    // ---- readings

    @Override
    public double getMemoryUsage() {
        long at = cachedAtNanos;
        if (at != 0 && System.nanoTime() - at < readCacheNanos) {
            return cachedRssBytes / MB;
        }
        return refreshRss(false) / MB;
    }

    /** Reads RSS now (or, when another thread is reading and a reading exists, returns that one). */
    private long refreshRss(boolean mustRead) {
        if (mustRead) {
            rssLock.lock();
        } else if (!rssLock.tryLock()) {
            if (cachedAtNanos != 0) {
                return cachedRssBytes;
            }
            rssLock.lock();
        }
        try {
            long rss = process.updateAttributes() ? process.getResidentSetSize() : cachedRssBytes;
            if (rss <= 0) {
                // OSHI could not read the process (e.g. a restricted /proc): fall back to the JVM's
                // own committed memory, a lower bound of RSS.
                rss = memoryBean.getHeapMemoryUsage().getCommitted()
                        + memoryBean.getNonHeapMemoryUsage().getCommitted();
            }
            cachedRssBytes = rss;
            cachedAtNanos = System.nanoTime() | 1; // never 0, which means "no reading yet"
            return rss;
        } finally {
            rssLock.unlock();
        }
    }

    private double freshRssMb() {
        return refreshRss(true) / MB;
    }

    @Override
    public MemorySnapshot snapshot() {
        long rss = refreshRss(true);
        java.lang.management.MemoryUsage heap = memoryBean.getHeapMemoryUsage();
        return new MemorySnapshot(
                rss,
                heap.getUsed(),
                heap.getCommitted(),
                heap.getMax(),
                memoryBean.getNonHeapMemoryUsage().getUsed(),
                globalMemory.getTotal(),
                globalMemory.getAvailable(),
                Instant.now());
    }

    private MemorySample readSample() {
        return new MemorySample(
                Instant.now(), freshRssMb(), memoryBean.getHeapMemoryUsage().getUsed() / MB);
    }

    // ---- trend and the limit

    /**
     * Takes one sample now, as the background sampler does: adds it to the trend and checks it
     * against {@code MEMORY_LIMIT_MB}. Useful for hosts that sample on their own schedule (build
     * with {@code backgroundSampling(false)}) and for tests.
     *
     * @return the sample taken
     */
    public MemorySample sampleNow() {
        MemorySample sample = requireNonNull(sampleSource.get(), "sample source returned null");
        synchronized (samplesLock) {
            if (samples.size() == maxSamples) {
                samples.removeFirst();
            }
            samples.addLast(sample);
        }
        checkLimit(sample.rssMb());
        return sample;
    }

    private void sampleQuietly() {
        try {
            sampleNow();
        } catch (RuntimeException e) {
            log.warn("Memory sampling failed; will try again at the next interval", e);
        }
    }

    private void checkLimit(double rssMb) {
        if (!pressureRelief) {
            return;
        }
        synchronized (episodeLock) {
            if (rssMb > memoryLimitMb) {
                if (inEpisode) {
                    return;
                }
                inEpisode = true;
            } else {
                if (rssMb < memoryLimitMb * 0.9) {
                    inEpisode = false;
                }
                return;
            }
        }
        episodes.incrementAndGet();
        MemoryOptimizationResult result = optimizeMemoryUsage(memoryLimitMb);
        lastRelief = result;
        log.warn(
                "RSS {} MB is above MEMORY_LIMIT_MB {} MB; relieved memory pressure: {}",
                Math.round(rssMb),
                memoryLimitMb,
                String.join("; ", result.actions()));
    }

    /** Returns how many times RSS crossed {@code MEMORY_LIMIT_MB} and relief ran automatically. */
    public long pressureEpisodes() {
        return episodes.get();
    }

    /** Returns the result of the last automatic relief, if any. */
    public Optional<MemoryOptimizationResult> lastAutomaticRelief() {
        return Optional.ofNullable(lastRelief);
    }

    @Override
    public MemoryTrend trend() {
        List<MemorySample> copy;
        synchronized (samplesLock) {
            copy = new ArrayList<>(samples);
        }
        return new MemoryTrend(
                copy, slopePerMinute(copy, MemorySample::rssMb), slopePerMinute(copy, MemorySample::heapUsedMb));
    }

    /** Least-squares slope of a value over the samples' times, in units per minute. */
    static double slopePerMinute(List<MemorySample> samples, java.util.function.ToDoubleFunction<MemorySample> value) {
        int n = samples.size();
        if (n < 2) {
            return 0.0;
        }
        Instant origin = samples.get(0).time();
        double sumX = 0;
        double sumY = 0;
        for (MemorySample sample : samples) {
            sumX += minutesSince(origin, sample.time());
            sumY += value.applyAsDouble(sample);
        }
        double meanX = sumX / n;
        double meanY = sumY / n;
        double covariance = 0;
        double variance = 0;
        for (MemorySample sample : samples) {
            double dx = minutesSince(origin, sample.time()) - meanX;
            covariance += dx * (value.applyAsDouble(sample) - meanY);
            variance += dx * dx;
        }
        return variance == 0 ? 0.0 : covariance / variance;
    }

    private static double minutesSince(Instant origin, Instant time) {
        return Duration.between(origin, time).toNanos() / 60e9;
    }

    // ---- collections and relief

    @Override
    public CollectionResult forceCollection() {
        gcLock.lock();
        try {
            return collect();
        } finally {
            gcLock.unlock();
        }
    }

    private CollectionResult collect() {
        long countBefore = 0;
        long timeBefore = 0;
        for (GarbageCollectorMXBean collector : collectors) {
            countBefore += Math.max(0, collector.getCollectionCount());
            timeBefore += Math.max(0, collector.getCollectionTime());
        }
        long heapBefore = memoryBean.getHeapMemoryUsage().getUsed();
        long start = System.nanoTime();
        System.gc();
        long elapsed = System.nanoTime() - start;
        long heapAfter = memoryBean.getHeapMemoryUsage().getUsed();
        long countAfter = 0;
        long timeAfter = 0;
        for (GarbageCollectorMXBean collector : collectors) {
            countAfter += Math.max(0, collector.getCollectionCount());
            timeAfter += Math.max(0, collector.getCollectionTime());
        }
        lastGcNanos = System.nanoTime();
        CollectionResult result = new CollectionResult(
                heapBefore - heapAfter,
                Duration.ofNanos(elapsed),
                countAfter - countBefore,
                Duration.ofMillis(timeAfter - timeBefore),
                heapBefore,
                heapAfter);
        lastCollection = result;
        return result;
    }

    @Override
    public MemoryOptimizationResult optimizeMemoryUsage(long thresholdMb) {
        return optimizeMemoryUsage(thresholdMb, false);
    }

    /**
     * Relieves memory pressure like {@link #optimizeMemoryUsage(long)}; with {@code force}, the
     * collection is not held back by {@code GC_MIN_INTERVAL}.
     *
     * @param thresholdMb the RSS threshold in MB
     * @param force whether to collect even if perfkit collected recently
     * @return whether it acted and what it did
     * @throws IllegalArgumentException if {@code thresholdMb} is negative
     */
    public MemoryOptimizationResult optimizeMemoryUsage(long thresholdMb, boolean force) {
        if (thresholdMb < 0) {
            throw new IllegalArgumentException("thresholdMb must not be negative: " + thresholdMb);
        }
        double before = freshRssMb();
        if (before <= thresholdMb) {
            return new MemoryOptimizationResult(false, List.of(), before, before);
        }
        List<String> actions = new ArrayList<>(pressureRegistry.relieve(MemoryPressureLevel.MODERATE));
        double now = freshRssMb();
        if (now > thresholdMb) {
            actions.add(collectIfAllowed(force));
            now = freshRssMb();
        }
        return new MemoryOptimizationResult(true, actions, before, now);
    }

    private String collectIfAllowed(boolean force) {
        gcLock.lock();
        try {
            long sinceLast = System.nanoTime() - lastGcNanos;
            if (!force && lastGcNanos != 0 && sinceLast < gcMinIntervalNanos) {
                return "collection skipped: the last one was "
                        + Duration.ofNanos(sinceLast).toSeconds() + " s ago (GC_MIN_INTERVAL "
                        + config.gcMinInterval().toSeconds() + " s)";
            }
            CollectionResult result = collect();
            return String.format(
                    java.util.Locale.ROOT,
                    "collected garbage: freed %.1f MB of heap in %d ms",
                    result.freedBytes() / MB,
                    result.duration().toMillis());
        } finally {
            gcLock.unlock();
        }
    }

    // ---- leak tracking

    @Override
    public void trackObject(Object object, String name) {
        trackObject(object, name, defaultLifetime);
    }

    @Override
    public void trackObject(Object object, String name, Duration expectedLifetime) {
        requireNonNull(object, "object");
        requireNonNull(name, "name");
        requireNonNull(expectedLifetime, "expectedLifetime");
        if (expectedLifetime.isNegative()) {
            throw new IllegalArgumentException("expectedLifetime must not be negative: " + expectedLifetime);
        }
        leaks.track(object, name, expectedLifetime);
    }

    @Override
    public LeakReport checkTrackedObjects() {
        return leaks.report();
    }

    // ---- measuring work

    @Override
    public <T> T memoryIntensive(String name, Supplier<T> work) {
        requireNonNull(name, "name");
        requireNonNull(work, "work");
        Scope scope = new Scope(name);
        try {
            return work.get();
        } finally {
            scope.close();
            afterIntensive(scope.report());
        }
    }

    private void afterIntensive(MemoryScopeReport report) {
        try {
            if (report.allocatedBytes() > config.memoryIntensiveLogMb() * MB) {
                log.info(
                        "Memory-intensive '{}' allocated {} MB in {} ms (RSS {} MB)",
                        report.name(),
                        Math.round(report.allocatedBytes() / MB),
                        report.duration().toMillis(),
                        String.format(java.util.Locale.ROOT, "%+.1f", report.rssDeltaMb()));
            }
            // The same episode guard as the sampler: relief once per crossing, not once per call.
            checkLimit(getMemoryUsage());
        } catch (RuntimeException e) {
            log.warn("Measuring memory-intensive '{}' failed; its result is unaffected", report.name(), e);
        }
    }

    @Override
    public MemoryScope profile(String name) {
        return new Scope(requireNonNull(name, "name"));
    }

    /** Measures the thread that opens it, from opening to closing. */
    private final class Scope implements MemoryScope {
        private final String name;
        private final Thread thread = Thread.currentThread();
        private final long allocatedBefore = allocatedBytes();
        private final double rssBefore = freshRssMb();
        private final long heapBefore = memoryBean.getHeapMemoryUsage().getUsed();
        private final long startNanos = System.nanoTime();
        private volatile MemoryScopeReport report;

        Scope(String name) {
            this.name = name;
        }

        @Override
        public String name() {
            return name;
        }

        @Override
        public MemoryScopeReport report() {
            MemoryScopeReport current = report;
            if (current == null) {
                throw new IllegalStateException("memory scope '" + name + "' is still open; close it first");
            }
            return current;
        }

        @Override
        public synchronized void close() {
            if (report != null) {
                return;
            }
            long elapsed = System.nanoTime() - startNanos;
            long allocated =
                    allocatedBefore >= 0 && Thread.currentThread() == thread ? allocatedBytes() - allocatedBefore : -1;
            report = new MemoryScopeReport(
                    name,
                    allocated,
                    freshRssMb() - rssBefore,
                    memoryBean.getHeapMemoryUsage().getUsed() - heapBefore,
                    Duration.ofNanos(elapsed));
        }
    }

    private long allocatedBytes() {
        return allocationBean != null ? allocationBean.getCurrentThreadAllocatedBytes() : -1;
    }

    // ---- reports, metrics, lifecycle

    @Override
    public MemoryReport getMemoryReport() {
        return new MemoryReport(snapshot(), trend(), checkTrackedObjects(), Optional.ofNullable(lastCollection));
    }

    private void registerMeters() {
        try {
            meters.add(Gauge.builder("perfkit.memory.rss", this, m -> m.getMemoryUsage() * MB)
                    .baseUnit("bytes")
                    .description("Resident memory of the process")
                    .tag("name", meterName)
                    .register(meterRegistry));
            meters.add(Gauge.builder("perfkit.memory.tracked.objects", leaks, LeakTracker::trackedCount)
                    .description("Objects tracked for leaks that are still alive")
                    .tag("name", meterName)
                    .register(meterRegistry));
            meters.add(Gauge.builder("perfkit.memory.leak.suspects", leaks, tracker -> tracker.report()
                            .suspects()
                            .size())
                    .description("Names with tracked objects alive past their expected lifetime")
                    .tag("name", meterName)
                    .register(meterRegistry));
            meters.add(Gauge.builder(
                            "perfkit.memory.growth.rate", this, m -> m.trend().growthMbPerMinute())
                    .baseUnit("megabytes.per.minute")
                    .description("Least-squares growth of RSS over the recent samples")
                    .tag("name", meterName)
                    .register(meterRegistry));
        } catch (RuntimeException e) {
            log.warn("Could not register perfkit.memory meters; memory management works without them", e);
        }
    }

    /** Stops the sampler and removes the meters. Idempotent. */
    @Override
    public void close() {
        if (!closed.compareAndSet(false, true)) {
            return;
        }
        if (sampler != null) {
            sampler.shutdownNow();
        }
        Meters.removeQuietly(meterRegistry, meters);
        MeterOwnership.release(meterRegistry, "memory", meterName);
    }

    @Override
    public String toString() {
        return "OshiMemoryManager{memoryLimitMb=" + memoryLimitMb + ", rssMb=" + Math.round(cachedRssBytes / MB) + "}";
    }

    /** Configures an {@link OshiMemoryManager}. Not thread-safe. */
    public static final class Builder {
        private PerfConfig config = PerfConfig.builder().build();
        private MemoryPressureRegistry pressureRegistry = MemoryPressureRegistry.shared();
        private Supplier<MemorySample> sampleSource;
        private boolean backgroundSampling = true;

        private Builder() {}

        /**
         * Sets the configuration: limits, intervals, the meter registry.
         *
         * @param config the configuration
         * @return this builder
         */
        public Builder config(PerfConfig config) {
            this.config = requireNonNull(config, "config");
            return this;
        }

        /**
         * Sets the listeners asked to give memory back.
         *
         * @param pressureRegistry the registry; default {@link MemoryPressureRegistry#shared()}
         * @return this builder
         */
        public Builder pressureRegistry(MemoryPressureRegistry pressureRegistry) {
            this.pressureRegistry = requireNonNull(pressureRegistry, "pressureRegistry");
            return this;
        }

        /**
         * Replaces where trend samples come from (default: OSHI's RSS and the heap now). For tests
         * and for hosts that already measure memory elsewhere.
         *
         * @param sampleSource produces one sample per call
         * @return this builder
         */
        public Builder sampleSource(Supplier<MemorySample> sampleSource) {
            this.sampleSource = requireNonNull(sampleSource, "sampleSource");
            return this;
        }

        /**
         * Turns the background sampler thread on (default) or off; with it off, call {@link
         * OshiMemoryManager#sampleNow()} yourself.
         *
         * @param backgroundSampling whether to start the {@code perfkit-memory} thread
         * @return this builder
         */
        public Builder backgroundSampling(boolean backgroundSampling) {
            this.backgroundSampling = backgroundSampling;
            return this;
        }

        /**
         * Builds and starts the manager.
         *
         * @return a running manager
         */
        public OshiMemoryManager build() {
            return new OshiMemoryManager(this).start();
        }
    }
}
