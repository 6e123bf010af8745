package dev.perfkit.cache;

import static java.util.Objects.requireNonNull;

import java.util.function.Supplier;

/*
 * A cache seen through a profile: the calls that take no TTL use the profile's; everything else
 * goes to the cache unchanged. It does not own the cache: close() does nothing.
 */
final class ProfiledQueryCache extends ForwardingQueryCache {
    private final QueryCache cache;
    private final CacheProfile profile;

    ProfiledQueryCache(QueryCache cache, CacheProfile profile) {
        this.cache = requireNonNull(cache, "cache");
        this.profile = requireNonNull(profile, "profile");
    }

    @Override
    protected QueryCache delegate() {
        return cache;
    }

    @Override
    public void set(String key, Object value) {
        cache.set(key, value, profile.ttl());
    }

    @Override
    public <V> V getOrLoad(String key, Supplier<V> loader) {
        return cache.getOrLoad(key, profile.ttl(), loader);
    }

    @Override
    public String toString() {
        return cache + " with profile " + profile.name();
    }
}
