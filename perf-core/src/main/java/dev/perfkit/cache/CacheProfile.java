package dev.perfkit.cache;

import static java.util.Objects.requireNonNull;

import dev.perfkit.internal.Durations;
import java.time.Duration;
import java.util.Locale;

/**
 * How one kind of data is cached (seed 003's {@code get_cache_config("hotel_settings")}): its TTL,
 * its levels, whether it is compressed in a shared level, and whether a warmer fills it at start-up.
 *
 * <pre>{@code
 * // PERF_CACHE_PROFILE_HOTEL_SETTINGS_TTL=3600, ..._LEVEL=both, ..._COMPRESS=true, ..._WARM=true
 * QueryCache settings = Perf.getQueryCache("hotel_settings");   // the default cache, these defaults
 * settings.set("hotel:42", hotelSettings);                       // lives 1 h
 * }</pre>
 *
 * @param name the profile's name, lower case ({@code hotel_settings})
 * @param ttl how long an entry lives when no TTL is given
 * @param level the levels its entries use (only a two-level cache tells them apart)
 * @param compress whether large values are compressed in a shared level
 * @param warm whether a registered warmer fills it at start-up and refreshes hot entries
 */
public record CacheProfile(String name, Duration ttl, CacheLevel level, boolean compress, boolean warm) {

    /** Checks the values and lower-cases the name. */
    public CacheProfile {
        requireNonNull(name, "name");
        if (!name.matches("[A-Za-z0-9_]{1,64}")) {
            throw new IllegalArgumentException("profile name must be 1 to 64 letters, digits or _: '" + name + "'");
        }
        name = name.toLowerCase(Locale.ROOT);
        Durations.checkPositive("ttl", ttl);
        requireNonNull(level, "level");
    }

    /**
     * A profile with a TTL, both levels, compression on and no warming.
     *
     * @param name the name
     * @param ttl the TTL
     * @return the profile
     */
    public static CacheProfile of(String name, Duration ttl) {
        return new CacheProfile(name, ttl, CacheLevel.BOTH, true, false);
    }

    /**
     * Returns this profile with another level.
     *
     * @param newLevel the level
     * @return a copy
     */
    public CacheProfile withLevel(CacheLevel newLevel) {
        return new CacheProfile(name, ttl, newLevel, compress, warm);
    }

    /**
     * Returns this profile with compression on or off.
     *
     * @param on whether to compress
     * @return a copy
     */
    public CacheProfile withCompress(boolean on) {
        return new CacheProfile(name, ttl, level, on, warm);
    }

    /**
     * Returns this profile with warming on or off.
     *
     * @param on whether to warm
     * @return a copy
     */
    public CacheProfile withWarm(boolean on) {
        return new CacheProfile(name, ttl, level, compress, on);
    }
}
