package dev.perfkit.cache.caffeine;

import static java.util.Objects.requireNonNull;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import com.github.benmanes.caffeine.cache.Expiry;
import com.github.benmanes.caffeine.cache.Policy;
import com.github.benmanes.caffeine.cache.RemovalCause;
import com.github.benmanes.caffeine.cache.Ticker;
import dev.perfkit.PerfConfig;
import dev.perfkit.cache.CacheStats;
import dev.perfkit.cache.QueryCache;
import dev.perfkit.internal.MeterOwnership;
import dev.perfkit.internal.Meters;
import dev.perfkit.memory.MemoryPressureLevel;
import dev.perfkit.memory.MemoryPressureListener;
import dev.perfkit.memory.MemoryPressureRegistry;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.binder.cache.CaffeineCacheMetrics;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ConcurrentMap;
import java.util.concurrent.ConcurrentSkipListSet;
import java.util.concurrent.Executor;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Function;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A {@link QueryCache} on Caffeine: per-entry TTLs through Caffeine's variable expiry, a size bound
 * through its W-TinyLFU eviction, statistics through its stats counter, published to Micrometer
 * with {@link CaffeineCacheMetrics}.
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
     * Storage: a synchronous Caffeine Cache<String, Object> holding the values themselves, so a
     * hit is exactly Caffeine's own map lookup plus a counter (no wrapper, no future to
     * dereference). Every
     * write goes through VarExpiration.compute with the entry's TTL.
     *
     * Loads: a small map of in-flight loads, key -> Load (a CompletableFuture). The first caller to
     * miss registers a Load and runs the loader; later callers of the key wait on it, so exactly one
     * loader runs and every waiter sees its value or its exception (any Throwable, also a checked
     * one thrown sneakily). A finished load is cached inside loads.computeIfPresent, under the bin
     * lock of its key, and only if its Load is still registered. invalidate(), set(),
     * invalidatePrefix() and clear() unregister in-flight loads *before* they touch the entries, so
     * a load that started before an invalidation can never put its value back after it: either it
     * published first (and the invalidation removes the value) or it finds itself unregistered.
     * A loader that calls getOrLoad on its own key would wait for itself: the Load remembers the
     * thread running its loader, and that thread gets an IllegalStateException instead.
     *
     * Prefix invalidation: a sorted index of the keys (ConcurrentSkipListSet) turns
     * invalidatePrefix into a range lookup instead of a scan of every entry. Invariant, at every
     * instant: a key the map holds is in the index. A key enters the index inside the compute that
     * writes it (before the value is visible) and leaves it only inside a compute that finds the
     * key absent (forgetIfAbsent), both under the key's lock, so no write can slip between. Entries
     * removed by Caffeine (size, expiry) leave a dead key in the index; the eviction listener
     * cannot compute on the key it is removing, so it queues the key and later writes sweep a few
     * queued keys each (bounded work per call). An index with dead keys costs memory, never
     * correctness; a live key missing from the index would let invalidatePrefix leave a stale value.
     *
     * Statistics: QueryCacheStatsCounter, counted by us, not by Caffeine (whose computes would
     * count our index upkeep as loads and misses): lookup() counts the hit or miss, loads record
     * their own success, failure and time, internal re-checks count nothing, Caffeine reports only
     * evictions. So getOrLoad counts exactly one hit or one miss per call.
     *
     * Closing: a closed cache refuses writes and loads (IllegalStateException), answers reads with
     * null, and treats invalidations as no-ops; its meters are removed and its entries dropped.
     * Writes re-check "closed" inside their compute, so none lands after close() cleared.
     */
    private static final Logger log = LoggerFactory.getLogger(CaffeineQueryCache.class);

    /** What a cached absence (see {@link Builder#cacheNullsFor}) holds instead of a value. */
    private static final Object ABSENT = new Object() {
        @Override
        public String toString() {
            return "ABSENT";
        }
    };

    private final String name;
    private final Duration defaultTtl;
    private final Duration nullTtl;
    private final Cache<String, Object> cache;
    private final ConcurrentMap<String, Object> map;
    private final Policy.VarExpiration<String, Object> expiration;
    private final Policy.Eviction<String, Object> eviction;
    private final ConcurrentHashMap<String, Load> loads = new ConcurrentHashMap<>();
    private final ConcurrentSkipListSet<String> keys = new ConcurrentSkipListSet<>();
    private final ConcurrentLinkedQueue<String> evictedKeys = new ConcurrentLinkedQueue<>();
    private final String meterName;
    private final List<Meter> meters = new ArrayList<>();
    private MemoryPressureRegistry.Registration pressureRegistration;
    private final QueryCacheStatsCounter statsCounter = new QueryCacheStatsCounter();
    private final MeterRegistry meterRegistry;
    private final MemoryPressureRegistry pressureRegistry;
    private final AtomicBoolean closed = new AtomicBoolean();

    /** An in-flight load; {@code loaderThread} is set while the loader runs on that thread. */
    private static final class Load extends CompletableFuture<Object> {
        volatile Thread loaderThread;
    }

    private CaffeineQueryCache(Builder builder) {
        this.name = builder.name;
        this.defaultTtl = builder.defaultTtl;
        this.nullTtl = builder.nullTtl;
        Caffeine<String, Object> caffeine = Caffeine.newBuilder()
                .maximumSize(builder.maxSize)
                .expireAfter(new DefaultTtlExpiry(toNanos(builder.defaultTtl)))
                .ticker(builder.ticker)
                .evictionListener((String key, Object value, RemovalCause cause) -> evictedKeys.add(key))
                .recordStats(() -> statsCounter);
        if (builder.executor != null) {
            caffeine.executor(builder.executor);
        }
        this.cache = caffeine.build();
        this.map = cache.asMap();
        this.expiration = cache.policy()
                .expireVariably()
                .orElseThrow(() -> new IllegalStateException("Caffeine built a cache without variable expiry"));
        this.eviction = cache.policy()
                .eviction()
                .orElseThrow(() -> new IllegalStateException("Caffeine built a cache without a size bound"));
        this.meterRegistry = builder.meterRegistry;
        this.pressureRegistry = builder.pressureRegistry;
        this.meterName = MeterOwnership.claim(meterRegistry, "cache", name);
    }

    /** Publishes meters and joins memory-pressure relief once the object exists. */
    private CaffeineQueryCache start() {
        try {
            CaffeineCacheMetrics.monitor(meterRegistry, cache, meterName);
            // The tag value is ours alone among live caches on this registry (MeterOwnership).
            meters.addAll(
                    meterRegistry.find("cache.gets").tag("cache", meterName).meters());
            for (Meter meter : meterRegistry.getMeters()) {
                if (meter.getId().getName().startsWith("cache.")
                        && meterName.equals(meter.getId().getTag("cache"))
                        && !meters.contains(meter)) {
                    meters.add(meter);
                }
            }
        } catch (RuntimeException e) {
            log.warn("Could not register the meters of query cache '{}'; it works without them", name, e);
        }
        this.pressureRegistration = pressureRegistry.register(this);
        return this;
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

    /** Returns the cache's name. */
    public String name() {
        return name;
    }

    /**
     * Returns the {@code cache} tag of this cache's meters: its name, or {@code name-2}, ... when
     * another live cache of that name publishes to the same registry.
     */
    public String meterTag() {
        return meterName;
    }

    /** Returns the TTL of {@link #set(String, Object)}. */
    public Duration defaultTtl() {
        return defaultTtl;
    }

    @Override
    public void set(String key, Object value) {
        set(key, value, defaultTtl);
    }

    @Override
    public void set(String key, Object value, Duration ttl) {
        requireNonNull(key, "key");
        requireNonNull(value, "value");
        checkTtl(ttl);
        checkOpen();
        loads.remove(key); // an explicit write wins over a load in flight
        store(key, value, ttl);
        sweepEvictedKeys();
    }

    /** Writes an entry and indexes its key, atomically for that key. */
    private void store(String key, Object value, Duration ttl) {
        Object unused = expiration.compute(
                key,
                (k, old) -> {
                    if (closed.get()) {
                        return old;
                    }
                    keys.add(k);
                    return value;
                },
                ttl);
    }

    @Override
    public Object get(String key) {
        Object value = lookup(requireNonNull(key, "key"));
        return value == ABSENT ? null : value;
    }

    @Override
    public Object peek(String key) {
        Object value = cache.policy().getIfPresentQuietly(requireNonNull(key, "key"));
        return value == ABSENT ? null : value;
    }

    @Override
    public <V> V get(String key, Class<V> type) {
        requireNonNull(type, "type");
        return type.cast(get(key));
    }

    @Override
    public <V> V getOrLoad(String key, Supplier<V> loader) {
        return getOrLoad(key, defaultTtl, loader);
    }

    @Override
    public <V> V getOrLoad(String key, Duration ttl, Supplier<V> loader) {
        return load(key, ttl, nullTtl, loader);
    }

    @Override
    public <V> V getOrLoad(String key, Duration ttl, Duration absentTtl, Supplier<V> loader) {
        requireNonNull(absentTtl, "absentTtl");
        if (absentTtl.isNegative()) {
            throw new IllegalArgumentException("absentTtl must not be negative: " + absentTtl);
        }
        return load(key, ttl, absentTtl.isZero() ? null : absentTtl, loader);
    }

    /** The shared load; {@code absentTtl} null means a null result is not remembered. */
    @SuppressWarnings("unchecked")
    private <V> V load(String key, Duration ttl, Duration absentTtl, Supplier<V> loader) {
        requireNonNull(key, "key");
        checkTtl(ttl);
        requireNonNull(loader, "loader");
        Object value = lookup(key);
        if (value != null) {
            return value == ABSENT ? null : (V) value;
        }
        checkOpen();
        Load ours = new Load();
        Load shared = loads.putIfAbsent(key, ours);
        if (shared == null) {
            shared = ours;
            if (!completeFromCache(key, ours)) {
                long start = System.nanoTime();
                Object loaded;
                ours.loaderThread = Thread.currentThread();
                try {
                    loaded = loader.get();
                } catch (Throwable e) { // checked ones too, thrown sneakily (Kotlin, Lombok)
                    fail(key, ours, e, start);
                    throw sneaky(e);
                } finally {
                    ours.loaderThread = null;
                }
                publish(key, loaded, ttl, absentTtl, ours, start);
            }
        } else {
            checkNotRecursive(key, shared);
        }
        Object result;
        try {
            result = shared.join();
        } catch (CompletionException e) {
            throw sneaky(e.getCause() != null ? e.getCause() : e);
        }
        return result == ABSENT ? null : (V) result;
    }

    @Override
    @SuppressWarnings("unchecked")
    public <V> CompletableFuture<V> getOrLoadAsync(
            String key, Duration ttl, Supplier<? extends CompletionStage<V>> loader) {
        requireNonNull(key, "key");
        checkTtl(ttl);
        requireNonNull(loader, "loader");
        Object value = lookup(key);
        if (value != null) {
            return CompletableFuture.completedFuture(value == ABSENT ? null : (V) value);
        }
        checkOpen();
        Load ours = new Load();
        Load shared = loads.putIfAbsent(key, ours);
        if (shared == null) {
            shared = ours;
            if (!completeFromCache(key, ours)) {
                long start = System.nanoTime();
                ours.loaderThread = Thread.currentThread();
                try {
                    CompletionStage<V> stage = requireNonNull(loader.get(), "loader returned a null CompletionStage");
                    stage.whenComplete((loaded, failure) -> {
                        if (failure != null) {
                            fail(
                                    key,
                                    ours,
                                    failure instanceof CompletionException && failure.getCause() != null
                                            ? failure.getCause()
                                            : failure,
                                    start);
                        } else {
                            publish(key, loaded, ttl, nullTtl, ours, start);
                        }
                    });
                } catch (Throwable e) { // checked ones too, thrown sneakily
                    fail(key, ours, e, start);
                } finally {
                    ours.loaderThread = null;
                }
            }
        } else {
            checkNotRecursive(key, shared);
        }
        return shared.thenApply(result -> result == ABSENT ? null : (V) result);
    }

    /** Caffeine's lookup (expired entries read as absent), counting one hit or one miss. */
    private Object lookup(String key) {
        Object value = map.get(key);
        if (value != null) {
            statsCounter.hit();
        } else {
            statsCounter.miss();
        }
        return value;
    }

    /** A loader that asks for its own key would wait for itself forever. */
    private static void checkNotRecursive(String key, Load shared) {
        if (shared.loaderThread == Thread.currentThread()) {
            throw new IllegalStateException("recursive load: the loader of key '" + key
                    + "' asked the cache for that same key; it would wait for itself forever");
        }
    }

    /** A load may have finished between our miss and our registration: then use its value. */
    private boolean completeFromCache(String key, Load ours) {
        Object present = map.get(key);
        if (present == null) {
            return false;
        }
        loads.remove(key, ours);
        ours.complete(present);
        return true;
    }

    private void publish(String key, Object loaded, Duration ttl, Duration absentTtl, Load ours, long start) {
        long elapsed = System.nanoTime() - start;
        Object stored;
        Duration storedTtl;
        if (loaded != null) {
            statsCounter.loadSucceeded(elapsed);
            stored = loaded;
            storedTtl = ttl;
        } else {
            statsCounter.loadFailed(elapsed);
            stored = absentTtl != null ? ABSENT : null;
            storedTtl = absentTtl;
        }
        try {
            loads.computeIfPresent(key, (k, registered) -> {
                if (registered != ours) {
                    return registered;
                }
                if (stored != null) {
                    store(k, stored, storedTtl);
                }
                return null;
            });
        } finally {
            ours.complete(stored);
        }
        sweepEvictedKeys();
    }

    private void fail(String key, Load ours, Throwable failure, long start) {
        statsCounter.loadFailed(System.nanoTime() - start);
        loads.remove(key, ours);
        ours.completeExceptionally(failure);
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
    public boolean replace(String key, Object expected, Object replacement) {
        requireNonNull(key, "key");
        requireNonNull(expected, "expected");
        requireNonNull(replacement, "replacement");
        if (closed.get()) {
            return false;
        }
        // Keep the entry's expiry: a value brought up to date is not a fresh load.
        Optional<Duration> left = expiration.getExpiresAfter(key);
        if (left.isEmpty() || left.get().isNegative() || left.get().isZero()) {
            return false;
        }
        boolean[] replaced = {false};
        Object unused = expiration.compute(
                key,
                (k, old) -> {
                    if (old == expected && !closed.get()) {
                        replaced[0] = true;
                        return replacement;
                    }
                    return old; // absent (null) stays absent
                },
                left.get());
        return replaced[0];
    }

    @Override
    public boolean invalidate(String key) {
        requireNonNull(key, "key");
        loads.remove(key); // first: a load that started before this call must not publish after it
        Object removed = map.remove(key);
        // Again: a load registered between the two lines above may have read the value just removed
        // (completeFromCache) and must not be joined by a read that starts after this call returns.
        loads.remove(key);
        forgetIfAbsent(key);
        return removed != null;
    }

    /** Drops a key from the index if, under the key's lock, the cache does not hold it. */
    private void forgetIfAbsent(String key) {
        Object unused = map.computeIfAbsent(key, k -> {
            keys.remove(k);
            return null; // creates nothing
        });
    }

    /** Removes a few keys Caffeine evicted from the index: bounded work per write. */
    private void sweepEvictedKeys() {
        for (int i = 0; i < 8; i++) {
            String key = evictedKeys.poll();
            if (key == null) {
                return;
            }
            forgetIfAbsent(key);
        }
    }

    /**
     * {@inheritDoc}
     *
     * <p>A range lookup in a sorted index of the keys: microseconds, whatever the size of the cache
     * (see {@code docs/cache.md}).
     */
    @Override
    public long invalidatePrefix(String prefix) {
        requireNonNull(prefix, "prefix");
        loads.keySet().removeIf(key -> key.startsWith(prefix));
        long removed = 0;
        for (String key : keys.tailSet(prefix)) {
            if (!key.startsWith(prefix)) {
                break;
            }
            if (map.remove(key) != null) {
                removed++;
            }
            forgetIfAbsent(key);
        }
        loads.keySet().removeIf(key -> key.startsWith(prefix)); // again, as in invalidate(key)
        return removed;
    }

    @Override
    public void clear() {
        loads.clear();
        for (String key : keys) {
            map.remove(key);
            forgetIfAbsent(key);
        }
        evictedKeys.clear();
        loads.clear(); // again, as in invalidate(key)
    }

    @Override
    public CacheStats stats() {
        cache.cleanUp();
        com.github.benmanes.caffeine.cache.stats.CacheStats snapshot = statsCounter.snapshot();
        return new CacheStats(
                snapshot.hitCount(),
                snapshot.missCount(),
                snapshot.hitRate(),
                snapshot.evictionCount(),
                cache.estimatedSize(),
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
        checkOpen();
        eviction.setMaximum(maxSize);
        cache.cleanUp();
    }

    /**
     * Gives memory back: under {@link MemoryPressureLevel#MODERATE} it drops the coldest half of its
     * entries (by Caffeine's eviction order), under {@link MemoryPressureLevel#CRITICAL} all of them.
     */
    @Override
    public String relieveMemoryPressure(MemoryPressureLevel level) {
        cache.cleanUp();
        long before = cache.estimatedSize();
        long dropped;
        if (level == MemoryPressureLevel.CRITICAL) {
            clear();
            dropped = before;
        } else {
            int half = (int) Math.min(Integer.MAX_VALUE, (before + 1) / 2);
            Map<String, Object> coldest = eviction.coldest(half);
            for (String key : coldest.keySet()) {
                map.remove(key);
                forgetIfAbsent(key);
            }
            dropped = coldest.size();
        }
        cache.cleanUp();
        return "query cache '" + name + "': dropped " + dropped + " of " + before + " entries ("
                + (level == MemoryPressureLevel.CRITICAL ? "all" : "coldest half") + ")";
    }

    /**
     * Unregisters from memory pressure relief, removes this cache's meters (only those it
     * registered) and drops the entries. Afterwards writes and loads throw {@link
     * IllegalStateException}, reads return null and invalidations do nothing. Idempotent.
     */
    @Override
    public void close() {
        if (!closed.compareAndSet(false, true)) {
            return;
        }
        if (pressureRegistration != null) {
            pressureRegistration.close();
        }
        Meters.removeQuietly(meterRegistry, meters);
        MeterOwnership.release(meterRegistry, "cache", meterName);
        clear();
    }

    private void checkOpen() {
        if (closed.get()) {
            throw new IllegalStateException("query cache '" + name + "' is closed");
        }
    }

    @Override
    public String toString() {
        return "CaffeineQueryCache{name=" + name + ", maxSize=" + getMaxSize() + ", defaultTtl=" + defaultTtl + "}";
    }

    /** Rethrows any throwable unchanged, checked ones included, as the loader threw it. */
    private static RuntimeException sneaky(Throwable failure) {
        throw CaffeineQueryCache.<RuntimeException>sneakyThrow(failure);
    }

    @SuppressWarnings({"unchecked", "TypeParameterUnusedInFormals"})
    private static <E extends Throwable> E sneakyThrow(Throwable failure) throws E {
        throw (E) failure;
    }

    private static void checkTtl(Duration ttl) {
        requireNonNull(ttl, "ttl");
        if (ttl.isNegative()) {
            throw new IllegalArgumentException("ttl must not be negative: " + ttl);
        }
    }

    private static long toNanos(Duration duration) {
        try {
            return duration.toNanos();
        } catch (ArithmeticException tooLong) {
            return Long.MAX_VALUE;
        }
    }

    /**
     * Enables Caffeine's variable expiry. Every write names its TTL through {@code
     * VarExpiration.put}; this only supplies the default for any other path, and leaves reads alone.
     */
    private static final class DefaultTtlExpiry implements Expiry<String, Object> {
        private final long defaultTtlNanos;

        DefaultTtlExpiry(long defaultTtlNanos) {
            this.defaultTtlNanos = defaultTtlNanos;
        }

        @Override
        public long expireAfterCreate(String key, Object value, long currentTime) {
            return defaultTtlNanos;
        }

        @Override
        public long expireAfterUpdate(String key, Object value, long currentTime, long currentDuration) {
            return defaultTtlNanos;
        }

        @Override
        public long expireAfterRead(String key, Object value, long currentTime, long currentDuration) {
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
        private Executor executor;
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
         * Sets the executor of Caffeine's maintenance work (eviction, expiry clean-up); tests pass
         * {@code Runnable::run} to make it synchronous.
         *
         * @param executor the executor; default Caffeine's (the common pool)
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
            return new CaffeineQueryCache(this).start();
        }
    }
}
