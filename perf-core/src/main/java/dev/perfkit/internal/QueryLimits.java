package dev.perfkit.internal;

import java.util.Collection;
import java.util.Map;

/**
 * The limits every perfkit entry point that walks a query document enforces, so that hostile or
 * broken input gets a clear {@link IllegalArgumentException} at the boundary instead of a {@link
 * StackOverflowError} deep inside (or, worse, after the host's own call succeeded).
 *
 * <p>Depth: at most {@value #MAX_DEPTH} levels of nested documents and arrays, MongoDB's own limit
 * for BSON nesting. Keys: every key of every nested document must be a non-null {@code String}
 * (a raw {@code Map} can hold anything; a BSON document cannot).
 */
public final class QueryLimits {
    /** The deepest nesting of documents and arrays accepted (MongoDB's limit). */
    public static final int MAX_DEPTH = 100;

    private QueryLimits() {}

    /**
     * Checks a query document's depth and keys.
     *
     * @param parameter the parameter's name, for the message
     * @param document the document; null is left to the caller's null check
     * @throws IllegalArgumentException if it is nested deeper than {@link #MAX_DEPTH} or has a key
     *     that is not a string
     */
    public static void check(String parameter, Map<?, ?> document) {
        if (document != null) {
            checkValue(parameter, document, 1);
        }
    }

    private static void checkValue(String parameter, Object value, int depth) {
        if (value instanceof Map<?, ?> map) {
            checkDepth(parameter, depth);
            for (Map.Entry<?, ?> entry : map.entrySet()) {
                Object key = entry.getKey();
                if (!(key instanceof String)) {
                    throw new IllegalArgumentException(parameter + " has a key that is not a String: " + key
                            + (key == null ? "" : " (" + key.getClass().getName() + ")"));
                }
                checkValue(parameter, entry.getValue(), depth + 1);
            }
        } else if (value instanceof Collection<?> elements) {
            checkDepth(parameter, depth);
            for (Object element : elements) {
                checkValue(parameter, element, depth + 1);
            }
        } else if (value instanceof Object[] array) {
            checkDepth(parameter, depth);
            for (Object element : array) {
                checkValue(parameter, element, depth + 1);
            }
        }
    }

    private static void checkDepth(String parameter, int depth) {
        if (depth > MAX_DEPTH) {
            throw new IllegalArgumentException(parameter + " is nested deeper than " + MAX_DEPTH
                    + " levels of documents and arrays (MongoDB's limit)");
        }
    }
}
