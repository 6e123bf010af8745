package dev.perfkit.profile;

import java.time.Duration;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * An index that would serve observed queries, with keys in Equality-Sort-Range order.
 *
 * @param collection the collection to index
 * @param keys the index keys in order, each 1 (ascending) or -1 (descending)
 * @param reason one line on why, e.g. {@code "50 queries, 7.5 s total, equality on guild_id, range
 *     on balance"}
 * @param queryCount queries this index would serve
 * @param totalTime time those queries took
 */
public record IndexRecommendation(
        String collection, LinkedHashMap<String, Integer> keys, String reason, long queryCount, Duration totalTime) {

    /** Copies the keys, keeping their order. */
    public IndexRecommendation {
        keys = new LinkedHashMap<>(keys);
    }

    /** Returns the keys in index order; a copy, since the record must stay immutable. */
    @Override
    public LinkedHashMap<String, Integer> keys() {
        return new LinkedHashMap<>(keys);
    }

    /** Returns the keys as a read-only view, without copying. */
    public Map<String, Integer> keysView() {
        return Collections.unmodifiableMap(keys);
    }
}
