package dev.perfkit;

import static java.util.Objects.requireNonNull;

import dev.perfkit.async.KeyedRateLimiter;
import dev.perfkit.async.TaskPools;
import dev.perfkit.batch.AsyncBatchHandler;
import dev.perfkit.batch.BatchHandler;
import dev.perfkit.batch.BatchProcessorBuilder;
import dev.perfkit.cache.QueryCache;
import dev.perfkit.internal.Durations;
import dev.perfkit.memory.MemoryManager;
import dev.perfkit.monitor.PerfMonitor;
import dev.perfkit.profile.QueryProfiler;
import dev.perfkit.spi.BatchProcessorFactory;
import dev.perfkit.spi.PerfProvider;
import io.micrometer.core.instrument.MeterRegistry;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.ServiceConfigurationError;
import java.util.ServiceLoader;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.BiFunction;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The process-wide default components, for hosts that cannot inject them.
 *
 * <pre>{@code
 * Perf.configure(PerfConfig.fromArgs(args));       // optional, before first use
 * QueryCache cache = Perf.getQueryCache();         // created on first call, once
 * MemoryManager memory = Perf.getMemoryManager();
 * QueryProfiler profiler = Perf.getQueryProfiler();
 * BatchProcessor<Update> updates = Perf.<Update>batchProcessor(batch -> repo.saveAll(batch))
 *         .batchSize(50).maxDelay(Duration.ofSeconds(1)).build();
 * }</pre>
 *
 * <p>Components come from the {@link PerfProvider}s on the class path (one per implementation
 * module, found with {@link ServiceLoader}); a getter whose module is missing throws a {@link
 * PerfException} naming the artifact to add. Every component can also be created explicitly (e.g.
 * {@code CaffeineQueryCache.create(config)}), which needs no global state at all.
 *
 * <p>Thread-safe: each getter creates its component at most once, under a lock, and afterwards
 * returns it without locking.
 */
public final class Perf {
    private static final Logger log = LoggerFactory.getLogger(Perf.class);
    private static final Object lock = new Object();

    private static volatile PerfConfig config;
    private static volatile QueryCache queryCache;
    private static volatile MemoryManager memoryManager;
    private static volatile QueryProfiler queryProfiler;
    private static volatile TaskPools taskPools;
    private static volatile PerfMonitor monitor;
    private static final Map<String, KeyedRateLimiter> rateLimiters = new ConcurrentHashMap<>();

    private Perf() {}

    /**
     * Sets the configuration of the default components. Call it before first use.
     *
     * @param perfConfig the configuration
     * @throws NullPointerException if {@code perfConfig} is null
     * @throws IllegalStateException if a default component was already created; call {@link
     *     #reset()} first to reconfigure
     */
    public static void configure(PerfConfig perfConfig) {
        requireNonNull(perfConfig, "perfConfig");
        synchronized (lock) {
            List<String> created = new ArrayList<>();
            if (queryCache != null) {
                created.add("QueryCache");
            }
            if (memoryManager != null) {
                created.add("MemoryManager");
            }
            if (queryProfiler != null) {
                created.add("QueryProfiler");
            }
            if (taskPools != null) {
                created.add("TaskPools");
            }
            if (monitor != null) {
                created.add("PerfMonitor");
            }
            if (!rateLimiters.isEmpty()) {
                created.add("KeyedRateLimiter");
            }
            if (!created.isEmpty()) {
                throw new IllegalStateException("PerfConfig already in use by " + String.join(", ", created)
                        + "; call Perf.configure before first use, or Perf.reset() first");
            }
            config = perfConfig;
        }
    }

    /**
     * Returns the configuration: the one given to {@link #configure}, or else {@link
     * PerfConfig#fromEnvironment()}, read once.
     *
     * @return the configuration
     * @throws PerfConfigException if the environment holds an invalid value
     */
    public static PerfConfig getConfig() {
        PerfConfig current = config;
        if (current == null) {
            synchronized (lock) {
                current = config;
                if (current == null) {
                    current = PerfConfig.fromEnvironment();
                    config = current;
                }
            }
        }
        return current;
    }

    /** Returns the registry every component publishes to: the configuration's {@link PerfConfig#meterRegistry()}. */
    public static MeterRegistry getMeterRegistry() {
        return getConfig().meterRegistry();
    }

    /**
     * Returns the default query cache, creating it on first call.
     *
     * @return the cache
     * @throws PerfException if no implementation is on the class path (add {@code dev.perfkit:perf-cache})
     */
    public static QueryCache getQueryCache() {
        QueryCache current = queryCache;
        if (current == null) {
            synchronized (lock) {
                current = queryCache;
                if (current == null) {
                    current = create("QueryCache", "perf-cache", PerfProvider::createQueryCache);
                    queryCache = current;
                }
            }
        }
        return current;
    }

    /**
     * Returns the default query cache seen through a profile (seed 003 {@code
     * get_cache_config}): its TTL for calls that give none, and, in a two-level cache, its level and
     * compression. The view shares the default cache's entries.
     *
     * <pre>{@code
     * QueryCache settings = Perf.getQueryCache("hotel_settings");   // PERF_CACHE_PROFILE_HOTEL_SETTINGS_TTL=3600
     * settings.set("hotel:42", hotelSettings);                       // lives an hour
     * }</pre>
     *
     * @param profile the profile's name (see {@link PerfConfig#cacheProfile})
     * @return the view
     * @throws PerfException if no implementation is on the class path (add {@code dev.perfkit:perf-cache})
     */
    public static QueryCache getQueryCache(String profile) {
        requireNonNull(profile, "profile");
        return getQueryCache().withProfile(getConfig().cacheProfile(profile));
    }

    /**
     * Returns the default memory manager, creating it on first call.
     *
     * @return the manager
     * @throws PerfException if no implementation is on the class path (add {@code dev.perfkit:perf-memory})
     */
    public static MemoryManager getMemoryManager() {
        MemoryManager current = memoryManager;
        if (current == null) {
            synchronized (lock) {
                current = memoryManager;
                if (current == null) {
                    current = create("MemoryManager", "perf-memory", PerfProvider::createMemoryManager);
                    memoryManager = current;
                }
            }
        }
        return current;
    }

    /**
     * Returns the default query profiler, creating it on first call.
     *
     * @return the profiler
     * @throws PerfException if no implementation is on the class path (add {@code dev.perfkit:perf-db})
     */
    public static QueryProfiler getQueryProfiler() {
        QueryProfiler current = queryProfiler;
        if (current == null) {
            synchronized (lock) {
                current = queryProfiler;
                if (current == null) {
                    current = create("QueryProfiler", "perf-db", PerfProvider::createQueryProfiler);
                    queryProfiler = current;
                }
            }
        }
        return current;
    }

    /**
     * Returns the default monitor, creating it on first call: request monitor, alert rules over the
     * other default components, and (when {@code PERF_MONITOR_PORT} is set) its HTTP server.
     *
     * @return the monitor
     * @throws PerfException if no implementation is on the class path (add {@code dev.perfkit:perf-monitor})
     */
    public static PerfMonitor getMonitor() {
        PerfMonitor current = monitor;
        if (current == null) {
            synchronized (lock) {
                current = monitor;
                if (current == null) {
                    current = create("PerfMonitor", "perf-monitor", PerfProvider::createMonitor);
                    monitor = current;
                }
            }
        }
        return current;
    }

    /**
     * Starts a batch processor for a synchronous handler, with defaults from the configuration.
     * The processor belongs to the caller, who closes it; {@link #reset()} does not.
     *
     * @param handler processes each batch
     * @param <T> the item type
     * @return a builder
     * @throws NullPointerException if {@code handler} is null
     * @throws PerfException if no implementation is on the class path (add {@code dev.perfkit:perf-db})
     */
    public static <T> BatchProcessorBuilder<T> batchProcessor(BatchHandler<T> handler) {
        requireNonNull(handler, "handler");
        return BatchProcessorBuilder.of(batchProcessorFactory(), getConfig(), handler);
    }

    /**
     * Starts a batch processor for an asynchronous handler, with defaults from the configuration.
     *
     * @param handler starts processing each batch
     * @param <T> the item type
     * @return a builder
     * @throws NullPointerException if {@code handler} is null
     * @throws PerfException if no implementation is on the class path (add {@code dev.perfkit:perf-db})
     */
    public static <T> BatchProcessorBuilder<T> asyncBatchProcessor(AsyncBatchHandler<T> handler) {
        requireNonNull(handler, "handler");
        return BatchProcessorBuilder.ofAsync(batchProcessorFactory(), getConfig(), handler);
    }

    /**
     * Returns the process-wide task pools ({@code "database"}, {@code "api"}, {@code "cpu"} and any
     * the host defines), created on first use from the configuration.
     *
     * @return the task pools
     * @throws PerfException if perf-async is not on the class path
     */
    public static TaskPools getTaskPools() {
        TaskPools current = taskPools;
        if (current == null) {
            synchronized (lock) {
                current = taskPools;
                if (current == null) {
                    current = create("TaskPools", "perf-async", PerfProvider::createTaskPools);
                    taskPools = current;
                }
            }
        }
        return current;
    }

    /**
     * Returns the keyed rate limiter of this name, creating it on first use — the seeds'
     * {@code @rate_limiter.limit(max_requests=10, window_seconds=60)}, per key:
     *
     * <pre>{@code
     * if (!Perf.rateLimiter("receipt", 10, Duration.ofMinutes(1)).tryAcquire(userId)) { ... }
     * }</pre>
     *
     * @param name the limiter's name
     * @param permits permits per window per key, positive
     * @param window the window, positive, at most 365 days
     * @return the limiter
     * @throws IllegalArgumentException if a limiter of this name exists with other limits, or a value
     *     is out of range
     * @throws PerfException if perf-async is not on the class path
     */
    public static KeyedRateLimiter rateLimiter(String name, int permits, Duration window) {
        requireNonNull(name, "name");
        if (permits <= 0) {
            throw new IllegalArgumentException("permits must be positive: " + permits);
        }
        Durations.checkPositive("window", window);
        KeyedRateLimiter limiter = rateLimiters.get(name);
        if (limiter == null) {
            synchronized (lock) {
                limiter = rateLimiters.get(name);
                if (limiter == null) {
                    limiter = create(
                            "KeyedRateLimiter",
                            "perf-async",
                            (provider, current) -> provider.createRateLimiter(current, name, permits, window));
                    rateLimiters.put(name, limiter);
                }
            }
        }
        if (limiter.permits() != permits || !limiter.window().equals(window)) {
            throw new IllegalArgumentException("rate limiter '" + name + "' already exists with " + limiter.permits()
                    + " per " + limiter.window() + ", not " + permits + " per " + window);
        }
        return limiter;
    }

    /**
     * Closes every default component created so far and forgets them and the configuration, so the
     * next getter creates them anew. For tests and hot reload. A component that fails to close is
     * logged and the others are still closed.
     */
    public static void reset() {
        synchronized (lock) {
            closeQuietly(monitor); // first: it reads the others
            monitor = null;
            closeQuietly(queryCache);
            closeQuietly(memoryManager);
            closeQuietly(queryProfiler);
            closeQuietly(taskPools);
            rateLimiters.values().forEach(Perf::closeQuietly);
            queryCache = null;
            memoryManager = null;
            queryProfiler = null;
            taskPools = null;
            rateLimiters.clear();
            config = null;
        }
    }

    private static void closeQuietly(AutoCloseable component) {
        if (component == null) {
            return;
        }
        try {
            component.close();
        } catch (Exception e) {
            log.warn("Failed to close {}; continuing", component.getClass().getName(), e);
        }
    }

    private static BatchProcessorFactory batchProcessorFactory() {
        for (PerfProvider provider : providers()) {
            Optional<BatchProcessorFactory> factory = provider.batchProcessorFactory();
            if (factory.isPresent()) {
                return factory.get();
            }
        }
        throw missing("BatchProcessor", "perf-db");
    }

    private static <T> T create(
            String component, String artifact, BiFunction<PerfProvider, PerfConfig, Optional<T>> factory) {
        PerfConfig current = getConfig();
        for (PerfProvider provider : providers()) {
            Optional<T> created = factory.apply(provider, current);
            if (created.isPresent()) {
                log.debug("Created {} from {}", component, provider.getClass().getName());
                return created.get();
            }
        }
        throw missing(component, artifact);
    }

    private static PerfException missing(String component, String artifact) {
        return new PerfException(
                "no " + component + " implementation found: add dev.perfkit:" + artifact + " to the class path");
    }

    /*
     * Providers are looked up through the context class loader first, as containers expect, and
     * perfkit's own loader otherwise. They are not cached: lookups happen once per component.
     */
    static List<PerfProvider> providers() {
        ClassLoader loader = Thread.currentThread().getContextClassLoader();
        if (loader == null) {
            loader = Perf.class.getClassLoader();
        }
        List<PerfProvider> found = new ArrayList<>();
        try {
            ServiceLoader.load(PerfProvider.class, loader).forEach(found::add);
        } catch (ServiceConfigurationError e) {
            throw new PerfException("A perfkit module on the class path failed to load: " + e.getMessage(), e);
        }
        found.sort(Comparator.comparingInt(PerfProvider::priority).reversed());
        return found;
    }
}
