package dev.perfkit.cache;

import static java.util.Objects.requireNonNull;

import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.function.Function;
import java.util.function.Supplier;

/*
 * A cache seen through a profile: the calls that take no TTL use the profile's; everything else
 * goes to the cache unchanged. It does not own the cache: close() does nothing.
 */
final class ProfiledQueryCache implements QueryCache {
    private final QueryCache cache;
    private final CacheProfile profile;

    ProfiledQueryCache(QueryCache cache, CacheProfile profile) {
        this.cache = requireNonNull(cache, "cache");
        this.profile = requireNonNull(profile, "profile");
    }

    @Override
    public void set(String key, Object value) {
        cache.set(key, value, profile.ttl());
    }

    @Override
    public void set(String key, Object value, Duration ttl) {
        cache.set(key, value, ttl);
    }

    @Override
    public Object get(String key) {
        return cache.get(key);
    }

    @Override
    public <V> V get(String key, Class<V> type) {
        return cache.get(key, type);
    }

    @Override
    public <V> V getOrLoad(String key, Duration ttl, Supplier<V> loader) {
        return cache.getOrLoad(key, ttl, loader);
    }

    @Override
    public <V> V getOrLoad(String key, Supplier<V> loader) {
        return cache.getOrLoad(key, profile.ttl(), loader);
    }

    @Override
    public <V> V getOrLoad(String key, Duration ttl, Duration absentTtl, Supplier<V> loader) {
        return cache.getOrLoad(key, ttl, absentTtl, loader);
    }

    @Override
    public <V> CompletableFuture<V> getOrLoadAsync(
            String key, Duration ttl, Supplier<? extends CompletionStage<V>> loader) {
        return cache.getOrLoadAsync(key, ttl, loader);
    }

    @Override
    public <A, V> Function<A, V> cacheable(String keyPrefix, Duration ttl, Function<A, V> query) {
        return cache.cacheable(keyPrefix, ttl, query);
    }

    @Override
    public boolean invalidate(String key) {
        return cache.invalidate(key);
    }

    @Override
    public long invalidatePrefix(String prefix) {
        return cache.invalidatePrefix(prefix);
    }

    @Override
    public void clear() {
        cache.clear();
    }

    @Override
    public CacheStats stats() {
        return cache.stats();
    }

    @Override
    public long getMaxSize() {
        return cache.getMaxSize();
    }

    @Override
    public void setMaxSize(long maxSize) {
        cache.setMaxSize(maxSize);
    }

    @Override
    public void setAll(java.util.Map<String, ?> entries, Duration ttl) {
        cache.setAll(entries, ttl);
    }

    @Override
    public boolean isShared() {
        return cache.isShared();
    }

    @Override
    public QueryCache withProfile(CacheProfile other) {
        return cache.withProfile(other);
    }

    /** A view does not own its cache: closing it leaves the cache open. */
    @Override
    public void close() {}

    @Override
    public String toString() {
        return cache + " with profile " + profile.name();
    }
}
