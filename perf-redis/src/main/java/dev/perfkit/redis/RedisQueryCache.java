package dev.perfkit.redis;

import static java.util.Objects.requireNonNull;

import dev.perfkit.PerfConfig;
import dev.perfkit.cache.CacheLevel;
import dev.perfkit.cache.CacheStats;
import dev.perfkit.cache.QueryCache;
import dev.perfkit.cache.caffeine.CaffeineQueryCache;
import dev.perfkit.internal.Durations;
import dev.perfkit.memory.MemoryPressureRegistry;
import io.lettuce.core.RedisURI;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.MeterRegistry;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.Function;
import java.util.function.LongSupplier;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A {@link QueryCache} in two levels: the in-process level ({@link CaffeineQueryCache}) in front of
 * a Redis shared by every instance of the bot.
 *
 * <pre>{@code
 * RedisQueryCache cache = RedisQueryCache.builder()
 *         .redisUri("redis://127.0.0.1:6379/0")
 *         .name("bot")                      // instances with the same name on one Redis share entries
 *         .level(CacheLevel.BOTH)
 *         .compressionThreshold(1024)
 *         .build();
 * Profile profile = cache.getOrLoad("profile:" + id, Duration.ofMinutes(5), () -> users.find(id));
 * }</pre>
 *
 * <p><b>Across instances.</b> A {@code set}, {@code invalidate}, {@code invalidatePrefix} or {@code
 * clear} on one instance removes the entry from every other instance's in-process level: through
 * Redis's own invalidation messages (CLIENT TRACKING in broadcast mode on the cache's key prefix, over
 * RESP3) where the server has them, through a pub/sub channel otherwise. Messages take a loopback
 * round trip or so to arrive; until then another instance may still serve the old value from its
 * in-process level (the propagation window, measured in {@code docs/redis.md}). Whenever the
 * connection that receives them is lost or re-established, the in-process level is flushed.
 *
 * <p><b>Redis down.</b> Unreachable at start-up or lost mid-run, Redis is left out without an
 * exception reaching the host: the cache works in memory only, with entries living at most {@code
 * REDIS_DEGRADED_TTL} (instances cannot tell each other of writes meanwhile), and {@link
 * #isRedisAvailable()} says so, as do {@link #redisStats()} and the meter {@code
 * perfkit.cache.redis.available}. A background check reconnects; before Redis is used again, the
 * invalidations this instance made meanwhile are applied to it, and the in-process level is flushed.
 *
 * <p><b>Values</b> are stored through a {@link ValueCodec} (by default {@link DefaultValueCodec}:
 * built-in types, BSON documents, and allow-listed records/POJOs as JSON), LZ4-compressed above
 * {@code CACHE_COMPRESSION_THRESHOLD} bytes. A value the codec cannot encode stays in the writer's
 * in-process level (one warning per type); a marker in Redis makes writes to its key still reach
 * every instance.
 *
 * <p>Thread-safe; the consistency rules of {@link QueryCache} hold within each instance.
 */
public final class RedisQueryCache implements QueryCache {
    private static final Logger log = LoggerFactory.getLogger(RedisQueryCache.class);
    /** The in-process level's stand-in for "nothing found", remembered by negative caching. */
    private static final Object ABSENT = new Object();

    private final String name;
    private final CaffeineQueryCache memory;
    private final SharedLevel shared; // null at level MEMORY
    private final ValueCodec codec;
    private final Options defaults; // level, compression threshold and default TTL of the cache itself

    /** What a profile changes per call: levels, compression threshold, default TTL. */
    private record Options(CacheLevel level, long compressionThreshold, Duration defaultTtl) {}

    private final Duration degradedTtl;
    private final MeterRegistry meterRegistry;
    private final List<Meter> meters = new ArrayList<>();
    private final Set<String> unsupportedTypes = ConcurrentHashMap.newKeySet();
    private final LongAdder memoryHits = new LongAdder();
    private final LongAdder redisHits = new LongAdder();
    private final LongAdder misses = new LongAdder();
    private final LongAdder loadSuccesses = new LongAdder();
    private final LongAdder loadFailures = new LongAdder();
    private final LongAdder loadNanos = new LongAdder();
    private final LongSupplier ticker;
    private final long originNanos;
    private final long originMillis = System.currentTimeMillis();

    /**
     * An in-process entry: the value (or ABSENT) and when it expires, as in Redis. {@code exact}
     * when the in-process level was given that very lifetime, so a read need not check the clock
     * (it keeps a hit as cheap as the in-process cache's own); entries read from Redis, or kept
     * shorter than the TTL their load was given, are checked.
     */
    private record Local(Object value, long expiresAtMillis, boolean exact) {}

    private RedisQueryCache(Builder builder) {
        this.name = builder.name;
        this.codec = builder.codec;
        this.defaults = new Options(builder.level, builder.compressionThreshold, builder.defaultTtl);
        this.degradedTtl = builder.degradedTtl;
        this.meterRegistry = builder.meterRegistry;
        this.ticker = builder.ticker;
        this.originNanos = ticker.getAsLong();
        CaffeineQueryCache.Builder memoryBuilder = CaffeineQueryCache.builder();
        if (builder.ticker != Builder.SYSTEM_TICKER) {
            memoryBuilder.ticker(builder.ticker::getAsLong);
        }
        if (builder.executor != null) {
            memoryBuilder.executor(builder.executor);
        }
        this.memory = memoryBuilder
                .name(builder.name)
                .maxSize(builder.maxSize)
                .defaultTtl(builder.defaultTtl)
                .meterRegistry(builder.meterRegistry)
                .pressureRegistry(builder.pressureRegistry)
                .build();
        if (defaults.level() == CacheLevel.MEMORY) {
            this.shared = null;
        } else {
            RedisURI uri = parse(builder.redisUri);
            uri.setTimeout(builder.timeout);
            this.shared = new SharedLevel(
                    uri,
                    "perfkit:cache:" + builder.name + ":",
                    builder.timeout,
                    builder.pingInterval,
                    builder.invalidation,
                    UUID.randomUUID().toString(),
                    new SharedLevel.Listener() {
                        @Override
                        public void invalidateKey(String key) {
                            memory.invalidate(key);
                        }

                        @Override
                        public void invalidatePrefix(String prefix) {
                            long unused = memory.invalidatePrefix(prefix);
                        }

                        @Override
                        public void invalidateAll(String reason) {
                            memory.clear();
                        }
                    });
        }
        registerMeters();
    }

    private static RedisURI parse(String redisUri) {
        try {
            return RedisURI.create(redisUri);
        } catch (RuntimeException e) {
            // The message must not echo a password the URI may hold.
            throw new IllegalArgumentException(
                    "redisUri is not a Redis URI (redis://[:password@]host:port/db or" + " rediss://...): "
                            + redacted(redisUri) + " (" + e.getClass().getSimpleName() + ")");
        }
    }

    /** The URI without its password, for messages. */
    static String redacted(String uri) {
        return uri.replaceAll("(?<=://)[^@/]*@", "***@");
    }

    /**
     * Creates a cache from the configuration: {@code REDIS_URL}, {@code CACHE_LEVEL}, {@code
     * CACHE_COMPRESSION_THRESHOLD}, {@code REDIS_TIMEOUT_MS}, {@code REDIS_DEGRADED_TTL}, and the
     * query-cache size and TTL.
     *
     * @param config the configuration
     * @return the cache; it connects in the background and never waits for Redis
     * @throws IllegalArgumentException if {@code REDIS_URL} is empty (while the level is not memory)
     *     or not a Redis URI
     */
    public static RedisQueryCache create(PerfConfig config) {
        return builder().config(config).build();
    }

    /**
     * Starts a builder with the defaults of the medium preset.
     *
     * @return a builder
     */
    public static Builder builder() {
        return new Builder();
    }

    /** Returns whether Redis is in use now; false while the cache works in memory only. */
    public boolean isRedisAvailable() {
        return shared != null && shared.available();
    }

    /** Returns why Redis is not in use, or {@code ""} while it is (or at level memory). */
    public String redisUnavailableReason() {
        return shared == null ? "" : shared.unavailableReason();
    }

    /**
     * Waits, at most {@code wait}, for the first connection to Redis; for start-up code and tests
     * that want the shared level before they go on. Never throws because Redis is down.
     *
     * @param wait how long at most
     * @return whether Redis is in use
     */
    public boolean awaitRedis(Duration wait) {
        Durations.checkNonNegative("wait", wait);
        return shared != null && shared.awaitAvailable(wait);
    }

    /** Returns the cache's name: instances with the same name on one Redis share entries. */
    public String name() {
        return name;
    }

    /** Returns the levels in use. */
    public CacheLevel level() {
        return defaults.level();
    }

    /**
     * Returns the counters of both levels.
     *
     * @return the counters
     */
    public RedisCacheStats redisStats() {
        return new RedisCacheStats(
                memoryHits.sum(),
                redisHits.sum(),
                misses.sum(),
                isRedisAvailable(),
                shared == null ? "memory" : shared.mode().name().toLowerCase(java.util.Locale.ROOT),
                shared == null ? 0 : shared.invalidationsReceived(),
                shared == null ? 0 : shared.failures());
    }

    // ---- reads

    @Override
    public Object get(String key) {
        return get(key, defaults);
    }

    private Object get(String key, Options o) {
        requireNonNull(key, "key");
        Local local = fresh(key, o);
        if (local != null) {
            memoryHits.increment();
            return local.value == ABSENT ? null : local.value;
        }
        if (!usesShared(o)) {
            misses.increment();
            return null;
        }
        Local fetched = useMemory(o) ? memory.getOrLoad(key, o.defaultTtl(), () -> fetch(key)) : fetch(key);
        if (fetched == null) {
            misses.increment();
            return null;
        }
        redisHits.increment();
        return fetched.value == ABSENT ? null : fetched.value;
    }

    @Override
    public <V> V get(String key, Class<V> type) {
        requireNonNull(type, "type");
        return type.cast(get(key));
    }

    @Override
    public <V> V getOrLoad(String key, Supplier<V> loader) {
        return getOrLoad(key, defaults.defaultTtl(), loader);
    }

    @Override
    public <V> V getOrLoad(String key, Duration ttl, Supplier<V> loader) {
        return load(key, ttl, null, loader, defaults);
    }

    @Override
    public <V> V getOrLoad(String key, Duration ttl, Duration absentTtl, Supplier<V> loader) {
        requireNonNull(absentTtl, "absentTtl");
        if (absentTtl.isNegative()) {
            throw new IllegalArgumentException("absentTtl must not be negative: " + absentTtl);
        }
        return load(key, ttl, absentTtl.isZero() ? null : absentTtl, loader, defaults);
    }

    @SuppressWarnings("unchecked")
    private <V> V load(String key, Duration ttl, Duration absentTtl, Supplier<V> loader, Options o) {
        requireNonNull(key, "key");
        Durations.checkPositive("ttl", ttl);
        requireNonNull(loader, "loader");
        Local local = fresh(key, o);
        if (local != null) {
            memoryHits.increment();
            return local.value == ABSENT ? null : (V) local.value;
        }
        boolean[] loaded = {false};
        Supplier<Local> both = () -> {
            SharedLevel.Read seen = usesShared(o) ? read(key) : null;
            Local found = decode(key, seen);
            if (found != null) {
                return found;
            }
            loaded[0] = true;
            return loadAndShare(key, ttl, absentTtl, loader, seen, o);
        };
        Local result = useMemory(o) ? memory.getOrLoad(key, ttl, both) : both.get();
        if (loaded[0]) {
            misses.increment();
        } else if (result != null) {
            redisHits.increment();
        } else {
            misses.increment();
        }
        return result == null || result.value == ABSENT ? null : (V) result.value;
    }

    private <V> Local loadAndShare(
            String key, Duration ttl, Duration absentTtl, Supplier<V> loader, SharedLevel.Read seen, Options o) {
        long start = System.nanoTime();
        V value;
        try {
            value = loader.get();
        } catch (RuntimeException | Error e) {
            loadFailures.increment();
            loadNanos.add(System.nanoTime() - start);
            throw e;
        }
        loadNanos.add(System.nanoTime() - start);
        if (value == null) {
            loadFailures.increment();
            if (absentTtl == null) {
                return null;
            }
            Duration kept = capped(absentTtl);
            long expires = now() + kept.toMillis();
            shareLoaded(key, Envelope.marker(Envelope.ABSENT, expires), absentTtl, seen);
            return new Local(ABSENT, expires, false);
        }
        loadSuccesses.increment();
        Duration kept = capped(ttl);
        long expires = now() + kept.toMillis();
        shareLoaded(key, envelope(value, expires, o), ttl, seen);
        return new Local(value, expires, kept.equals(ttl));
    }

    @Override
    @SuppressWarnings("unchecked")
    public <V> CompletableFuture<V> getOrLoadAsync(
            String key, Duration ttl, Supplier<? extends CompletionStage<V>> loader) {
        return getOrLoadAsync(key, ttl, loader, defaults);
    }

    @SuppressWarnings("unchecked")
    private <V> CompletableFuture<V> getOrLoadAsync(
            String key, Duration ttl, Supplier<? extends CompletionStage<V>> loader, Options o) {
        requireNonNull(key, "key");
        Durations.checkPositive("ttl", ttl);
        requireNonNull(loader, "loader");
        Local local = fresh(key, o);
        if (local != null) {
            memoryHits.increment();
            return CompletableFuture.completedFuture(local.value == ABSENT ? null : (V) local.value);
        }
        Supplier<CompletionStage<Local>> both = () -> {
            SharedLevel.Read seen = usesShared(o) ? read(key) : null;
            Local found = decode(key, seen);
            if (found != null) {
                redisHits.increment();
                return CompletableFuture.completedFuture(found);
            }
            misses.increment();
            long start = System.nanoTime();
            CompletionStage<V> stage = requireNonNull(loader.get(), "the loader returned no CompletionStage");
            return stage.thenApply(value -> {
                loadNanos.add(System.nanoTime() - start);
                if (value == null) {
                    loadFailures.increment();
                    return null;
                }
                loadSuccesses.increment();
                Duration kept = capped(ttl);
                long expires = now() + kept.toMillis();
                shareLoaded(key, envelope(value, expires, o), ttl, seen);
                return new Local(value, expires, kept.equals(ttl));
            });
        };
        CompletableFuture<Local> result = useMemory(o)
                ? memory.getOrLoadAsync(key, ttl, both)
                : both.get().toCompletableFuture();
        return result.thenApply(entry -> entry == null || entry.value == ABSENT ? null : (V) entry.value);
    }

    @Override
    public <A, V> Function<A, V> cacheable(String keyPrefix, Duration ttl, Function<A, V> query) {
        requireNonNull(keyPrefix, "keyPrefix");
        Durations.checkPositive("ttl", ttl);
        requireNonNull(query, "query");
        return argument -> {
            requireNonNull(argument, "argument");
            return getOrLoad(keyPrefix + argument, ttl, () -> query.apply(argument));
        };
    }

    /** The in-process entry of a key if it has not expired; an expired one is dropped. */
    private Local fresh(String key, Options o) {
        if (!useMemory(o)) {
            return null;
        }
        Object held = memory.get(key);
        if (held instanceof Local local) {
            if (local.exact() || now() < local.expiresAtMillis()) {
                return local;
            }
            memory.invalidate(key);
        }
        return null;
    }

    /** Reads the shared level; null when it is not in use or unavailable. */
    private SharedLevel.Read read(String key) {
        if (shared == null || !shared.available()) {
            return null;
        }
        try {
            return shared.get(key);
        } catch (SharedLevel.Unavailable e) {
            return null;
        }
    }

    /** Reads the shared level; null when it has nothing usable (or is unavailable). */
    private Local fetch(String key) {
        return decode(key, read(key));
    }

    /** While Redis is unreachable: "Redis unavailable, working in memory only: " and why. */
    @Override
    public String degradedReason() {
        if (shared == null || shared.available()) {
            return "";
        }
        return "Redis unavailable, working in memory only: " + shared.unavailableReason();
    }

    /** Shared unless the level is memory: other instances see its entries. */
    @Override
    public boolean isShared() {
        return defaults.level() != CacheLevel.MEMORY;
    }

    @Override
    public QueryCache withProfile(dev.perfkit.cache.CacheProfile profile) {
        requireNonNull(profile, "profile");
        return new ProfileView(
                profile,
                new Options(
                        profile.level(),
                        profile.compress() ? defaults.compressionThreshold() : Long.MAX_VALUE,
                        profile.ttl()));
    }

    /*
     * The cache through a profile: its level, compression and TTL per call; invalidation, stats
     * and size are the cache's. A view does not own the cache: close() does nothing.
     */
    private final class ProfileView extends dev.perfkit.cache.ForwardingQueryCache {
        private final dev.perfkit.cache.CacheProfile profile;
        private final Options options;

        ProfileView(dev.perfkit.cache.CacheProfile profile, Options options) {
            this.profile = profile;
            this.options = options;
        }

        @Override
        protected QueryCache delegate() {
            return RedisQueryCache.this;
        }

        @Override
        public void set(String key, Object value) {
            RedisQueryCache.this.set(key, value, options.defaultTtl(), options);
        }

        @Override
        public void set(String key, Object value, Duration ttl) {
            RedisQueryCache.this.set(key, value, ttl, options);
        }

        @Override
        public Object get(String key) {
            return RedisQueryCache.this.get(key, options);
        }

        @Override
        public <V> V getOrLoad(String key, Duration ttl, Supplier<V> loader) {
            return load(key, ttl, null, loader, options);
        }

        @Override
        public <V> V getOrLoad(String key, Supplier<V> loader) {
            return load(key, options.defaultTtl(), null, loader, options);
        }

        @Override
        public <V> V getOrLoad(String key, Duration ttl, Duration absentTtl, Supplier<V> loader) {
            requireNonNull(absentTtl, "absentTtl");
            if (absentTtl.isNegative()) {
                throw new IllegalArgumentException("absentTtl must not be negative: " + absentTtl);
            }
            return load(key, ttl, absentTtl.isZero() ? null : absentTtl, loader, options);
        }

        @Override
        public <V> CompletableFuture<V> getOrLoadAsync(
                String key, Duration ttl, Supplier<? extends CompletionStage<V>> loader) {
            return RedisQueryCache.this.getOrLoadAsync(key, ttl, loader, options);
        }

        @Override
        public void setAll(java.util.Map<String, ?> entries, Duration ttl) {
            RedisQueryCache.this.setAll(entries, ttl, options);
        }

        @Override
        public boolean isShared() {
            return options.level() != CacheLevel.MEMORY;
        }

        @Override
        public String toString() {
            return RedisQueryCache.this + " with profile " + profile.name();
        }
    }

    private Local decode(String key, SharedLevel.Read read) {
        if (read == null || read.value() == null) {
            return null;
        }
        try {
            Envelope.Decoded decoded = Envelope.decode(read.value());
            if (now() >= decoded.expiresAtMillis()) {
                return null;
            }
            return switch (decoded.kind()) {
                case Envelope.VALUE -> new Local(codec.decode(decoded.payload()), decoded.expiresAtMillis(), false);
                case Envelope.ABSENT -> new Local(ABSENT, decoded.expiresAtMillis(), false);
                default -> null; // LOCAL: only its writer holds the value; load it here
            };
        } catch (ValueCodec.UnsupportedValueException e) {
            warnOnce("entry " + key, "cannot read a shared entry (" + e.getMessage() + "); treating it as missing");
            return null;
        }
    }

    // ---- writes

    @Override
    public void set(String key, Object value) {
        set(key, value, defaults.defaultTtl());
    }

    @Override
    public void set(String key, Object value, Duration ttl) {
        set(key, value, ttl, defaults);
    }

    private void set(String key, Object value, Duration ttl, Options o) {
        requireNonNull(key, "key");
        requireNonNull(value, "value");
        Durations.checkNonNegative("ttl", ttl);
        if (ttl.isZero()) {
            boolean unused = invalidate(key); // as the in-process cache does: a zero TTL is never read back
            return;
        }
        long expires = now() + capped(ttl).toMillis();
        if (shared != null && o.level() != CacheLevel.MEMORY) {
            share(key, envelope(value, expires, o), ttl);
        }
        Local local = new Local(value, expires, true);
        if (useMemory(o)) {
            memory.set(key, local, capped(ttl));
        } else {
            memory.invalidate(key); // at level REDIS, a degraded-mode copy must not outlive this write
        }
    }

    @Override
    public void setAll(java.util.Map<String, ?> entries, Duration ttl) {
        setAll(entries, ttl, defaults);
    }

    /** Stores the entries: Redis in one pipelined batch, then memory. */
    private void setAll(java.util.Map<String, ?> entries, Duration ttl, Options o) {
        requireNonNull(entries, "entries");
        Durations.checkPositive("ttl", ttl);
        long expires = now() + capped(ttl).toMillis();
        java.util.Map<String, byte[]> encoded = new java.util.LinkedHashMap<>();
        entries.forEach((key, value) ->
                encoded.put(requireNonNull(key, "key"), envelope(requireNonNull(value, "value"), expires, o)));
        if (shared != null && o.level() != CacheLevel.MEMORY) {
            try {
                shared.setAll(encoded, ttl.toMillis());
            } catch (SharedLevel.Unavailable e) {
                encoded.keySet().forEach(shared::rememberWrite);
            }
        }
        if (useMemory(o)) {
            entries.forEach((key, value) -> memory.set(key, new Local(value, expires, true), capped(ttl)));
        }
    }

    private byte[] envelope(Object value, long expires, Options o) {
        try {
            return Envelope.value(codec.encode(value), expires, o.compressionThreshold());
        } catch (ValueCodec.UnsupportedValueException e) {
            warnOnce(value.getClass().getName(), e.getMessage() + "; such values stay in this instance's memory");
            return Envelope.marker(Envelope.LOCAL, expires);
        }
    }

    /** An explicit write: replaces Redis's entry; while Redis is away, its copy is dropped on return. */
    private void share(String key, byte[] entry, Duration ttl) {
        if (shared == null) {
            return;
        }
        try {
            shared.set(key, entry, ttl.toMillis());
        } catch (SharedLevel.Unavailable e) {
            shared.rememberWrite(key); // Redis's copy is outdated: drop it when Redis is back
        }
    }

    /** A loaded value: stored only if nothing invalidated the key since the read that missed. */
    private void shareLoaded(String key, byte[] entry, Duration ttl, SharedLevel.Read seen) {
        if (shared == null || seen == null) {
            return; // Redis was not read (unavailable): a load must not store what it could not check
        }
        try {
            boolean unused = shared.storeLoaded(key, entry, ttl.toMillis(), seen);
        } catch (SharedLevel.Unavailable e) {
            // nothing stored; the next miss loads again
        }
    }

    @Override
    public boolean invalidate(String key) {
        requireNonNull(key, "key");
        boolean removed = false;
        if (shared != null) {
            // Redis first: our own write is not echoed back, so a load that read the old value
            // before this line is cancelled by the in-process invalidation below, never after it.
            try {
                removed = shared.delete(key);
            } catch (SharedLevel.Unavailable e) {
                // remembered by the shared level for its recovery
            }
        }
        return memory.invalidate(key) | removed;
    }

    @Override
    public long invalidatePrefix(String prefix) {
        requireNonNull(prefix, "prefix");
        long removed = 0;
        if (shared != null) {
            try {
                removed = shared.deletePrefix(prefix);
            } catch (SharedLevel.Unavailable e) {
                // remembered by the shared level for its recovery
            }
        }
        return Math.max(memory.invalidatePrefix(prefix), removed);
    }

    @Override
    public void clear() {
        if (shared != null) {
            try {
                long unused = shared.deletePrefix("");
            } catch (SharedLevel.Unavailable e) {
                // remembered by the shared level for its recovery
            }
        }
        memory.clear();
    }

    // ---- the rest

    @Override
    public CacheStats stats() {
        CacheStats local = memory.stats();
        long hits = memoryHits.sum() + redisHits.sum();
        long missed = misses.sum();
        long requests = hits + missed;
        return new CacheStats(
                hits,
                missed,
                requests == 0 ? 1.0 : (double) hits / requests,
                local.evictions(),
                local.size(),
                loadSuccesses.sum(),
                loadFailures.sum(),
                Duration.ofNanos(loadNanos.sum()));
    }

    @Override
    public long getMaxSize() {
        return memory.getMaxSize();
    }

    @Override
    public void setMaxSize(long maxSize) {
        memory.setMaxSize(maxSize);
    }

    @Override
    public void close() {
        if (shared != null) {
            shared.close();
        }
        meters.forEach(meterRegistry::remove);
        meters.clear();
        memory.close();
    }

    @Override
    public String toString() {
        return "RedisQueryCache{" + name + ", " + defaults.level() + ", redis "
                + (isRedisAvailable() ? "available" : "unavailable") + '}';
    }

    /** Wall-clock milliseconds: the system clock, or one driven by a test's ticker. */
    private long now() {
        return originMillis + (ticker.getAsLong() - originNanos) / 1_000_000;
    }

    /** Whether reads and writes use the in-process level now. */
    private boolean useMemory(Options o) {
        return o.level() != CacheLevel.REDIS || !isRedisAvailable();
    }

    private boolean usesShared(Options o) {
        return o.level() != CacheLevel.MEMORY && shared != null && shared.available();
    }

    /** While Redis is away, in-process entries live at most the degraded TTL. */
    private Duration capped(Duration ttl) {
        return shared != null && !shared.available() && ttl.compareTo(degradedTtl) > 0 ? degradedTtl : ttl;
    }

    private void warnOnce(String what, String message) {
        if (unsupportedTypes.add(what)) {
            log.warn("perfkit cache {}: {}", name, message);
        }
    }

    private void registerMeters() {
        String tag = memory.meterTag();
        try {
            meters.add(Gauge.builder("perfkit.cache.redis.available", this, c -> c.isRedisAvailable() ? 1 : 0)
                    .description("1 while the cache uses Redis, 0 while it works in memory only")
                    .tag("cache", tag)
                    .register(meterRegistry));
            meters.add(FunctionCounter.builder("perfkit.cache.redis.hits", redisHits, LongAdder::sum)
                    .description("Lookups answered by Redis (the in-process level missed)")
                    .tag("cache", tag)
                    .register(meterRegistry));
            meters.add(FunctionCounter.builder(
                            "perfkit.cache.redis.invalidations",
                            this,
                            c -> c.shared == null ? 0 : c.shared.invalidationsReceived())
                    .description("Invalidation messages received from other instances")
                    .tag("cache", tag)
                    .register(meterRegistry));
            meters.add(FunctionCounter.builder(
                            "perfkit.cache.redis.failures", this, c -> c.shared == null ? 0 : c.shared.failures())
                    .description("Redis commands that failed or timed out")
                    .tag("cache", tag)
                    .register(meterRegistry));
        } catch (RuntimeException e) {
            log.warn("Could not register perfkit.cache.redis meters; the cache works without them", e);
        }
    }

    /** Builds a {@link RedisQueryCache}. Not thread-safe. */
    public static final class Builder {
        private String redisUri = "";
        private String name = "default";
        private CacheLevel level = CacheLevel.BOTH;
        private long compressionThreshold = 1_024;
        private long maxSize = 5_000;
        private Duration defaultTtl = Duration.ofMinutes(5);
        private Duration timeout = Duration.ofMillis(250);
        private Duration degradedTtl = Duration.ofSeconds(5);
        private Duration pingInterval = Duration.ofSeconds(1);
        private SharedLevel.Invalidation invalidation = SharedLevel.Invalidation.AUTO;
        static final LongSupplier SYSTEM_TICKER = System::nanoTime;
        private LongSupplier ticker = SYSTEM_TICKER;
        private java.util.concurrent.Executor executor;
        private ValueCodec codec = DefaultValueCodec.create();
        private MeterRegistry meterRegistry = io.micrometer.core.instrument.Metrics.globalRegistry;
        private MemoryPressureRegistry pressureRegistry = MemoryPressureRegistry.shared();

        private Builder() {}

        /**
         * Takes every setting from a configuration (see {@link RedisQueryCache#create}).
         *
         * @param config the configuration
         * @return this builder
         */
        public Builder config(PerfConfig config) {
            requireNonNull(config, "config");
            this.redisUri = config.redisUrl();
            this.level = config.cacheLevel();
            this.compressionThreshold = config.cacheCompressionThreshold();
            this.maxSize = config.queryCacheSize();
            this.defaultTtl = config.queryCacheTtl();
            this.timeout = config.redisTimeout();
            this.degradedTtl = config.redisDegradedTtl();
            this.meterRegistry = config.meterRegistry();
            return this;
        }

        /**
         * Sets the Redis to share: {@code redis://[:password@]host:port/db}, {@code rediss://} for TLS.
         *
         * @param redisUri the URI
         * @return this builder
         */
        public Builder redisUri(String redisUri) {
            this.redisUri = requireNonNull(redisUri, "redisUri");
            return this;
        }

        /**
         * Names the cache: instances with the same name on one Redis share entries, different names
         * never do. Default {@code default}.
         *
         * @param name letters, digits, {@code _ . -}
         * @return this builder
         * @throws IllegalArgumentException if the name holds other characters
         */
        public Builder name(String name) {
            requireNonNull(name, "name");
            if (!name.matches("[A-Za-z0-9_.-]{1,64}")) {
                throw new IllegalArgumentException("name must be 1 to 64 letters, digits, _ . or -: '" + name + "'");
            }
            this.name = name;
            return this;
        }

        /**
         * Sets the levels. Default {@link CacheLevel#BOTH}.
         *
         * @param level the levels
         * @return this builder
         */
        public Builder level(CacheLevel level) {
            this.level = requireNonNull(level, "level");
            return this;
        }

        /**
         * Values larger than this are LZ4-compressed in Redis. Default 1024.
         *
         * @param bytes zero or positive
         * @return this builder
         * @throws IllegalArgumentException if negative
         */
        public Builder compressionThreshold(long bytes) {
            if (bytes < 0) {
                throw new IllegalArgumentException("compressionThreshold must not be negative: " + bytes);
            }
            this.compressionThreshold = bytes;
            return this;
        }

        /**
         * Sets the in-process level's size bound. Default 5,000.
         *
         * @param maxSize positive
         * @return this builder
         * @throws IllegalArgumentException if not positive
         */
        public Builder maxSize(long maxSize) {
            if (maxSize <= 0) {
                throw new IllegalArgumentException("maxSize must be positive: " + maxSize);
            }
            this.maxSize = maxSize;
            return this;
        }

        /**
         * Sets the TTL of {@code set(key, value)} and {@code getOrLoad(key, loader)}. Default 5 min.
         *
         * @param ttl positive
         * @return this builder
         */
        public Builder defaultTtl(Duration ttl) {
            this.defaultTtl = Durations.checkPositive("defaultTtl", ttl);
            return this;
        }

        /**
         * Sets how long a Redis command may take before the cache works without Redis. Default 250 ms.
         *
         * @param timeout positive
         * @return this builder
         */
        public Builder timeout(Duration timeout) {
            this.timeout = Durations.checkPositive("timeout", timeout);
            return this;
        }

        /**
         * Sets how long in-process entries live at most while Redis is away. Default 5 s.
         *
         * @param ttl positive
         * @return this builder
         */
        public Builder degradedTtl(Duration ttl) {
            this.degradedTtl = Durations.checkPositive("degradedTtl", ttl);
            return this;
        }

        /**
         * Sets how often the connection is checked (PING), and Redis probed while away. Default 1 s.
         *
         * @param interval positive
         * @return this builder
         */
        public Builder pingInterval(Duration interval) {
            this.pingInterval = Durations.checkPositive("pingInterval", interval);
            return this;
        }

        /** A nanosecond time source for tests; wall time is derived from it. */
        Builder ticker(LongSupplier ticker) {
            this.ticker = requireNonNull(ticker, "ticker");
            return this;
        }

        /** The in-process level's maintenance executor, for tests. */
        Builder executor(java.util.concurrent.Executor executor) {
            this.executor = requireNonNull(executor, "executor");
            return this;
        }

        /** Forces pub/sub invalidation (or tracking); the default picks tracking when Redis has it. */
        Builder invalidation(SharedLevel.Invalidation invalidation) {
            this.invalidation = requireNonNull(invalidation, "invalidation");
            return this;
        }

        /**
         * Sets the codec of shared values. Default {@link DefaultValueCodec#create()}.
         *
         * @param codec the codec
         * @return this builder
         */
        public Builder codec(ValueCodec codec) {
            this.codec = requireNonNull(codec, "codec");
            return this;
        }

        /**
         * Sets the registry of the cache's meters. Default the global registry.
         *
         * @param meterRegistry the registry
         * @return this builder
         */
        public Builder meterRegistry(MeterRegistry meterRegistry) {
            this.meterRegistry = requireNonNull(meterRegistry, "meterRegistry");
            return this;
        }

        /**
         * Sets where the in-process level listens for memory pressure. Default the global one.
         *
         * @param pressureRegistry the registry
         * @return this builder
         */
        public Builder pressureRegistry(MemoryPressureRegistry pressureRegistry) {
            this.pressureRegistry = requireNonNull(pressureRegistry, "pressureRegistry");
            return this;
        }

        /**
         * Builds the cache. It connects to Redis in the background: an unreachable Redis makes it
         * start in memory only, never throw.
         *
         * @return the cache
         * @throws IllegalArgumentException if the level needs Redis and the URI is empty or invalid
         */
        public RedisQueryCache build() {
            if (level != CacheLevel.MEMORY && redisUri.isBlank()) {
                throw new IllegalArgumentException(
                        "redisUri is empty: set REDIS_URL (redis://host:6379/0) or use" + " level MEMORY");
            }
            return new RedisQueryCache(this);
        }
    }
}
