package dev.perfkit.cache;

import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.function.Function;
import java.util.function.Supplier;

/**
 * A cache of query results keyed by strings such as {@code "user:123:profile"}, with a time-to-live
 * per entry and a bound on the number of entries.
 *
 * <pre>{@code
 * QueryCache cache = Perf.getQueryCache();
 * cache.set("user:123:profile", profile, Duration.ofMinutes(5));
 * Profile cached = cache.get("user:123:profile", Profile.class);
 *
 * Profile loaded = cache.getOrLoad("user:123:profile", Duration.ofMinutes(5), () -> users.findProfile(123));
 *
 * Function<Long, Profile> profiles = cache.cacheable("profile:", Duration.ofMinutes(5), users::findProfile);
 * cache.invalidatePrefix("user:123:");                  // everything of user 123
 * double hitRatio = cache.stats().hitRatio();
 * }</pre>
 *
 * <p><b>Consistency.</b> Implementations are thread-safe. {@link #getOrLoad} and {@link
 * #getOrLoadAsync} run at most one load per key at a time; concurrent callers of the key wait for it
 * and share its result. A loader that throws (anything, also a checked exception thrown sneakily)
 * caches nothing, and every waiter sees its exception; the next call loads again. A loader that
 * returns {@code null} caches nothing. A loader that asks the cache for its own key gets an {@link
 * IllegalStateException} instead of waiting for itself forever.
 *
 * <p><b>Invalidation wins.</b> {@link #invalidate}, {@link #invalidatePrefix}, {@link #clear} and
 * {@link #set} win over every load that started before them: once one of them has returned, no
 * read sees a value from a load that started before it was called, nor a value set by a call that
 * had returned before it.
 *
 * <p><b>After {@link #close()}</b>, writes and loads ({@code set}, {@code getOrLoad}, {@code
 * getOrLoadAsync} on a miss, {@code setMaxSize}) throw {@link IllegalStateException}; reads return
 * null; invalidations do nothing and report nothing removed.
 *
 * <p>Keys and values must not be null. Cached values are shared between callers: cache immutable
 * objects or copies.
 */
public interface QueryCache extends AutoCloseable {

    /**
     * Caches a value with the default time-to-live from the configuration.
     *
     * @param key the key
     * @param value the value
     * @throws NullPointerException if {@code key} or {@code value} is null
     */
    void set(String key, Object value);

    /**
     * Caches a value with its own time-to-live.
     *
     * @param key the key
     * @param value the value
     * @param ttl how long the entry lives; zero expires it at once
     * @throws NullPointerException if an argument is null
     * @throws IllegalArgumentException if {@code ttl} is negative
     */
    void set(String key, Object value, Duration ttl);

    /**
     * Returns the cached value, or {@code null} when absent or expired. Counts a hit or a miss.
     *
     * @param key the key
     * @return the value or null
     * @throws NullPointerException if {@code key} is null
     */
    Object get(String key);

    /**
     * Returns the cached value like {@link #get(String)}, but quietly: no hit or miss is counted and
     * the entry's standing for eviction is not changed. For bookkeeping that looks at the cache
     * without being a read of it (a cached collection checking which value it published). The
     * default calls {@code get}; implementations that count or reorder override it.
     *
     * @param key the key
     * @return the value or null
     * @throws NullPointerException if {@code key} is null
     */
    default Object peek(String key) {
        return get(key);
    }

    /**
     * Returns the cached value as the given type, or {@code null} when absent or expired.
     *
     * @param key the key
     * @param type the expected type
     * @param <V> the value type
     * @return the value or null
     * @throws NullPointerException if an argument is null
     * @throws ClassCastException if the cached value is not a {@code type}
     */
    <V> V get(String key, Class<V> type);

    /**
     * Returns the cached value, loading and caching it on a miss. Concurrent callers of one key
     * share one load.
     *
     * @param key the key
     * @param ttl the time-to-live of a loaded value
     * @param loader computes the value; may return null, which caches nothing
     * @param <V> the value type
     * @return the cached or loaded value, or null when the loader returned null
     * @throws NullPointerException if an argument is null
     * @throws IllegalArgumentException if {@code ttl} is negative
     * @throws RuntimeException whatever the loader threw, unchanged (also an undeclared checked
     *     exception)
     * @throws IllegalStateException if the cache is closed, or the loader asked for its own key
     */
    <V> V getOrLoad(String key, Duration ttl, Supplier<V> loader);

    /**
     * Returns the cached value, loading it on a miss and caching it with the default time-to-live
     * ({@code QUERY_CACHE_TTL}, the TTL of {@link #set(String, Object)}).
     *
     * @param key the key
     * @param loader computes the value; may return null, which caches nothing
     * @param <V> the value type
     * @return the cached or loaded value, or null when the loader returned null
     * @throws NullPointerException if an argument is null
     * @throws IllegalStateException if the cache is closed, or the loader asked for its own key
     */
    <V> V getOrLoad(String key, Supplier<V> loader);

    /**
     * Returns the cached value, loading it on a miss; a loader that finds nothing (returns null) is
     * remembered too, for {@code absentTtl}, so that lookups of records that usually do not exist
     * (a guild without custom settings) stop reaching the database. A remembered absence reads as
     * null, here and from {@link #get(String)}.
     *
     * <pre>{@code
     * Document settings = cache.getOrLoad("guild:" + id + ":settings", Duration.ofMinutes(10), Duration.ofMinutes(1),
     *         () -> guildSettings.find(eq("_id", id)).first());   // null for most guilds, cached 1 min
     * }</pre>
     *
     * @param key the key
     * @param ttl the time-to-live of a loaded value
     * @param absentTtl the time-to-live of a remembered absence, zero (remember nothing) or more
     * @param loader computes the value, or null when there is none
     * @param <V> the value type
     * @return the cached or loaded value, or null when there is none
     * @throws NullPointerException if an argument is null
     * @throws IllegalArgumentException if a TTL is negative
     * @throws IllegalStateException if the cache is closed, or the loader asked for its own key
     */
    <V> V getOrLoad(String key, Duration ttl, Duration absentTtl, Supplier<V> loader);

    /**
     * Returns the cached value, or starts an asynchronous load on a miss. Concurrent callers of one
     * key share one load. A load that completes exceptionally, or with null, caches nothing.
     *
     * @param key the key
     * @param ttl the time-to-live of a loaded value
     * @param loader starts the load
     * @param <V> the value type
     * @return a future of the cached or loaded value
     * @throws NullPointerException if an argument is null
     * @throws IllegalArgumentException if {@code ttl} is negative
     */
    <V> CompletableFuture<V> getOrLoadAsync(String key, Duration ttl, Supplier<? extends CompletionStage<V>> loader);

    /**
     * Wraps a query function so that its results are cached under {@code keyPrefix + argument} — the
     * seed's {@code @cacheable_query} decorator.
     *
     * <pre>{@code
     * Function<Long, Account> accounts = cache.cacheable("account:", Duration.ofMinutes(1), repo::findAccount);
     * Account a = accounts.apply(42L);   // cached under "account:42"
     * }</pre>
     *
     * @param keyPrefix prefix of every key, e.g. {@code "account:"}
     * @param ttl the time-to-live of each result
     * @param query the function to cache; its argument's {@code toString()} completes the key
     * @param <A> the argument type
     * @param <V> the result type
     * @return the caching function, sharing loads per key like {@link #getOrLoad}
     * @throws NullPointerException if an argument is null (and, from the returned function, if its
     *     argument is null)
     * @throws IllegalArgumentException if {@code ttl} is negative
     */
    <A, V> Function<A, V> cacheable(String keyPrefix, Duration ttl, Function<A, V> query);

    /**
     * Replaces the value of an entry if it is still exactly {@code expected} (the same instance,
     * not an equal one), keeping the entry's expiry: for callers that bring a cached value up to
     * date after a write instead of dropping it, and must not overwrite a value someone else
     * stored or reloaded meanwhile. Counts neither a hit nor a miss.
     *
     * <p>The default replaces nothing and returns false (the caller then drops the entry): a cache
     * that cannot compare and replace atomically must not pretend to.
     *
     * @param key the key
     * @param expected the value the entry must still hold
     * @param replacement the new value
     * @return whether the entry now holds {@code replacement}
     * @throws NullPointerException if an argument is null
     */
    default boolean replace(String key, Object expected, Object replacement) {
        java.util.Objects.requireNonNull(key, "key");
        java.util.Objects.requireNonNull(expected, "expected");
        java.util.Objects.requireNonNull(replacement, "replacement");
        return false;
    }

    /**
     * Removes one entry.
     *
     * @param key the key
     * @return whether an entry was present
     * @throws NullPointerException if {@code key} is null
     */
    boolean invalidate(String key);

    /**
     * Removes every entry whose key starts with {@code prefix} — the seeds' {@code
     * clear_cache("user:123:*")}. End prefixes with a separator: {@code "user:1:"} does not touch
     * {@code "user:10:"}, but {@code "user:1"} does.
     *
     * @param prefix the key prefix
     * @return the number of entries removed
     * @throws NullPointerException if {@code prefix} is null
     */
    long invalidatePrefix(String prefix);

    /** Removes every entry. Statistics are kept. */
    void clear();

    /**
     * Returns the statistics since the cache was created.
     *
     * @return a consistent snapshot of the counters
     */
    CacheStats stats();

    /** Returns the current bound on the number of entries. */
    long getMaxSize();

    /**
     * Changes the bound on the number of entries at run time; shrinking evicts at once.
     *
     * @param maxSize the new bound, zero or more
     * @throws IllegalArgumentException if {@code maxSize} is negative
     */
    void setMaxSize(long maxSize);

    /**
     * Stores several entries with one TTL: a bulk fill (warming). A cache with a shared level sends
     * them in one pipelined batch; the default stores them one by one.
     *
     * @param entries key to value; null values are not allowed
     * @param ttl how long they live, zero or positive
     * @throws NullPointerException if a key or value is null
     */
    default void setAll(java.util.Map<String, ?> entries, Duration ttl) {
        java.util.Objects.requireNonNull(entries, "entries");
        entries.forEach((key, value) -> set(key, value, ttl));
    }

    /**
     * Returns why the cache works below its configuration right now (a two-level cache whose Redis
     * is unreachable works in memory only), or {@code ""} when it works as configured. Monitors show
     * it: {@code /health} reports the cache as degraded.
     *
     * @return the reason, or an empty string
     */
    default String degradedReason() {
        return "";
    }

    /**
     * Returns whether other processes see this cache's entries (a shared level, such as Redis), so
     * that callers who keep their own knowledge of what is cached (the MongoDB cached collection's
     * read index) know that another process may cache what they never read.
     *
     * @return false for an in-process cache
     */
    default boolean isShared() {
        return false;
    }

    /**
     * Returns this cache seen through a profile: {@code set(key, value)} and {@code getOrLoad(key,
     * loader)} use the profile's TTL; a two-level cache also honours its level and compression.
     * The view shares this cache's entries and does not own it: closing the view does nothing.
     *
     * @param profile the profile
     * @return the view
     */
    default QueryCache withProfile(CacheProfile profile) {
        return new ProfiledQueryCache(this, profile);
    }

    /** Releases resources (metrics, memory-pressure registration) and drops the entries. Idempotent. */
    @Override
    void close();
}
