package dev.perfkit.cache;

import java.util.Locale;

/** Where a cache keeps its entries: in the process, in a shared Redis, or both (memory in front). */
public enum CacheLevel {
    /** In-process only (Caffeine): fastest, private to one instance. */
    MEMORY,
    /** Shared Redis only: every read is a round trip, every instance sees the same entries. */
    REDIS,
    /** Both: the in-process level in front of Redis, kept coherent across instances. */
    BOTH;

    /**
     * Parses a level case-insensitively.
     *
     * @param text {@code memory}, {@code redis} or {@code both}
     * @return the level
     * @throws IllegalArgumentException naming the text and the accepted values
     */
    public static CacheLevel parse(String text) {
        try {
            return valueOf(text.strip().toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException | NullPointerException e) {
            throw new IllegalArgumentException("'" + text + "' is not a cache level: expected memory, redis or both");
        }
    }
}
