package dev.perfkit.cache;

import static java.util.Objects.requireNonNull;

import dev.perfkit.internal.Durations;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Function;
import java.util.function.LongSupplier;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keeps one kind of data warm in a cache: fills it at start-up, and reloads entries that are read
 * (hot) shortly before they expire, so readers keep hitting — refresh-ahead — while entries nobody
 * reads are left to expire.
 *
 * <pre>{@code
 * CacheWarmer warmer = CacheWarmer.builder(Perf.getQueryCache())
 *         .profile(Perf.getConfig().cacheProfile("hotel_settings"))   // TTL; warms only if the profile says so
 *         .prefix("hotel:")
 *         .initial(() -> hotels.allSettings())          // one bulk query at start: key -> value
 *         .loader(key -> hotels.settings(key))          // one entry, for misses and refreshes
 *         .start();
 * Settings settings = warmer.cache().get("hotel:42", Settings.class);   // read through the warmer
 * }</pre>
 *
 * <p><b>Never a stampede.</b> At most {@code concurrency} loads run at once (default 2), at most one
 * per key; concurrent misses of one key share one load (the cache's {@code getOrLoad}); a refresh
 * that fails keeps the current entry until it expires and is tried again at the next check.
 *
 * <p>Reads must go through {@link #cache()} for the warmer to know which entries are hot. Thread-safe;
 * {@link #close()} stops its threads.
 */
public final class CacheWarmer implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(CacheWarmer.class);

    private final QueryCache cache;
    private final String prefix;
    private final Duration ttl;
    private final boolean enabled;
    private final double refreshAhead;
    private final Supplier<? extends Map<String, ?>> initial;
    private final Function<String, ?> loader;
    private final LongSupplier ticker;
    private final ExecutorService loads;
    private final ScheduledExecutorService checker;
    private final Map<String, Tracked> tracked = new ConcurrentHashMap<>();
    private final Map<String, Boolean> refreshing = new ConcurrentHashMap<>();
    private final AtomicBoolean closed = new AtomicBoolean();
    private final AtomicLong warmed = new AtomicLong();
    private final AtomicLong refreshed = new AtomicLong();
    private final AtomicLong failures = new AtomicLong();
    private final QueryCache view;

    /** When an entry was written, and when it was last read (nanoTime of the warmer's ticker). */
    private static final class Tracked {
        volatile long writtenAt;
        volatile long readAt = Long.MIN_VALUE;

        Tracked(long writtenAt) {
            this.writtenAt = writtenAt;
        }
    }

    private CacheWarmer(Builder builder) {
        this.cache = builder.cache;
        this.prefix = builder.prefix;
        this.ttl = builder.ttl;
        this.enabled = builder.enabled;
        this.refreshAhead = builder.refreshAhead;
        this.initial = builder.initial;
        this.loader = builder.loader;
        this.ticker = builder.ticker;
        AtomicInteger threads = new AtomicInteger();
        this.loads = Executors.newFixedThreadPool(builder.concurrency, runnable -> {
            Thread thread = new Thread(runnable, "perfkit-warmer-" + prefix + "-" + threads.incrementAndGet());
            thread.setDaemon(true);
            return thread;
        });
        this.checker = Executors.newSingleThreadScheduledExecutor(runnable -> {
            Thread thread = new Thread(runnable, "perfkit-warmer-" + prefix + "-check");
            thread.setDaemon(true);
            return thread;
        });
        this.view = new ReadThroughView();
    }

    /**
     * Starts a warmer for a cache.
     *
     * @param cache the cache it fills
     * @return a builder
     */
    public static Builder builder(QueryCache cache) {
        return new Builder(cache);
    }

    /** Returns the cache seen through the warmer: reads of its keys load on a miss and count as hot. */
    public QueryCache cache() {
        return view;
    }

    /** Returns entries written by the initial fill. */
    public long warmed() {
        return warmed.get();
    }

    /** Returns entries reloaded ahead of their expiry. */
    public long refreshed() {
        return refreshed.get();
    }

    /** Returns loads that failed (initial fill, refreshes). */
    public long failures() {
        return failures.get();
    }

    private void start(boolean background) {
        if (!enabled) {
            log.info("Cache warming of {} is off (the profile's warm flag): reads still load on a miss", prefix);
            return;
        }
        if (background) {
            loads.execute(this::fill);
            long every = Math.max(50, (long) (ttl.toMillis() * (1 - refreshAhead) / 4));
            checker.scheduleWithFixedDelay(this::checkQuietly, every, every, TimeUnit.MILLISECONDS);
        } else {
            fill();
        }
    }

    private void fill() {
        if (initial == null) {
            return;
        }
        Map<String, ?> entries;
        try {
            entries = initial.get();
        } catch (RuntimeException e) {
            failures.incrementAndGet();
            log.warn("Cache warming of {} failed to load its initial entries; they will load on a miss", prefix, e);
            return;
        }
        if (entries == null) {
            return;
        }
        long now = ticker.getAsLong();
        Map<String, Object> mine = new java.util.LinkedHashMap<>();
        entries.forEach((key, value) -> {
            if (key != null && value != null && key.startsWith(prefix)) {
                mine.put(key, value);
            }
        });
        if (closed.get() || mine.isEmpty()) {
            return;
        }
        cache.setAll(mine, ttl); // one pipelined batch over a shared level
        mine.keySet().forEach(key -> tracked.put(key, new Tracked(now)));
        warmed.addAndGet(mine.size());
    }

    private void checkQuietly() {
        try {
            refreshDue();
        } catch (RuntimeException e) {
            log.warn("Cache warming of {}: the refresh check failed; trying again", prefix, e);
        }
    }

    /**
     * Reloads, in the background and within the concurrency limit, every entry that was read
     * since it was written and has lived {@code refreshAhead} of its TTL; forgets entries that
     * expired unread. The warmer calls this on its own; tests call it to check now.
     *
     * @return how many refreshes were started
     */
    public int refreshDue() {
        long now = ticker.getAsLong();
        long dueAfter = (long) (ttl.toNanos() * refreshAhead);
        int started = 0;
        for (Map.Entry<String, Tracked> entry : tracked.entrySet()) {
            String key = entry.getKey();
            Tracked state = entry.getValue();
            long age = now - state.writtenAt;
            if (age >= ttl.toNanos()) {
                tracked.remove(key, state); // expired: a later read loads it again
            } else if (age >= dueAfter && state.readAt > state.writtenAt && refreshing.putIfAbsent(key, true) == null) {
                try {
                    loads.execute(() -> refresh(key, state));
                    started++;
                } catch (RejectedExecutionException e) {
                    refreshing.remove(key); // closed
                }
            }
        }
        return started;
    }

    private void refresh(String key, Tracked state) {
        try {
            Object value = loader.apply(key);
            if (value != null && !closed.get()) {
                cache.set(key, value, ttl);
                state.writtenAt = ticker.getAsLong();
                refreshed.incrementAndGet();
            }
        } catch (RuntimeException e) {
            failures.incrementAndGet();
            log.debug(
                    "Cache warming of {}: refreshing {} failed; the current entry stays until it expires",
                    prefix,
                    key,
                    e);
        } finally {
            refreshing.remove(key);
        }
    }

    @Override
    public void close() {
        if (!closed.compareAndSet(false, true)) {
            return;
        }
        checker.shutdownNow();
        loads.shutdownNow();
        try {
            if (!loads.awaitTermination(5, TimeUnit.SECONDS)) {
                log.warn("Cache warming of {}: loads did not stop within 5 s", prefix);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** The cache, with reads of the warmer's keys loading on a miss and counting as hot. */
    private final class ReadThroughView extends ForwardingQueryCache {
        @Override
        protected QueryCache delegate() {
            return cache;
        }

        @Override
        public Object get(String key) {
            requireNonNull(key, "key");
            if (!key.startsWith(prefix)) {
                return cache.get(key);
            }
            Tracked state = tracked.get(key);
            Object value = cache.get(key);
            if (value == null) {
                value = cache.getOrLoad(key, ttl, () -> loader.apply(key)); // concurrent misses share it
                if (value != null) {
                    state = new Tracked(ticker.getAsLong());
                    tracked.put(key, state);
                }
            } else if (state == null) {
                state = new Tracked(ticker.getAsLong()); // written by someone else: assume now
                tracked.put(key, state);
            }
            if (state != null) {
                state.readAt = ticker.getAsLong();
            }
            return value;
        }

        @Override
        public void set(String key, Object value) {
            cache.set(key, value, ttl);
        }

        @Override
        public <V> V getOrLoad(String key, Supplier<V> entryLoader) {
            return cache.getOrLoad(key, ttl, entryLoader);
        }

        @Override
        public boolean invalidate(String key) {
            tracked.remove(key);
            return cache.invalidate(key);
        }

        @Override
        public long invalidatePrefix(String keyPrefix) {
            tracked.keySet().removeIf(key -> key.startsWith(keyPrefix));
            return cache.invalidatePrefix(keyPrefix);
        }

        @Override
        public void clear() {
            tracked.clear();
            cache.clear();
        }
    }

    /** Builds a {@link CacheWarmer}. Not thread-safe. */
    public static final class Builder {
        private final QueryCache cache;
        private String prefix;
        private Duration ttl;
        private boolean enabled = true;
        private double refreshAhead = 0.8;
        private int concurrency = 2;
        private Supplier<? extends Map<String, ?>> initial;
        private Function<String, ?> loader;
        private LongSupplier ticker = System::nanoTime;

        private Builder(QueryCache cache) {
            this.cache = requireNonNull(cache, "cache");
        }

        /**
         * Takes the TTL from a profile, and warms only if the profile's {@code warm} flag is on
         * (reads through {@link #cache()} still load on a miss when it is off).
         *
         * @param profile the profile
         * @return this builder
         */
        public Builder profile(CacheProfile profile) {
            requireNonNull(profile, "profile");
            this.ttl = profile.ttl();
            this.enabled = profile.warm();
            return this;
        }

        /**
         * Sets the TTL of the entries the warmer writes.
         *
         * @param entryTtl positive
         * @return this builder
         */
        public Builder ttl(Duration entryTtl) {
            this.ttl = Durations.checkPositive("ttl", entryTtl);
            return this;
        }

        /**
         * Sets the keys the warmer owns: those that start with this prefix.
         *
         * @param keyPrefix e.g. {@code hotel:}
         * @return this builder
         */
        public Builder prefix(String keyPrefix) {
            this.prefix = requireNonNull(keyPrefix, "prefix");
            return this;
        }

        /**
         * Sets the bulk load of the start-up fill: key to value (keys outside the prefix are ignored).
         *
         * @param entries one call, e.g. one database query for all the settings
         * @return this builder
         */
        public Builder initial(Supplier<? extends Map<String, ?>> entries) {
            this.initial = requireNonNull(entries, "entries");
            return this;
        }

        /**
         * Sets the load of one entry, for misses and refreshes; null means "nothing": not cached.
         *
         * @param entryLoader key to value
         * @return this builder
         */
        public Builder loader(Function<String, ?> entryLoader) {
            this.loader = requireNonNull(entryLoader, "loader");
            return this;
        }

        /**
         * Sets when a hot entry is reloaded, as a fraction of its TTL. Default 0.8.
         *
         * @param fraction strictly between 0 and 1
         * @return this builder
         * @throws IllegalArgumentException if outside (0, 1)
         */
        public Builder refreshAhead(double fraction) {
            if (!(fraction > 0 && fraction < 1)) {
                throw new IllegalArgumentException("refreshAhead must be between 0 and 1 (exclusive): " + fraction);
            }
            this.refreshAhead = fraction;
            return this;
        }

        /**
         * Sets how many loads may run at once. Default 2.
         *
         * @param loadsAtOnce positive
         * @return this builder
         * @throws IllegalArgumentException if not positive
         */
        public Builder concurrency(int loadsAtOnce) {
            if (loadsAtOnce <= 0) {
                throw new IllegalArgumentException("concurrency must be positive: " + loadsAtOnce);
            }
            this.concurrency = loadsAtOnce;
            return this;
        }

        /** A nanosecond time source for tests. */
        Builder ticker(LongSupplier nanos) {
            this.ticker = requireNonNull(nanos, "ticker");
            return this;
        }

        /**
         * Starts the warmer: the initial fill runs in the background, then checks for hot entries
         * due for a refresh run about four times per refresh window.
         *
         * @return the running warmer
         * @throws IllegalStateException if the prefix, the TTL (or profile) or the loader is missing
         */
        public CacheWarmer start() {
            CacheWarmer warmer = build();
            warmer.start(true);
            return warmer;
        }

        /** Builds and fills on the calling thread, without background checks: for tests. */
        CacheWarmer startInForeground() {
            CacheWarmer warmer = build();
            warmer.start(false);
            return warmer;
        }

        private CacheWarmer build() {
            if (prefix == null) {
                throw new IllegalStateException("a cache warmer needs a key prefix");
            }
            if (ttl == null) {
                throw new IllegalStateException("a cache warmer needs a TTL or a profile");
            }
            if (loader == null) {
                throw new IllegalStateException("a cache warmer needs a loader");
            }
            return new CacheWarmer(this);
        }
    }
}
