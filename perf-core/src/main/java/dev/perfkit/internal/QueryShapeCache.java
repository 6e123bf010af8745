package dev.perfkit.internal;

import static java.util.Objects.requireNonNull;

import dev.perfkit.profile.QueryShape;
import java.util.Collection;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.LongAdder;

/**
 * A bounded cache of {@link QueryShape}s keyed by the structure of the query, for hot paths that
 * see the same query structures with different values over and over (a profiler, a command
 * listener).
 *
 * <pre>{@code
 * QueryShapeCache shapes = QueryShapeCache.create(10_000);
 * QueryShape shape = shapes.shapeOf(filter, sort);      // computed once per structure
 * }</pre>
 *
 * <p>The key is a 64-bit fingerprint of the structure: field names and operators in order, the class
 * of each literal, the set of element structures of each array and whether it holds one element
 * or several (which changes the ESR classification of {@code $in}) — never the values. Computing it
 * walks the query once, allocating only a small buffer per array, several times cheaper than
 * computing the shape. Two different structures would have
 * to collide on 64 bits to share a shape; with ten thousand distinct structures the odds are about
 * one in three hundred billion. Once {@code maxEntries} structures are cached, further structures
 * are computed on every call and not stored.
 *
 * <p>Thread-safe.
 */
public final class QueryShapeCache {
    private static final long SEED = 0x9E3779B97F4A7C15L;

    private final int maxEntries;
    private final ConcurrentHashMap<Long, QueryShape> shapes = new ConcurrentHashMap<>();
    private final LongAdder hits = new LongAdder();
    private final LongAdder misses = new LongAdder();

    private QueryShapeCache(int maxEntries) {
        this.maxEntries = maxEntries;
    }

    /**
     * Creates a cache.
     *
     * @param maxEntries the most structures cached; positive
     * @return a new cache
     * @throws IllegalArgumentException if {@code maxEntries} is not positive
     */
    public static QueryShapeCache create(int maxEntries) {
        if (maxEntries <= 0) {
            throw new IllegalArgumentException("maxEntries must be positive: " + maxEntries);
        }
        return new QueryShapeCache(maxEntries);
    }

    /**
     * Returns the shape of a filter with its sort, from the cache when its structure was seen.
     *
     * @param query the filter
     * @param sort the sort, empty for none
     * @return the shape, equal to {@code QueryShape.of(query, sort)}
     * @throws NullPointerException if an argument is null
     * @throws IllegalArgumentException if the query breaks {@link QueryLimits} (too deep, a key that
     *     is not a string)
     */
    public QueryShape shapeOf(Map<String, ?> query, Map<String, ?> sort) {
        requireNonNull(query, "query");
        requireNonNull(sort, "sort");
        long key = mix(fingerprint(query, 0), sortFingerprint(sort));
        QueryShape shape = shapes.get(key);
        if (shape != null) {
            hits.increment();
            return shape;
        }
        misses.increment();
        shape = QueryShape.of(query, sort);
        if (shapes.size() < maxEntries) {
            QueryShape raced = shapes.putIfAbsent(key, shape);
            if (raced != null) {
                return raced;
            }
        }
        return shape;
    }

    /** Returns the number of structures cached. */
    public int size() {
        return shapes.size();
    }

    /** Returns how many lookups found their structure cached. */
    public long hits() {
        return hits.sum();
    }

    /** Returns how many lookups computed a shape. */
    public long misses() {
        return misses.sum();
    }

    /** Forgets every cached shape. */
    public void clear() {
        shapes.clear();
    }

    private static long mix(long hash, long value) {
        long h = (hash ^ value) * SEED;
        return h ^ (h >>> 29);
    }

    /** Also enforces {@link QueryLimits} on the way: the hot path walks the query once. */
    private static long fingerprint(Map<?, ?> document, int depth) {
        long hash = mix(SEED, document.size());
        checkDepth(depth);
        for (Map.Entry<?, ?> entry : document.entrySet()) {
            Object key = entry.getKey();
            if (!(key instanceof String)) {
                QueryLimits.check("query", document); // throws, naming the key
            }
            hash = mix(hash, key.hashCode());
            hash = mix(hash, valueFingerprint(entry.getValue(), depth + 1));
        }
        return hash;
    }

    private static long valueFingerprint(Object value, int depth) {
        if (value == null) {
            return 1;
        }
        if (value instanceof Map<?, ?> map) {
            return mix(2, fingerprint(map, depth));
        }
        if (value instanceof Collection<?> elements) {
            checkDepth(depth);
            // Distinct element structures, order-insensitive, plus "one or several" (for $in).
            DistinctSum sum = new DistinctSum();
            for (Object element : elements) {
                sum.add(mix(SEED, valueFingerprint(element, depth + 1)));
            }
            return mix(elements.size() == 1 ? 3 : 5, sum.sum());
        }
        if (value instanceof Object[] array) {
            checkDepth(depth);
            DistinctSum sum = new DistinctSum();
            for (Object element : array) {
                sum.add(mix(SEED, valueFingerprint(element, depth + 1)));
            }
            return mix(array.length == 1 ? 3 : 5, sum.sum());
        }
        return value.getClass().hashCode();
    }

    /**
     * The elements of an array combined as a shape sees them, a set of element structures: the sum
     * of the distinct fingerprints. (An OR of the hashes, which this replaced, saturates with a few
     * elements, so arrays of different element types collided.) Past eight distinct structures
     * every element is added, which only makes fingerprints finer.
     */
    public static final class DistinctSum {
        private final long[] seen = new long[8];
        private int distinct;
        private long sum;

        /**
         * Adds one element's fingerprint.
         *
         * @param fingerprint the element's fingerprint
         */
        public void add(long fingerprint) {
            for (int i = 0; i < distinct; i++) {
                if (seen[i] == fingerprint) {
                    return;
                }
            }
            if (distinct < seen.length) {
                seen[distinct++] = fingerprint;
            }
            sum += fingerprint;
        }

        /**
         * Returns the combined fingerprint.
         *
         * @return the sum of the distinct fingerprints added
         */
        public long sum() {
            return sum;
        }
    }

    private static void checkDepth(int depth) {
        if (depth >= QueryLimits.MAX_DEPTH) {
            throw new IllegalArgumentException("query is nested deeper than " + QueryLimits.MAX_DEPTH
                    + " levels of documents and arrays (MongoDB's limit)");
        }
    }

    private static long sortFingerprint(Map<?, ?> sort) {
        long hash = mix(SEED, sort.size());
        for (Map.Entry<?, ?> entry : sort.entrySet()) {
            if (!(entry.getKey() instanceof String)) {
                QueryLimits.check("sort", sort); // throws, naming the key
            }
            hash = mix(hash, entry.getKey().hashCode());
            Object direction = entry.getValue();
            // the same reading as QueryShape: negative is descending, anything else ascending
            hash = mix(hash, direction instanceof Number number ? (number.doubleValue() < 0 ? 7 : 8) : 11);
        }
        return hash;
    }
}
