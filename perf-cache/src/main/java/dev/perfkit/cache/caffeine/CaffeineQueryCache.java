package dev.perfkit.cache.caffeine;

import static java.util.Objects.requireNonNull;

import com.github.benmanes.caffeine.cache.AsyncCache;
import com.github.benmanes.caffeine.cache.Caffeine;
import com.github.benmanes.caffeine.cache.Expiry;
import com.github.benmanes.caffeine.cache.Policy;
import com.github.benmanes.caffeine.cache.Ticker;
import com.github.benmanes.caffeine.cache.stats.ConcurrentStatsCounter;
import dev.perfkit.PerfConfig;
import dev.perfkit.cache.CacheStats;
import dev.perfkit.cache.QueryCache;
import dev.perfkit.memory.MemoryPressureLevel;
import dev.perfkit.memory.MemoryPressureListener;
import dev.perfkit.memory.MemoryPressureRegistry;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.binder.cache.CaffeineCacheMetrics;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentMap;
import java.util.concurrent.Executor;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Function;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A {@link QueryCache} on Caffeine: per-entry TTLs through Caffeine's variable expiry, a size bound
 * through its W-TinyLFU eviction, stampede-safe loading through its {@link AsyncCache}, statistics
 * through its stats counter, published to Micrometer with {@link CaffeineCacheMetrics}.
 *
 * <pre>{@code
 * QueryCache cache = CaffeineQueryCache.create(PerfConfig.fromEnvironment());   // for injection
 * QueryCache users = CaffeineQueryCache.builder()
 *         .name("users")
 *         .maxSize(10_000)
 *         .defaultTtl(Duration.ofMinutes(5))
 *         .build();
 * }</pre>
 *
 * <p>{@code Perf.getQueryCache()} returns one of these, named {@code query-cache}, when this module
 * is on the class path. The cache registers itself with a {@link MemoryPressureRegistry} (by
 * default the shared one) so that the memory manager can make it drop its coldest entries.
 *
 * <p>Thread-safe.
 */
public final class CaffeineQueryCache implements QueryCache, MemoryPressureListener {
    /*
     * Design notes.
     *
     * Storage: an AsyncCache<String, Entry>. The map holds a future per key, so concurrent loads of
     * one key share one future: exactly one loader runs, every waiter sees its value or its
     * exception, and a failed or null load leaves nothing behind (Caffeine removes such futures).
     * Invalidating a key while its load is in flight removes the future, so the late value is
     * never cached: an invalidation after the last set is never undone.
     *
     * Expiry: each Entry carries its own TTL in nanoseconds; the Expiry reads it on create and on
     * update, and leaves it alone on read.
     *
     * Writes go through the synchronous map view: a put into the async map view would count as a
     * load, and it is the cheapest write path of an async cache.
     *
     * Executor: maintenance runs on the calling thread by default. Not the common pool: with fewer
     * than three cores its parallelism is 1, CompletableFuture then swaps it for a new thread per
     * task, and Caffeine's replace notifications would start a thread per write (measured: ~350 µs
     * per set on 2 cores instead of ~1 µs).
     *
     * Statistics: we own the ConcurrentStatsCounter. Reads go through asMap().get(), which does not
     * record statistics but does feed the eviction policy, and record one hit or miss themselves;
     * that keeps the hit path free of allocation and lets getOrLoad count exactly one hit or one
     * miss per call although a miss makes a second lookup through AsyncCache.get().
     */
    private static final Logger log = LoggerFactory.getLogger(CaffeineQueryCache.class);

    /** What a cached absence (see {@link Builder#cacheNullsFor}) holds instead of a value. */
    private static final Object ABSENT = new Object();

    private final String name;
    private final Duration defaultTtl;
    private final long defaultTtlNanos;
    private final Duration nullTtl;
    private final AsyncCache<String, Entry> cache;
    private final ConcurrentMap<String, CompletableFuture<Entry>> map;
    private final ConcurrentMap<String, Entry> syncMap;
    private final ConcurrentStatsCounter statsCounter = new ConcurrentStatsCounter();
    private final Policy.Eviction<String, Entry> eviction;
    private final MeterRegistry meterRegistry;
    private final MemoryPressureRegistry.Registration pressureRegistration;
    private final AtomicBoolean closed = new AtomicBoolean();

    /** A cached value with the TTL it was stored with. */
    private record Entry(Object value, long ttlNanos) {}

    private CaffeineQueryCache(Builder builder) {
        this.name = builder.name;
        this.defaultTtl = builder.defaultTtl;
        this.defaultTtlNanos = toNanos(builder.defaultTtl);
        this.nullTtl = builder.nullTtl;
        this.cache = Caffeine.newBuilder()
                .maximumSize(builder.maxSize)
                .expireAfter(new PerEntryExpiry())
                .ticker(builder.ticker)
                .executor(builder.executor)
                .recordStats(() -> statsCounter)
                .buildAsync();
        this.map = cache.asMap();
        this.syncMap = cache.synchronous().asMap();
        this.eviction = cache.synchronous()
                .policy()
                .eviction()
                .orElseThrow(() -> new IllegalStateException("Caffeine built a cache without a size bound"));
        this.meterRegistry = builder.meterRegistry;
        CaffeineCacheMetrics.monitor(meterRegistry, cache, name);
        this.pressureRegistration = builder.pressureRegistry.register(this);
    }

    /**
     * Creates a cache sized and timed by the configuration ({@code QUERY_CACHE_SIZE}, {@code
     * QUERY_CACHE_TTL}), publishing to its meter registry, named {@code query-cache}.
     *
     * @param config the configuration
     * @return a new cache
     * @throws NullPointerException if {@code config} is null
     */
    public static CaffeineQueryCache create(PerfConfig config) {
        return builder().config(config).build();
    }

    /**
     * Returns a builder with the defaults of the {@link dev.perfkit.PerformanceMode#MEDIUM MEDIUM}
     * preset.
     *
     * @return a new builder
     */
    public static Builder builder() {
        return new Builder();
    }

    /** Returns the cache's name, the {@code cache} tag of its meters. */
    public String name() {
        return name;
    }

    /** Returns the TTL of {@link #set(String, Object)}. */
    public Duration defaultTtl() {
        return defaultTtl;
    }

    @Override
    public void set(String key, Object value) {
        requireNonNull(key, "key");
        requireNonNull(value, "value");
        syncMap.put(key, new Entry(value, defaultTtlNanos));
    }

    @Override
    public void set(String key, Object value, Duration ttl) {
        requireNonNull(key, "key");
        requireNonNull(value, "value");
        syncMap.put(key, new Entry(value, checkTtl(ttl)));
    }

    @Override
    public Object get(String key) {
        requireNonNull(key, "key");
        Entry entry = readyEntry(map.get(key));
        if (entry == null) {
            statsCounter.recordMisses(1);
            return null;
        }
        statsCounter.recordHits(1);
        return entry.value == ABSENT ? null : entry.value;
    }

    @Override
    public <V> V get(String key, Class<V> type) {
        requireNonNull(type, "type");
        return type.cast(get(key));
    }

    @Override
    @SuppressWarnings("unchecked")
    public <V> V getOrLoad(String key, Duration ttl, Supplier<V> loader) {
        requireNonNull(key, "key");
        long ttlNanos = checkTtl(ttl);
        requireNonNull(loader, "loader");
        Entry present = readyEntry(map.get(key));
        if (present != null) {
            statsCounter.recordHits(1);
            return present.value == ABSENT ? null : (V) present.value;
        }
        // Miss: publish our own future so that concurrent callers wait for this thread's load.
        CompletableFuture<Entry> ours = new CompletableFuture<>();
        CompletableFuture<Entry> shared = cache.get(key, (k, executor) -> ours);
        if (shared == ours) {
            try {
                ours.complete(wrap(loader.get(), ttlNanos));
            } catch (RuntimeException | Error e) {
                ours.completeExceptionally(e);
                throw e;
            }
        }
        Entry entry;
        try {
            entry = shared.join();
        } catch (CompletionException e) {
            throw rethrowable(e.getCause());
        }
        return entry == null || entry.value == ABSENT ? null : (V) entry.value;
    }

    @Override
    @SuppressWarnings("unchecked")
    public <V> CompletableFuture<V> getOrLoadAsync(
            String key, Duration ttl, Supplier<? extends CompletionStage<V>> loader) {
        requireNonNull(key, "key");
        long ttlNanos = checkTtl(ttl);
        requireNonNull(loader, "loader");
        Entry present = readyEntry(map.get(key));
        if (present != null) {
            statsCounter.recordHits(1);
            return CompletableFuture.completedFuture(present.value == ABSENT ? null : (V) present.value);
        }
        CompletableFuture<Entry> shared = cache.get(key, (k, executor) -> {
            CompletionStage<V> stage;
            try {
                stage = requireNonNull(loader.get(), "loader returned a null CompletionStage");
            } catch (RuntimeException | Error e) {
                return CompletableFuture.failedFuture(e);
            }
            return stage.toCompletableFuture().thenApply(value -> wrap(value, ttlNanos));
        });
        return shared.thenApply(entry -> entry == null || entry.value == ABSENT ? null : (V) entry.value);
    }

    @Override
    public <A, V> Function<A, V> cacheable(String keyPrefix, Duration ttl, Function<A, V> query) {
        requireNonNull(keyPrefix, "keyPrefix");
        checkTtl(ttl);
        requireNonNull(query, "query");
        return argument -> {
            requireNonNull(argument, "argument");
            return getOrLoad(keyPrefix + argument, ttl, () -> query.apply(argument));
        };
    }

    @Override
    public boolean invalidate(String key) {
        requireNonNull(key, "key");
        CompletableFuture<Entry> removed = map.remove(key);
        return readyEntry(removed) != null;
    }

    /**
     * {@inheritDoc}
     *
     * <p>Scans the keys once: about a millisecond per 100,000 entries (see {@code docs/cache.md}).
     */
    @Override
    public long invalidatePrefix(String prefix) {
        requireNonNull(prefix, "prefix");
        long removed = 0;
        for (String key : map.keySet()) {
            if (key.startsWith(prefix) && map.remove(key) != null) {
                removed++;
            }
        }
        return removed;
    }

    @Override
    public void clear() {
        cache.synchronous().invalidateAll();
    }

    @Override
    public CacheStats stats() {
        cache.synchronous().cleanUp();
        com.github.benmanes.caffeine.cache.stats.CacheStats snapshot = statsCounter.snapshot();
        return new CacheStats(
                snapshot.hitCount(),
                snapshot.missCount(),
                snapshot.hitRate(),
                snapshot.evictionCount(),
                cache.synchronous().estimatedSize(),
                snapshot.loadSuccessCount(),
                snapshot.loadFailureCount(),
                Duration.ofNanos(snapshot.totalLoadTime()));
    }

    @Override
    public long getMaxSize() {
        return eviction.getMaximum();
    }

    @Override
    public void setMaxSize(long maxSize) {
        if (maxSize < 0) {
            throw new IllegalArgumentException("maxSize must be zero or positive: " + maxSize);
        }
        eviction.setMaximum(maxSize);
    }

    /**
     * Gives memory back: under {@link MemoryPressureLevel#MODERATE} it drops the coldest half of its
     * entries (by Caffeine's eviction order), under {@link MemoryPressureLevel#CRITICAL} all of them.
     */
    @Override
    public String relieveMemoryPressure(MemoryPressureLevel level) {
        long before = cache.synchronous().estimatedSize();
        long dropped;
        if (level == MemoryPressureLevel.CRITICAL) {
            cache.synchronous().invalidateAll();
            dropped = before;
        } else {
            int half = (int) Math.min(Integer.MAX_VALUE, (before + 1) / 2);
            Map<String, Entry> coldest = eviction.coldest(half);
            cache.synchronous().invalidateAll(coldest.keySet());
            dropped = coldest.size();
        }
        cache.synchronous().cleanUp();
        return "query cache '" + name + "': dropped " + dropped + " of " + before + " entries ("
                + (level == MemoryPressureLevel.CRITICAL ? "all" : "coldest half") + ")";
    }

    /** Unregisters from memory pressure relief, removes this cache's meters and drops the entries. */
    @Override
    public void close() {
        if (!closed.compareAndSet(false, true)) {
            return;
        }
        pressureRegistration.close();
        try {
            for (Meter meter : meterRegistry.getMeters()) {
                if (meter.getId().getName().startsWith("cache.")
                        && name.equals(meter.getId().getTag("cache"))) {
                    meterRegistry.remove(meter);
                }
            }
        } catch (RuntimeException e) {
            log.warn("Failed to remove the meters of query cache '{}'", name, e);
        }
        cache.synchronous().invalidateAll();
    }

    @Override
    public String toString() {
        return "CaffeineQueryCache{name=" + name + ", maxSize=" + getMaxSize() + ", defaultTtl=" + defaultTtl + "}";
    }

    private Entry wrap(Object value, long ttlNanos) {
        if (value != null) {
            return new Entry(value, ttlNanos);
        }
        return nullTtl == null ? null : new Entry(ABSENT, toNanos(nullTtl));
    }

    /** The entry of a completed, successful future; null for absent, in-flight or failed ones. */
    private static Entry readyEntry(CompletableFuture<Entry> future) {
        if (future == null || !future.isDone() || future.isCompletedExceptionally()) {
            return null;
        }
        return future.join();
    }

    private static RuntimeException rethrowable(Throwable cause) {
        if (cause instanceof RuntimeException runtime) {
            return runtime;
        }
        if (cause instanceof Error error) {
            throw error;
        }
        return new CompletionException(cause);
    }

    private static long checkTtl(Duration ttl) {
        requireNonNull(ttl, "ttl");
        if (ttl.isNegative()) {
            throw new IllegalArgumentException("ttl must not be negative: " + ttl);
        }
        return toNanos(ttl);
    }

    private static long toNanos(Duration duration) {
        try {
            return duration.toNanos();
        } catch (ArithmeticException tooLong) {
            return Long.MAX_VALUE;
        }
    }

    /** Each entry lives for the TTL it was stored with; reads do not extend it. */
    private static final class PerEntryExpiry implements Expiry<String, Entry> {
        @Override
        public long expireAfterCreate(String key, Entry entry, long currentTime) {
            return entry.ttlNanos;
        }

        @Override
        public long expireAfterUpdate(String key, Entry entry, long currentTime, long currentDuration) {
            return entry.ttlNanos;
        }

        @Override
        public long expireAfterRead(String key, Entry entry, long currentTime, long currentDuration) {
            return currentDuration;
        }
    }

    /**
     * Configures a {@link CaffeineQueryCache}. Setters check their values at once. Not thread-safe.
     */
    public static final class Builder {
        private String name = "query-cache";
        private long maxSize;
        private Duration defaultTtl;
        private Duration nullTtl;
        private Ticker ticker = Ticker.systemTicker();
        private Executor executor = Runnable::run;
        private MeterRegistry meterRegistry;
        private MemoryPressureRegistry pressureRegistry = MemoryPressureRegistry.shared();

        private Builder() {
            config(PerfConfig.builder().build());
        }

        /**
         * Takes the size, TTL and meter registry from a configuration.
         *
         * @param config the configuration
         * @return this builder
         */
        public Builder config(PerfConfig config) {
            requireNonNull(config, "config");
            this.maxSize = config.queryCacheSize();
            this.defaultTtl = config.queryCacheTtl();
            this.meterRegistry = config.meterRegistry();
            return this;
        }

        /**
         * Names the cache; the name tags its meters ({@code cache=<name>}). Default {@code query-cache}.
         *
         * @param name a non-blank name, unique per meter registry
         * @return this builder
         * @throws IllegalArgumentException if blank
         */
        public Builder name(String name) {
            requireNonNull(name, "name");
            if (name.isBlank()) {
                throw new IllegalArgumentException("name must not be blank: '" + name + "'");
            }
            this.name = name;
            return this;
        }

        /**
         * Sets the bound on the number of entries.
         *
         * @param maxSize zero or more
         * @return this builder
         * @throws IllegalArgumentException if negative
         */
        public Builder maxSize(long maxSize) {
            if (maxSize < 0) {
                throw new IllegalArgumentException("maxSize must be zero or positive: " + maxSize);
            }
            this.maxSize = maxSize;
            return this;
        }

        /**
         * Sets the TTL of {@link CaffeineQueryCache#set(String, Object)}.
         *
         * @param defaultTtl zero or more
         * @return this builder
         * @throws IllegalArgumentException if negative
         */
        public Builder defaultTtl(Duration defaultTtl) {
            requireNonNull(defaultTtl, "defaultTtl");
            if (defaultTtl.isNegative()) {
                throw new IllegalArgumentException("defaultTtl must not be negative: " + defaultTtl);
            }
            this.defaultTtl = defaultTtl;
            return this;
        }

        /**
         * Caches the absence of a value: a loader that returns null is remembered for {@code ttl}, so
         * lookups of missing records do not hit the database every time. Off by default (a null
         * load caches nothing). {@code get} still returns null for a cached absence, and counts a
         * hit.
         *
         * @param ttl how long to remember an absence, positive
         * @return this builder
         * @throws IllegalArgumentException if not positive
         */
        public Builder cacheNullsFor(Duration ttl) {
            requireNonNull(ttl, "ttl");
            if (ttl.isNegative() || ttl.isZero()) {
                throw new IllegalArgumentException("cacheNullsFor ttl must be positive: " + ttl);
            }
            this.nullTtl = ttl;
            return this;
        }

        /**
         * Sets the time source of expiry (tests pass a fake one).
         *
         * @param ticker the time source
         * @return this builder
         */
        public Builder ticker(Ticker ticker) {
            this.ticker = requireNonNull(ticker, "ticker");
            return this;
        }

        /**
         * Sets the executor of Caffeine's maintenance work (eviction, expiry clean-up). By default it
         * runs on the calling thread, which costs a few hundred nanoseconds now and then and never
         * starts a thread. Avoid {@code ForkJoinPool.commonPool()} on machines with fewer than three
         * cores: the JDK then runs its async tasks on a new thread each.
         *
         * @param executor the executor; default the calling thread
         * @return this builder
         */
        public Builder executor(Executor executor) {
            this.executor = requireNonNull(executor, "executor");
            return this;
        }

        /**
         * Sets where the cache's meters go.
         *
         * @param meterRegistry the registry
         * @return this builder
         */
        public Builder meterRegistry(MeterRegistry meterRegistry) {
            this.meterRegistry = requireNonNull(meterRegistry, "meterRegistry");
            return this;
        }

        /**
         * Sets the registry through which memory managers ask this cache to shrink.
         *
         * @param pressureRegistry the registry; default {@link MemoryPressureRegistry#shared()}
         * @return this builder
         */
        public Builder pressureRegistry(MemoryPressureRegistry pressureRegistry) {
            this.pressureRegistry = requireNonNull(pressureRegistry, "pressureRegistry");
            return this;
        }

        /**
         * Builds the cache.
         *
         * @return a new cache
         */
        public CaffeineQueryCache build() {
            return new CaffeineQueryCache(this);
        }
    }
}
