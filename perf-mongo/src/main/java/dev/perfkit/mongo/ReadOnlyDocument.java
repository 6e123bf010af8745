package dev.perfkit.mongo;

import java.util.AbstractMap;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.BiFunction;
import java.util.function.Function;
import org.bson.Document;

/**
 * A {@link Document} that cannot be changed, nor can the documents and lists inside it: what a
 * {@link CachedCollection} returns, so that a caller who modifies a result gets an {@link
 * UnsupportedOperationException} instead of silently corrupting what every later caller reads.
 * Copy it ({@code new Document(result)}) to get a mutable document.
 *
 * <p>Frozen once, when the result is loaded; a cache hit costs nothing more. The values inside are
 * the driver's: strings, numbers, {@code ObjectId}s and {@code Decimal128}s are immutable, but a
 * {@code java.util.Date} and the byte array of a {@code Binary} are not — do not change those in
 * place either.
 */
public final class ReadOnlyDocument extends Document {
    private static final long serialVersionUID = 1L;

    private ReadOnlyDocument(Map<String, Object> frozen) {
        super(frozen);
    }

    /**
     * Returns a deep, read-only copy of a document.
     *
     * @param document the document
     * @return the read-only copy (the same object when it is read-only already)
     */
    public static ReadOnlyDocument of(Document document) {
        if (document instanceof ReadOnlyDocument readOnly) {
            return readOnly;
        }
        Map<String, Object> frozen = new LinkedHashMap<>();
        document.forEach((key, value) -> frozen.put(key, freeze(value)));
        return new ReadOnlyDocument(frozen);
    }

    private static Object freeze(Object value) {
        if (value instanceof Document document) {
            return of(document);
        }
        if (value instanceof List<?> list) {
            List<Object> copy = new ArrayList<>(list.size());
            list.forEach(element -> copy.add(freeze(element)));
            return Collections.unmodifiableList(copy);
        }
        return value; // strings, numbers, ObjectIds: immutable (a Date or Binary is not; see the class doc)
    }

    private static UnsupportedOperationException readOnly() {
        return new UnsupportedOperationException(
                "this document came from a cache and is shared: copy it with new Document(doc) to change it");
    }

    @Override
    public Document append(String key, Object value) {
        throw readOnly();
    }

    @Override
    public Object put(String key, Object value) {
        throw readOnly();
    }

    @Override
    public Object remove(Object key) {
        throw readOnly();
    }

    @Override
    public void putAll(Map<? extends String, ?> map) {
        throw readOnly();
    }

    @Override
    public void clear() {
        throw readOnly();
    }

    @Override
    public Object putIfAbsent(String key, Object value) {
        throw readOnly();
    }

    @Override
    public boolean remove(Object key, Object value) {
        throw readOnly();
    }

    @Override
    public boolean replace(String key, Object oldValue, Object newValue) {
        throw readOnly();
    }

    @Override
    public Object replace(String key, Object value) {
        throw readOnly();
    }

    @Override
    public void replaceAll(BiFunction<? super String, ? super Object, ?> function) {
        throw readOnly();
    }

    @Override
    public Object computeIfAbsent(String key, Function<? super String, ?> mappingFunction) {
        throw readOnly();
    }

    @Override
    public Object computeIfPresent(String key, BiFunction<? super String, ? super Object, ?> remappingFunction) {
        throw readOnly();
    }

    @Override
    public Object compute(String key, BiFunction<? super String, ? super Object, ?> remappingFunction) {
        throw readOnly();
    }

    @Override
    public Object merge(String key, Object value, BiFunction<? super Object, ? super Object, ?> remappingFunction) {
        throw readOnly();
    }

    @Override
    public Set<String> keySet() {
        return Collections.unmodifiableSet(super.keySet());
    }

    @Override
    public Collection<Object> values() {
        return Collections.unmodifiableCollection(super.values());
    }

    @Override
    public Set<Map.Entry<String, Object>> entrySet() {
        // Collections.unmodifiableMap wraps each entry too (no setValue), unlike unmodifiableSet.
        Set<Map.Entry<String, Object>> entries = super.entrySet();
        return Collections.unmodifiableMap(new AbstractMap<String, Object>() {
                    @Override
                    public Set<Map.Entry<String, Object>> entrySet() {
                        return entries;
                    }
                })
                .entrySet();
    }

    /**
     * Equal to any {@link Document} with the same fields and values, as {@code Document}s compare.
     * ({@code Document}'s own {@code equals} also requires the same class, so compare with {@code
     * cached.equals(other)}, or copy first.)
     */
    @Override
    public boolean equals(Object other) {
        if (this == other) {
            return true;
        }
        return other instanceof Document document && super.entrySet().equals(document.entrySet());
    }

    @Override
    public int hashCode() {
        return super.hashCode();
    }
}
