package dev.perfkit.mongo;

import com.mongodb.MongoClientSettings;
import dev.perfkit.internal.QueryLimits;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.ArrayList;
import java.util.Date;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import org.bson.BsonArray;
import org.bson.BsonBoolean;
import org.bson.BsonDateTime;
import org.bson.BsonDecimal128;
import org.bson.BsonDocument;
import org.bson.BsonDouble;
import org.bson.BsonInt32;
import org.bson.BsonInt64;
import org.bson.BsonNull;
import org.bson.BsonObjectId;
import org.bson.BsonString;
import org.bson.BsonValue;
import org.bson.Document;
import org.bson.codecs.configuration.CodecRegistry;
import org.bson.conversions.Bson;
import org.bson.types.Decimal128;
import org.bson.types.ObjectId;

/**
 * The structural key of one cached read, so that a repeated read finds its cache key without
 * serializing the filter or running the optimizer again (see {@link CachedCollection}).
 *
 * <p>Two keys are equal only when their parts are the same tree: the same field names in the same
 * order, and leaves of the same class with equal values ({@code 1} and {@code 1L} differ, as they
 * do in BSON). Equal keys therefore encode to the same BSON, and map to the same canonical cache
 * key; the reverse need not hold (a key that differs only in an int/long literal gets an entry of
 * its own that maps to whatever its own encoding gives). Anything the walk does not know to be a
 * plain value — a custom class, a byte array, a regex — makes the read unkeyable: it takes the slow
 * path every time, which is always correct.
 *
 * <p>A probe ({@link #probe}) wraps the caller's own objects and is only compared, never stored; a
 * stored key is a {@linkplain #frozen() deep copy}, so a caller who later changes their filter
 * {@code Document} cannot change a key in the map.
 */
final class ReadKey {
    /** What kind of read; with {@code field} and {@code resultClass} for distinct. */
    enum Kind {
        FIND,
        COUNT,
        DISTINCT
    }

    private final Kind kind;
    private final String field;
    private final Class<?> resultClass;
    private final Object filter;
    private final Object projection;
    private final Object sort;
    private final int skip;
    private final int limit;
    private final int hash;

    private ReadKey(
            Kind kind,
            String field,
            Class<?> resultClass,
            Object filter,
            Object projection,
            Object sort,
            int skip,
            int limit,
            int hash) {
        this.kind = kind;
        this.field = field;
        this.resultClass = resultClass;
        this.filter = filter;
        this.projection = projection;
        this.sort = sort;
        this.skip = skip;
        this.limit = limit;
        this.hash = hash;
    }

    /**
     * A probe for a read, or null when the read cannot be keyed structurally (it then takes the slow
     * path).
     */
    static ReadKey probe(
            Kind kind,
            String field,
            Class<?> resultClass,
            Bson filter,
            Bson projection,
            Bson sort,
            int skip,
            int limit) {
        Object filterTree = tree(filter);
        Object projectionTree = projection == null ? null : tree(projection);
        Object sortTree = sort == null ? null : tree(sort);
        if (filterTree == null
                || (projection != null && projectionTree == null)
                || (sort != null && sortTree == null)) {
            return null;
        }
        int h;
        try {
            // Only the parts a read has are mixed in, each with a salt of its own, so that the
            // commonest read (a filter, nothing else) costs one mix step rather than nine: the
            // hash chain is a tenth of a cached hit. A collision costs a comparison, never a
            // wrong answer (equals compares every part).
            // Document and BsonDocument trees never equal each other (their leaves differ in class)
            // but an Integer and a BsonInt32 hash alike: keep them in different buckets.
            h = mix(kind.ordinal(), hash(filterTree, 0) + (filterTree instanceof Document ? 0 : BSON_SALT));
            if (field != null) {
                h = mix(h, field.hashCode());
            }
            if (resultClass != null) {
                h = mix(h, resultClass.getName().hashCode());
            }
            if (projectionTree != null) {
                h = mix(h, hash(projectionTree, 0) + PROJECTION_SALT);
            }
            if (sortTree != null) {
                h = mix(h, hash(sortTree, 0) + SORT_SALT);
            }
            if (skip != 0) {
                h = mix(h, skip + SKIP_SALT);
            }
            if (limit != 0) {
                h = mix(h, limit + LIMIT_SALT);
            }
        } catch (RuntimeException e) { // TooDeep included
            return null; // too deep, or a leaf's hashCode failed: the slow path decides
        }
        return new ReadKey(kind, field, resultClass, filterTree, projectionTree, sortTree, skip, limit, h);
    }

    /**
     * A copy of this probe safe to keep, or null when a part is not a plain value (the read is then
     * not memoized).
     */
    ReadKey frozen() {
        Object filterCopy = copy(filter);
        Object projectionCopy = copy(projection);
        Object sortCopy = copy(sort);
        if (filterCopy == UNKNOWN || projectionCopy == UNKNOWN || sortCopy == UNKNOWN) {
            return null;
        }
        return new ReadKey(kind, field, resultClass, filterCopy, projectionCopy, sortCopy, skip, limit, hash);
    }

    /** The filter of a frozen key: a private copy, safe to query with. */
    Bson filter() {
        return (Bson) filter;
    }

    /** The projection of a frozen key, or null. */
    Bson projection() {
        return (Bson) projection;
    }

    /** The sort of a frozen key, or null. */
    Bson sort() {
        return (Bson) sort;
    }

    /**
     * The caller's {@code Document} as is (walked, never copied, on the hot path); any other Bson
     * rendered once to a BsonDocument of our own. Null if it cannot be rendered.
     */
    private static Object tree(Bson bson) {
        if (bson instanceof Document document) {
            if (document.size() == 1 && document.getClass() == Document.class) {
                Equality equality = Equality.of(document);
                if (equality != null) {
                    return equality;
                }
            }
            return document;
        }
        if (bson.getClass() == Equality.DRIVER_EQ) {
            Equality equality = Equality.of(bson);
            if (equality != null) {
                return equality;
            }
        }
        try {
            return bson.toBsonDocument(BsonDocument.class, MongoClientSettings.getDefaultCodecRegistry());
        } catch (StackOverflowError | RuntimeException e) {
            return null; // too deep, or a codec is missing: the slow path reports it
        }
    }

    @Override
    public boolean equals(Object o) {
        if (this == o) {
            return true;
        }
        if (!(o instanceof ReadKey other)) {
            return false;
        }
        return hash == other.hash
                && kind == other.kind
                && skip == other.skip
                && limit == other.limit
                && Objects.equals(field, other.field)
                && resultClass == other.resultClass
                && same(filter, other.filter, 0)
                && same(projection, other.projection, 0)
                && same(sort, other.sort, 0);
    }

    @Override
    public int hashCode() {
        return hash;
    }

    @Override
    public String toString() {
        return "ReadKey{" + kind + ", filter=" + filter + ", projection=" + projection + ", sort=" + sort + ", skip="
                + skip + ", limit=" + limit + '}';
    }

    /**
     * A filter of one field equal to a common immutable leaf ({@code {user_id: 42}}), the commonest
     * read of a bot, keyed by its field and value alone: either a one-field {@code Document} or a
     * driver {@code Filters.eq(field, value)}. The driver's filter is read without rendering it
     * (rendering through the codecs cost a third of a cached hit): its class is not public, so its
     * two fields are read through a private lookup (the driver's packages are open to it on the
     * class path, and an automatic module opens them too); where that fails, the filter is rendered
     * as before. A stored equality holds the driver's filter (final fields, an immutable value) or
     * nothing of the caller's: a {@code Document} the caller changes later cannot change it.
     *
     * <p>Two equalities are the same tree when their fields are equal and their values are of one
     * class and equal; both forms encode such a filter as {@code {field: value}}, so equal trees
     * encode alike. An equality never equals a rendered filter: a read written another way gets a
     * structure of its own, mapping to the same canonical key.
     */
    static final class Equality implements Bson {
        static final Class<?> DRIVER_EQ;
        private static final VarHandle FIELD;
        private static final VarHandle VALUE;

        static {
            Class<?> type = null;
            VarHandle field = null;
            VarHandle value = null;
            try {
                Class<?> candidate = Class.forName("com.mongodb.client.model.Filters$SimpleEncodingFilter");
                MethodHandles.Lookup lookup = MethodHandles.privateLookupIn(candidate, MethodHandles.lookup());
                field = lookup.findVarHandle(candidate, "fieldName", String.class);
                value = lookup.findVarHandle(candidate, "value", Object.class);
                type = candidate;
            } catch (ReflectiveOperationException | RuntimeException | LinkageError e) {
                // another driver version or a module that is not open: every filter is rendered
            }
            DRIVER_EQ = type;
            FIELD = field;
            VALUE = value;
        }

        private final Bson filter;
        private final String field;
        private final Object value;

        private Equality(Bson filter, String field, Object value) {
            this.filter = filter;
            this.field = field;
            this.value = value;
        }

        /** The equality of a driver {@code Filters.eq}, or null when its value is not a common leaf. */
        static Equality of(Bson filter) {
            Object value = VALUE.get(filter);
            String field = (String) FIELD.get(filter);
            if (field == null || value == null || !commonLeaf(value.getClass())) {
                return null;
            }
            return new Equality(filter, field, value);
        }

        /** The equality of a one-field Document, or null when its value is not a common leaf. */
        static Equality of(Document document) {
            Map.Entry<String, Object> entry = document.entrySet().iterator().next();
            Object value = entry.getValue();
            if (entry.getKey() == null || value == null || !commonLeaf(value.getClass())) {
                return null;
            }
            return new Equality(null, entry.getKey(), value);
        }

        @Override
        public <T> BsonDocument toBsonDocument(Class<T> documentClass, CodecRegistry codecRegistry) {
            return (filter != null ? filter : new Document(field, value)).toBsonDocument(documentClass, codecRegistry);
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof Equality other
                    && field.equals(other.field)
                    && value.getClass() == other.value.getClass()
                    && value.equals(other.value);
        }

        @Override
        public int hashCode() {
            return mix(field.hashCode(), value.hashCode());
        }

        @Override
        public String toString() {
            return "{" + field + ": " + value + "}";
        }
    }

    // ---- the structural walk: order- and class-sensitive, depth-bounded ----

    /** Thrown (without a stack trace) when a tree is deeper than MongoDB allows. */
    private static final class TooDeep extends RuntimeException {
        private static final long serialVersionUID = 1L;
        static final TooDeep INSTANCE = new TooDeep();

        private TooDeep() {
            super("too deep", null, false, false);
        }
    }

    private static final Object UNKNOWN = new Object();

    // Salts of the optional parts of a key's hash (arbitrary odd constants).
    private static final int BSON_SALT = 0x2545f491;
    private static final int PROJECTION_SALT = 0x5bd1e995;
    private static final int SORT_SALT = 0x27d4eb2f;
    private static final int SKIP_SALT = 0x165667b1;
    private static final int LIMIT_SALT = 0x61c88647;

    /**
     * One step of a MurmurHash3-style combination. Not {@code 31 * h + x}: that is linear, so reads
     * that differ in two small numbers ({@code {guild: g, user: u}} and {@code {guild: g + 1, user:
     * u - 961}}) collide exactly, and every such pair would pay a deep comparison on lookup.
     */
    private static int mix(int h, int x) {
        int k = x * 0xcc9e2d51;
        k = Integer.rotateLeft(k, 15) * 0x1b873593;
        return Integer.rotateLeft(h ^ k, 13) * 5 + 0xe6546b64;
    }

    private static int hash(Object value, int depth) {
        if (depth > QueryLimits.MAX_DEPTH) {
            throw TooDeep.INSTANCE;
        }
        if (value == null) {
            return 0;
        }
        // Exact classes first: the common leaves and documents cost one class comparison each,
        // where an interface check (Map, List) costs a scan of the class's interfaces.
        Class<?> type = value.getClass();
        if (type == Equality.class || commonLeaf(type)) {
            return value.hashCode();
        }
        if (type == Document.class || type == BsonDocument.class || value instanceof Map<?, ?>) {
            int h = 1;
            for (Map.Entry<?, ?> entry : ((Map<?, ?>) value).entrySet()) {
                h = mix(h, Objects.hashCode(entry.getKey()));
                h = mix(h, hash(entry.getValue(), depth + 1));
            }
            return h;
        }
        if (value instanceof List<?> list) {
            int h = 7;
            for (Object element : list) {
                h = mix(h, hash(element, depth + 1));
            }
            return h;
        }
        return value.hashCode();
    }

    /** Same tree: maps and lists entry by entry in order, leaves of one class and equal. */
    private static boolean same(Object a, Object b, int depth) {
        if (a == b) {
            return true;
        }
        if (a == null || b == null || depth > QueryLimits.MAX_DEPTH) {
            return false;
        }
        Class<?> type = a.getClass();
        if (type == Equality.class || commonLeaf(type)) {
            return type == b.getClass() && a.equals(b);
        }
        if (type == Document.class || type == BsonDocument.class || a instanceof Map<?, ?>) {
            return b instanceof Map<?, ?> mapB && sameEntries((Map<?, ?>) a, mapB, depth);
        }
        if (a instanceof List<?> listA) {
            if (!(b instanceof List<?> listB) || listA.size() != listB.size()) {
                return false;
            }
            Iterator<?> itB = listB.iterator();
            for (Object elementA : listA) {
                if (!same(elementA, itB.next(), depth + 1)) {
                    return false;
                }
            }
            return true;
        }
        return type == b.getClass() && plain(a) && a.equals(b);
    }

    private static boolean sameEntries(Map<?, ?> mapA, Map<?, ?> mapB, int depth) {
        if (mapA.size() != mapB.size()) {
            return false;
        }
        Iterator<? extends Map.Entry<?, ?>> itB = mapB.entrySet().iterator();
        for (Map.Entry<?, ?> entryA : mapA.entrySet()) {
            Map.Entry<?, ?> entryB = itB.next();
            if (!Objects.equals(entryA.getKey(), entryB.getKey())
                    || !same(entryA.getValue(), entryB.getValue(), depth + 1)) {
                return false;
            }
        }
        return true;
    }

    /**
     * Leaves whose equals means "encodes to the same BSON" and that cannot change once built (a Date
     * is copied when frozen). Exact classes: a subclass may encode, or compare, differently.
     */
    private static final Set<Class<?>> PLAIN = Set.of(
            String.class,
            Integer.class,
            Long.class,
            Double.class,
            Boolean.class,
            ObjectId.class,
            Decimal128.class,
            Date.class,
            BsonString.class,
            BsonInt32.class,
            BsonInt64.class,
            BsonDouble.class,
            BsonBoolean.class,
            BsonNull.class,
            BsonObjectId.class,
            BsonDateTime.class,
            BsonDecimal128.class,
            Equality.class);

    /**
     * The leaves filters are made of, by exact class (a few comparisons, where {@link #PLAIN}'s
     * lookup or an interface check costs more): all of them plain.
     */
    private static boolean commonLeaf(Class<?> type) {
        return type == String.class
                || type == Integer.class
                || type == Long.class
                || type == BsonInt32.class
                || type == BsonString.class
                || type == BsonInt64.class
                || type == ObjectId.class
                || type == BsonObjectId.class;
    }

    private static boolean plain(Object leaf) {
        return PLAIN.contains(leaf.getClass());
    }

    /** A deep, private copy: Document for maps, List for lists; UNKNOWN if a leaf is not plain. */
    private static Object copy(Object value) {
        if (value == null) {
            return null;
        }
        if (value instanceof BsonDocument document) {
            BsonDocument copy = new BsonDocument();
            for (Map.Entry<String, BsonValue> entry : document.entrySet()) {
                Object element = copy(entry.getValue());
                if (element == UNKNOWN) {
                    return UNKNOWN;
                }
                copy.put(entry.getKey(), (BsonValue) element);
            }
            return copy;
        }
        if (value instanceof BsonArray array) {
            BsonArray copy = new BsonArray();
            for (BsonValue element : array) {
                Object copied = copy(element);
                if (copied == UNKNOWN) {
                    return UNKNOWN;
                }
                copy.add((BsonValue) copied);
            }
            return copy;
        }
        if (value instanceof Map<?, ?> map) {
            Document copy = new Document();
            for (Map.Entry<?, ?> entry : map.entrySet()) {
                if (!(entry.getKey() instanceof String key)) {
                    return UNKNOWN;
                }
                Object element = copy(entry.getValue());
                if (element == UNKNOWN) {
                    return UNKNOWN;
                }
                copy.put(key, element);
            }
            return copy;
        }
        if (value instanceof List<?> list) {
            List<Object> copy = new ArrayList<>(list.size());
            for (Object element : list) {
                Object copied = copy(element);
                if (copied == UNKNOWN) {
                    return UNKNOWN;
                }
                copy.add(copied);
            }
            return copy;
        }
        if (value instanceof Date date) {
            return new Date(date.getTime());
        }
        return plain(value) ? value : UNKNOWN;
    }
}
