package dev.perfkit.monitor.micrometer;

import static java.util.Objects.requireNonNull;

import dev.perfkit.PerfConfig;
import dev.perfkit.PerfException;
import dev.perfkit.cache.QueryCache;
import dev.perfkit.internal.MeterOwnership;
import dev.perfkit.memory.MemoryManager;
import dev.perfkit.monitor.Alert;
import dev.perfkit.monitor.AlertListener;
import dev.perfkit.monitor.AlertRule;
import dev.perfkit.monitor.Health;
import dev.perfkit.monitor.MonitorServer;
import dev.perfkit.monitor.PerfMonitor;
import dev.perfkit.monitor.RequestReport;
import dev.perfkit.profile.QueryProfiler;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import java.net.InetSocketAddress;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The {@link PerfMonitor} of perf-monitor: request statistics on Micrometer timers, the built-in
 * and host alert rules evaluated on one background thread every {@code
 * PERFORMANCE_MONITORING_INTERVAL}, and {@link MonitorServer}s on the JDK's HTTP server.
 *
 * <pre>{@code
 * // with the facade: Perf.getMonitor() reads the default cache, memory manager and profiler
 * // without it, give the components explicitly:
 * MicrometerPerfMonitor monitor = MicrometerPerfMonitor.builder(config)
 *         .queryCache(cache)
 *         .memoryManager(memory)
 *         .queryProfiler(profiler)
 *         .build();
 * }</pre>
 *
 * <p>A component not given (and, through the facade, one whose module is missing) shows as {@code
 * ABSENT} in {@link #health()} and its rules have no data. Meters go to the configuration's registry,
 * tagged {@code monitor=<name>} (see {@code docs/monitoring.md} for the list). Thread-safe.
 */
public final class MicrometerPerfMonitor implements PerfMonitor {
    private static final Logger log = LoggerFactory.getLogger(MicrometerPerfMonitor.class);
    private static final String COMPONENT = "monitor";
    private static final double BYTES_PER_MB = 1024.0 * 1024.0;

    private final PerfConfig config;
    private final MeterRegistry registry;
    private final String meterTag;
    private final Components components;
    private final Clock clock;
    private final Instant started;
    private final RequestStats requests;
    private final AlertEngine alerts;
    private final ScheduledExecutorService evaluator;
    private final List<HttpMonitorServer> servers = new CopyOnWriteArrayList<>();
    private final Object lifecycle = new Object();
    private final Gauge limitGauge;
    private volatile PrometheusScrape scrape;
    private volatile boolean closed;

    private MicrometerPerfMonitor(Builder builder) {
        this.config = builder.config;
        this.registry = config.meterRegistry();
        this.meterTag = MeterOwnership.claim(registry, COMPONENT, builder.name);
        this.components = builder.components;
        LongSupplier ticker = builder.ticker;
        long originNanos = ticker.getAsLong();
        long originMillis = System.currentTimeMillis();
        this.clock = builder.ticker == Builder.SYSTEM_TICKER
                ? Clock.systemUTC()
                : new TickerClock(ticker, originNanos, originMillis);
        this.started = clock.instant();
        this.requests = new RequestStats(
                config.monitorMaxRequestNames(), config.monitorRequestWindow(), ticker, registry, meterTag);
        this.limitGauge = Gauge.builder("perfkit.memory.limit", config, c -> c.memoryLimitMb() * BYTES_PER_MB)
                .baseUnit("bytes")
                .description("MEMORY_LIMIT_MB, for alerting on RSS against it")
                .tag("monitor", meterTag)
                .register(registry);
        this.alerts = new AlertEngine(clock);
        BuiltInRules.create(config, components, requests, registry, clock).forEach(alerts::addRule);
        if (config.performanceMonitoringEnabled() && builder.background) {
            evaluator = Executors.newSingleThreadScheduledExecutor(runnable -> {
                Thread thread = new Thread(runnable, "perfkit-monitor-" + meterTag);
                thread.setDaemon(true);
                return thread;
            });
            long interval = config.performanceMonitoringInterval().toMillis();
            evaluator.scheduleWithFixedDelay(this::evaluateQuietly, interval, interval, TimeUnit.MILLISECONDS);
        } else {
            evaluator = null;
        }
    }

    /**
     * Creates a monitor without components (requests and host rules only); see {@link #builder}.
     *
     * @param config the configuration
     * @return the monitor
     */
    public static MicrometerPerfMonitor create(PerfConfig config) {
        return builder(config).build();
    }

    /**
     * Starts a builder.
     *
     * @param config the configuration: thresholds, interval, server address, token, registry
     * @return a builder
     */
    public static Builder builder(PerfConfig config) {
        return new Builder(config);
    }

    @Override
    public void recordRequest(String name, Duration duration, boolean success) {
        requireNonNull(duration, "duration");
        if (duration.isNegative()) {
            throw new IllegalArgumentException("duration must not be negative: " + duration);
        }
        long nanos;
        try {
            nanos = duration.toNanos();
        } catch (ArithmeticException e) {
            nanos = Long.MAX_VALUE;
        }
        recordRequestNanos(name, nanos, success);
    }

    @Override
    public void recordRequestNanos(String name, long nanos, boolean success) {
        requireNonNull(name, "name");
        if (nanos < 0) {
            throw new IllegalArgumentException("nanos must not be negative: " + nanos);
        }
        if (closed) {
            return;
        }
        try {
            requests.record(name, nanos, success);
        } catch (RuntimeException e) {
            log.debug("Could not record request {}", name, e); // instrumentation never breaks the host
        }
    }

    @Override
    public <T> T timeRequest(String name, Supplier<T> work) {
        requireNonNull(name, "name");
        requireNonNull(work, "work");
        long start = System.nanoTime();
        boolean success = false;
        try {
            T result = work.get();
            success = true;
            return result;
        } finally {
            recordRequestNanos(name, System.nanoTime() - start, success);
        }
    }

    @Override
    public void timeRequest(String name, Runnable work) {
        requireNonNull(work, "work");
        Object unused = timeRequest(name, () -> {
            work.run();
            return null;
        });
    }

    @Override
    public RequestReport requestReport() {
        return requests.report();
    }

    @Override
    public List<Alert> activeAlerts() {
        return alerts.active();
    }

    @Override
    public List<Alert> evaluateNow() {
        return alerts.evaluate();
    }

    private void evaluateQuietly() {
        try {
            alerts.evaluate();
        } catch (RuntimeException | LinkageError e) {
            log.warn("Evaluating alert rules failed; trying again next interval", e);
        }
    }

    @Override
    public void addAlertRule(AlertRule rule) {
        alerts.addRule(rule);
    }

    @Override
    public boolean removeAlertRule(String name) {
        return alerts.removeRule(name);
    }

    @Override
    public List<AlertRule> alertRules() {
        return alerts.rules();
    }

    @Override
    public void addAlertListener(AlertListener listener) {
        alerts.addListener(listener);
    }

    @Override
    public Health health() {
        return Views.health(this);
    }

    @Override
    public MonitorServer startServer() {
        int port = Math.max(0, config.monitorPort());
        return startServer(new InetSocketAddress(config.monitorHost(), port));
    }

    @Override
    public MonitorServer startServer(InetSocketAddress address) {
        requireNonNull(address, "address");
        synchronized (lifecycle) {
            if (closed) {
                throw new IllegalStateException("monitor is closed");
            }
            HttpMonitorServer server = HttpMonitorServer.start(this, address, servers::remove);
            servers.add(server);
            return server;
        }
    }

    @Override
    public List<MonitorServer> servers() {
        return List.copyOf(servers);
    }

    /** Starts the server when {@code PERF_MONITOR_PORT} asks for one; used by the facade. */
    void startConfiguredServer() {
        if (config.performanceMonitoringEnabled() && config.monitorPort() >= 0) {
            MonitorServer server = startServer();
            log.info("perfkit monitor listening on {}", server.uri());
        }
    }

    /** The Prometheus view of the registry, created on first use. */
    PrometheusScrape prometheus() {
        PrometheusScrape current = scrape;
        if (current == null) {
            synchronized (lifecycle) {
                current = scrape;
                if (current == null) {
                    current = PrometheusScrape.attach(registry);
                    scrape = current;
                }
            }
        }
        return current;
    }

    @Override
    public void close() {
        List<HttpMonitorServer> running;
        synchronized (lifecycle) {
            if (closed) {
                return;
            }
            closed = true;
            running = new ArrayList<>(servers);
        }
        running.forEach(HttpMonitorServer::close);
        if (evaluator != null) {
            evaluator.shutdownNow();
            try {
                if (!evaluator.awaitTermination(5, TimeUnit.SECONDS)) {
                    log.warn("The monitor's evaluation thread did not stop within 5 s");
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        PrometheusScrape current = scrape;
        if (current != null) {
            current.close();
        }
        requests.close();
        registry.remove(limitGauge);
        MeterOwnership.release(registry, COMPONENT, meterTag);
    }

    PerfConfig config() {
        return config;
    }

    Components components() {
        return components;
    }

    RequestStats requests() {
        return requests;
    }

    MeterRegistry registry() {
        return registry;
    }

    Clock clock() {
        return clock;
    }

    Instant started() {
        return started;
    }

    String meterTag() {
        return meterTag;
    }

    boolean isClosed() {
        return closed;
    }

    /** Builds a {@link MicrometerPerfMonitor}. Not thread-safe. */
    public static final class Builder {
        static final LongSupplier SYSTEM_TICKER = System::nanoTime;

        private final PerfConfig config;
        private String name = "default";
        private Components.Source<QueryCache> cache = Components.Source.absent();
        private Components.Source<MemoryManager> memory = Components.Source.absent();
        private Components.Source<QueryProfiler> profiler = Components.Source.absent();
        private Components components;
        private LongSupplier ticker = SYSTEM_TICKER;
        private boolean background = true;

        private Builder(PerfConfig config) {
            this.config = requireNonNull(config, "config");
        }

        /**
         * Names the monitor; its meters are tagged {@code monitor=<name>}. Default {@code default}.
         *
         * @param name the name
         * @return this builder
         */
        public Builder name(String name) {
            this.name = requireNonNull(name, "name");
            return this;
        }

        /**
         * Monitors a query cache: {@code /cache}, the {@code cache_hit_ratio} rule, {@code POST /cache/clear}.
         *
         * @param queryCache the cache
         * @return this builder
         */
        public Builder queryCache(QueryCache queryCache) {
            this.cache = Components.Source.of(requireNonNull(queryCache, "queryCache"));
            return this;
        }

        /**
         * Monitors a memory manager: {@code /memory}, the memory rules, {@code POST /memory/gc}.
         *
         * @param memoryManager the manager
         * @return this builder
         */
        public Builder memoryManager(MemoryManager memoryManager) {
            this.memory = Components.Source.of(requireNonNull(memoryManager, "memoryManager"));
            return this;
        }

        /**
         * Monitors a query profiler: {@code /queries} and the {@code slow_queries} rule.
         *
         * @param queryProfiler the profiler
         * @return this builder
         */
        public Builder queryProfiler(QueryProfiler queryProfiler) {
            this.profiler = Components.Source.of(requireNonNull(queryProfiler, "queryProfiler"));
            return this;
        }

        /** Reads the components through the {@code Perf} facade, on first use. */
        Builder fromFacade() {
            this.components = Components.fromFacade();
            return this;
        }

        /** A nanosecond time source for tests; wall time is derived from it. */
        Builder ticker(LongSupplier ticker) {
            this.ticker = requireNonNull(ticker, "ticker");
            return this;
        }

        /** Whether to evaluate rules on a background thread (tests evaluate by hand). */
        Builder background(boolean background) {
            this.background = background;
            return this;
        }

        /**
         * Builds the monitor; its evaluation thread starts when {@code PERFORMANCE_MONITORING_ENABLED}.
         *
         * @return the monitor
         * @throws PerfException never for now; reserved for start-up failures
         */
        public MicrometerPerfMonitor build() {
            if (components == null) {
                components = new Components(cache, memory, profiler);
            }
            return new MicrometerPerfMonitor(this);
        }
    }

    /** Wall time derived from a test ticker. */
    private static final class TickerClock extends Clock {
        private final LongSupplier ticker;
        private final long originNanos;
        private final long originMillis;

        TickerClock(LongSupplier ticker, long originNanos, long originMillis) {
            this.ticker = ticker;
            this.originNanos = originNanos;
            this.originMillis = originMillis;
        }

        @Override
        public java.time.ZoneId getZone() {
            return ZoneOffset.UTC;
        }

        @Override
        public Clock withZone(java.time.ZoneId zone) {
            return this;
        }

        @Override
        public Instant instant() {
            return Instant.ofEpochMilli(originMillis).plusNanos(ticker.getAsLong() - originNanos);
        }
    }
}
