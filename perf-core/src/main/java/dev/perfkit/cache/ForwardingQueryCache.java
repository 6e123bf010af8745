package dev.perfkit.cache;

import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.function.Function;
import java.util.function.Supplier;

/**
 * A {@link QueryCache} that forwards every call to another one; extend it and override what a view
 * changes (a profile's TTL, a warmer's read tracking). It does not own the cache it forwards to:
 * {@link #close()} does nothing.
 */
public abstract class ForwardingQueryCache implements QueryCache {

    /** For subclasses. */
    protected ForwardingQueryCache() {}

    /** Returns the cache calls go to. */
    protected abstract QueryCache delegate();

    @Override
    public void set(String key, Object value) {
        delegate().set(key, value);
    }

    @Override
    public void set(String key, Object value, Duration ttl) {
        delegate().set(key, value, ttl);
    }

    @Override
    public Object get(String key) {
        return delegate().get(key);
    }

    @Override
    public Object peek(String key) {
        return delegate().peek(key);
    }

    @Override
    public <V> V get(String key, Class<V> type) {
        java.util.Objects.requireNonNull(type, "type");
        return type.cast(get(key));
    }

    @Override
    public <V> V getOrLoad(String key, Supplier<V> loader) {
        return delegate().getOrLoad(key, loader);
    }

    @Override
    public <V> V getOrLoad(String key, Duration ttl, Supplier<V> loader) {
        return delegate().getOrLoad(key, ttl, loader);
    }

    @Override
    public <V> V getOrLoad(String key, Duration ttl, Duration absentTtl, Supplier<V> loader) {
        return delegate().getOrLoad(key, ttl, absentTtl, loader);
    }

    @Override
    public <V> CompletableFuture<V> getOrLoadAsync(
            String key, Duration ttl, Supplier<? extends CompletionStage<V>> loader) {
        return delegate().getOrLoadAsync(key, ttl, loader);
    }

    /** Binds the query to this view: its loads go through this view's {@code getOrLoad}. */
    @Override
    public <A, V> Function<A, V> cacheable(String keyPrefix, Duration ttl, Function<A, V> query) {
        java.util.Objects.requireNonNull(keyPrefix, "keyPrefix");
        java.util.Objects.requireNonNull(query, "query");
        return argument -> {
            java.util.Objects.requireNonNull(argument, "argument");
            return getOrLoad(keyPrefix + argument, ttl, () -> query.apply(argument));
        };
    }

    @Override
    public boolean invalidate(String key) {
        return delegate().invalidate(key);
    }

    @Override
    public boolean replace(String key, Object expected, Object replacement) {
        return delegate().replace(key, expected, replacement);
    }

    @Override
    public long invalidatePrefix(String prefix) {
        return delegate().invalidatePrefix(prefix);
    }

    @Override
    public void clear() {
        delegate().clear();
    }

    @Override
    public void setAll(Map<String, ?> entries, Duration ttl) {
        delegate().setAll(entries, ttl);
    }

    @Override
    public CacheStats stats() {
        return delegate().stats();
    }

    @Override
    public long getMaxSize() {
        return delegate().getMaxSize();
    }

    @Override
    public void setMaxSize(long maxSize) {
        delegate().setMaxSize(maxSize);
    }

    @Override
    public boolean isShared() {
        return delegate().isShared();
    }

    @Override
    public String degradedReason() {
        return delegate().degradedReason();
    }

    @Override
    public QueryCache withProfile(CacheProfile profile) {
        return delegate().withProfile(profile);
    }

    /** A view does not own the cache it forwards to: this does nothing. */
    @Override
    public void close() {}

    @Override
    public String toString() {
        return getClass().getSimpleName() + " over " + delegate();
    }
}
