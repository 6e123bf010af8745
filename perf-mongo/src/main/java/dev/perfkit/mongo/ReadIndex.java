package dev.perfkit.mongo;

import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.Date;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Supplier;
import org.bson.BsonDocument;
import org.bson.BsonValue;
import org.bson.Document;
import org.bson.types.Decimal128;
import org.bson.types.ObjectId;

/*
 * Precise invalidation for a CachedCollection of Documents: which cached reads a write can change.
 *
 * Every cached read registers what it depends on (ReadInfo): the fields its filter, sort and
 * projection name (their first path segment), and, for a find, the documents it returned. A write
 * is summed up as an Effect: the documents it inserted, or the filter it updated or deleted by and
 * the fields its update names. The rules (docs/mongo.md states them for users):
 *
 * - nothing changed (0 matched / modified / deleted, no upsert): no read is affected;
 * - an insert affects a read whose filter might match the new document;
 * - an update that names none of a read's filter or sort fields cannot change which documents
 *   match, nor their order: it affects a find only if the find returned a document the update may
 *   have touched (and, with an inclusion projection, only if it names a projected field); it
 *   affects a count never, a distinct only if it names the distinct field. Without a sort, the
 *   order is the server's natural order, which an update does not change on WiredTiger (records
 *   keep their record id) nor on the embedded server; the differential test checks unsorted
 *   windows too;
 * - an update that names a filter or sort field, a replacement, a delete of a document a read may
 *   hold: affected;
 * - whatever cannot be reasoned about is affected: an upsert that inserted, a bulk write, a write
 *   that failed, a collation, an unknown update operator, a filter with $where/$expr/$text/..., a
 *   count or distinct after a delete, a delete under a skip (the window shifts).
 *
 * "Might match" is decided by a conservative matcher: it answers "provably not" only for equality,
 * $in and numeric ranges on top-level scalar fields of numbers, strings, booleans, ObjectIds and
 * dates; everything else (arrays, embedded documents, dotted paths, nulls, other operators) might
 * match. A wrong "might" costs a cache miss; a wrong "not" would be a stale read, so there is none.
 *
 * Concurrency: a load is in flight (registered before it queries) until its ReadInfo is
 * registered; a write invalidates every in-flight load, then checks every registered read. So a
 * load that raced a write is either invalidated as in flight or judged by its ReadInfo (see
 * CachedCollection). Entries are removed only as the exact instance examined.
 */
final class ReadIndex {
    /** Filter operators whose meaning the index cannot see: reads using them depend on everything. */
    private static final Set<String> OPAQUE_OPERATORS =
            Set.of("$where", "$expr", "$text", "$jsonSchema", "$function", "$accumulator", "$near", "$nearSphere");

    private static final Set<String> KNOWN_UPDATE_OPERATORS = Set.of(
            "$set",
            "$unset",
            "$inc",
            "$mul",
            "$min",
            "$max",
            "$push",
            "$pull",
            "$pullAll",
            "$addToSet",
            "$pop",
            "$currentDate",
            "$setOnInsert",
            "$rename",
            "$bit");

    enum Kind {
        FIND,
        COUNT,
        DISTINCT,
        /** An aggregation: opaque, so any write that changed something invalidates it. */
        AGGREGATE
    }

    /** What one cached read depends on. */
    record ReadInfo(
            Kind kind,
            boolean opaque,
            Document filter,
            Set<String> filterRoots,
            Set<String> sortRoots,
            Set<String> projectedRoots, // null: every field is returned
            boolean skips, // a skip: removing a document before the window shifts it
            int limit, // FIND: the most documents asked for, 0 for all
            String distinctRoot,
            List<Document> documents, // FIND only
            boolean partialDocuments, // a projection: documents lack fields
            long expiresAtNanos,
            Document sort, // FIND: its sort, or null
            long loadSequence, // the wrapper's write sequence when its load started; 0: unknown
            long returnedSequence) { // the write sequence when its query had returned; 0: unknown

        /**
         * This read, loaded from a query sent after the wrapper's write sequence stood at {@code
         * started} and returned before it moved past {@code returned}.
         */
        ReadInfo loaded(long started, long returned) {
            return copy(documents, started, returned);
        }

        /** This read holding {@code updated} instead (written through), all else the same. */
        ReadInfo withDocuments(List<Document> updated) {
            return copy(updated, loadSequence, returnedSequence);
        }

        private ReadInfo copy(List<Document> held, long started, long returned) {
            return new ReadInfo(
                    kind,
                    opaque,
                    filter,
                    filterRoots,
                    sortRoots,
                    projectedRoots,
                    skips,
                    limit,
                    distinctRoot,
                    held,
                    partialDocuments,
                    expiresAtNanos,
                    sort,
                    started,
                    returned);
        }
    }

    /** What one write did. */
    record Effect(EffectKind kind, List<Document> inserted, Document filter, Set<String> touched) {
        static final Effect NONE = new Effect(EffectKind.NONE, null, null, null);
        static final Effect ALL = new Effect(EffectKind.ALL, null, null, null);

        static Effect insert(List<Document> documents) {
            return new Effect(EffectKind.INSERT, documents, null, null);
        }

        /** An update by {@code filter} naming {@code touched} fields; null means every field (a replacement). */
        static Effect update(Document filter, Set<String> touched) {
            return new Effect(EffectKind.UPDATE, null, filter, touched);
        }

        static Effect delete(Document filter) {
            return new Effect(EffectKind.DELETE, null, filter, null);
        }
    }

    enum EffectKind {
        NONE,
        ALL,
        INSERT,
        UPDATE,
        DELETE
    }

    static final int MAX_TRACKED = 100_000;

    /** The registered reads, with the index that lists which of them a write must judge. */
    final ReadRegistry reads = new ReadRegistry();
    /**
     * Loads running now: what each reads, by its filter only (its documents are not known yet; see
     * {@link #affectsPending}), and the writes that raced it. One object per load, never one per
     * key: a load the cache stopped publishing can still be running when the next load of its key
     * starts, and each must hear of every write that races it.
     */
    final Set<Pending> inFlight = ConcurrentHashMap.newKeySet();

    /** A write that raced a find: what it did and, if known then, the one document it changed. */
    record Racing(Effect effect, Document target) {}

    /**
     * A running load and the writes that raced it. A write its filter cannot clear still drops the
     * load's publication (so no caller who starts after the write can be handed its value) and is
     * remembered here; once the load has its documents, it judges those writes as writes are judged
     * against cached reads, and publishes its value itself when none can have changed it ({@link
     * #republishable}). Anything that cannot be judged that way poisons it: it is then never
     * published. The monitor orders a load's own publication against any later write's poisoning,
     * so that a write that returned is never followed by a publication it should have stopped.
     */
    static final class Pending {
        final String key;
        final ReadInfo read;
        private final List<Racing> racing = new ArrayList<>();
        private boolean judged;
        private boolean poisoned;

        Pending(String key, ReadInfo read) {
            this.key = key;
            this.read = read;
        }

        /** A write that may change the load, to be judged with its documents (only a find's). */
        synchronized void raced(Effect effect, Document target) {
            if (judged || read.kind() != Kind.FIND || racing.size() >= MAX_RACING) {
                poisoned = true;
            } else {
                racing.add(new Racing(effect, target));
            }
        }

        /** A write that cannot be judged later: the load must not publish itself. */
        synchronized void poison() {
            poisoned = true;
        }

        /** Whether the load must republish itself; after this, every write poisons it. */
        synchronized boolean republishable(ReadInfo loaded) {
            judged = true;
            if (poisoned || racing.isEmpty()) {
                return false; // none raced: the cache publishes it as usual
            }
            for (Racing write : racing) {
                Document target = write.target();
                if (affects(write.effect(), loaded, () -> target)) {
                    return false;
                }
            }
            return true;
        }

        /** Runs the publication unless a write has poisoned the load meanwhile. */
        synchronized void publishUnlessPoisoned(Runnable publish) {
            if (!poisoned) {
                publish.run();
            }
        }
    }

    /** The most writes one load remembers; more poison it. */
    private static final int MAX_RACING = 64;

    // ---- building what reads and writes depend on

    static ReadInfo find(
            Document filter,
            Document sort,
            Document projection,
            int skip,
            int limit,
            List<Document> documents,
            long ttlNanos) {
        Set<String> filterRoots = new HashSet<>();
        boolean opaque = !collectRoots(filter, filterRoots, 0);
        Set<String> sortRoots = sort == null ? Set.of() : roots(sort.keySet());
        Set<String> projected = projectedRoots(projection);
        return new ReadInfo(
                Kind.FIND,
                opaque,
                filter,
                filterRoots,
                sortRoots,
                projected,
                skip > 0,
                limit,
                null,
                documents,
                projection != null && !projection.isEmpty(),
                System.nanoTime() + ttlNanos,
                sort,
                0L,
                0L);
    }

    static ReadInfo count(Document filter, long ttlNanos) {
        return withoutDocuments(Kind.COUNT, filter, null, ttlNanos);
    }

    static ReadInfo distinct(String field, Document filter, long ttlNanos) {
        return withoutDocuments(Kind.DISTINCT, filter, root(field), ttlNanos);
    }

    /** An aggregation: perfkit does not reason about pipelines, so every change invalidates it. */
    static ReadInfo aggregate(long ttlNanos) {
        return new ReadInfo(
                Kind.AGGREGATE,
                true,
                new Document(),
                Set.of(),
                Set.of(),
                null,
                false,
                0,
                null,
                null,
                false,
                System.nanoTime() + ttlNanos,
                null,
                0L,
                0L);
    }

    /** A read that depends on its filter (and, for distinct, a field) but holds no documents. */
    private static ReadInfo withoutDocuments(Kind kind, Document filter, String distinctRoot, long ttlNanos) {
        Set<String> filterRoots = new HashSet<>();
        boolean opaque = !collectRoots(filter, filterRoots, 0);
        return new ReadInfo(
                kind,
                opaque,
                filter,
                filterRoots,
                Set.of(),
                null,
                false,
                0,
                distinctRoot,
                null,
                false,
                System.nanoTime() + ttlNanos,
                null,
                0L,
                0L);
    }

    /**
     * The first path segments of an update's fields, or null when it cannot tell (replacement,
     * unknown operator); with the top-level fields that only an {@code $inc} changes, and by how much
     * ({@link Touched}).
     */
    static Set<String> touchedRoots(BsonDocument update) {
        Set<String> touched = new HashSet<>();
        Map<String, Object> incs = new java.util.HashMap<>();
        Set<String> otherwise = new HashSet<>(); // roots changed some other way (or under a path)
        for (Map.Entry<String, BsonValue> entry : update.entrySet()) {
            String operator = entry.getKey();
            if (!operator.startsWith("$") || !KNOWN_UPDATE_OPERATORS.contains(operator)) {
                return null;
            }
            if (!entry.getValue().isDocument()) {
                return null;
            }
            for (Map.Entry<String, BsonValue> field :
                    entry.getValue().asDocument().entrySet()) {
                String path = field.getKey();
                touched.add(root(path));
                Object amount = operator.equals("$inc") && path.indexOf('.') < 0 ? amountOf(field.getValue()) : null;
                if (amount != null && !incs.containsKey(path)) {
                    incs.put(path, amount);
                } else {
                    otherwise.add(root(path));
                }
                if (operator.equals("$rename")) {
                    if (!field.getValue().isString()) {
                        return null;
                    }
                    touched.add(root(field.getValue().asString().getValue()));
                    otherwise.add(root(field.getValue().asString().getValue()));
                }
            }
        }
        incs.keySet().removeAll(otherwise);
        return touched.isEmpty() ? null : new Touched(touched, Map.copyOf(incs));
    }

    /** An {@code $inc} amount as a Java number (Integer, Long, Double, Decimal128), or null. */
    private static Object amountOf(BsonValue value) {
        return switch (value.getBsonType()) {
            case INT32 -> value.asInt32().getValue();
            case INT64 -> value.asInt64().getValue();
            case DOUBLE -> value.asDouble().getValue();
            case DECIMAL128 -> value.asDecimal128().getValue();
            default -> null;
        };
    }

    /**
     * The fields an update names (their first path segments), and {@code incs}: the top-level
     * fields it changes only by an {@code $inc}, with the amount, which lets a ranking tell that a
     * document stays outside its window ({@link #staysOutsideWindow}).
     */
    static final class Touched extends java.util.AbstractSet<String> {
        private final Set<String> roots;
        final Map<String, Object> incs;

        Touched(Set<String> roots, Map<String, Object> incs) {
            this.roots = Set.copyOf(roots);
            this.incs = incs;
        }

        @Override
        public java.util.Iterator<String> iterator() {
            return roots.iterator();
        }

        @Override
        public int size() {
            return roots.size();
        }

        @Override
        public boolean contains(Object o) {
            return roots.contains(o);
        }
    }

    private static String root(String path) {
        int dot = path.indexOf('.');
        return dot < 0 ? path : path.substring(0, dot);
    }

    private static Set<String> roots(Set<String> paths) {
        Set<String> roots = new HashSet<>();
        paths.forEach(path -> roots.add(root(path)));
        return roots;
    }

    /** The fields an inclusion projection returns, or null (every field: no projection, or an exclusion). */
    private static Set<String> projectedRoots(Document projection) {
        if (projection == null || projection.isEmpty()) {
            return null;
        }
        Set<String> included = new HashSet<>();
        included.add("_id");
        for (Map.Entry<String, Object> entry : projection.entrySet()) {
            Object value = entry.getValue();
            boolean inclusion =
                    value instanceof Boolean flag ? flag : value instanceof Number number && number.doubleValue() != 0;
            if (entry.getKey().equals("_id")) {
                continue;
            }
            if (!inclusion) {
                return null; // an exclusion (or an expression): treat as every field
            }
            included.add(root(entry.getKey()));
        }
        return included;
    }

    /** Adds the filter's field roots; returns false when the filter uses something opaque. */
    private static boolean collectRoots(Object filter, Set<String> roots, int depth) {
        if (depth > 100) {
            return false;
        }
        if (filter instanceof Map<?, ?> map) {
            for (Map.Entry<?, ?> entry : map.entrySet()) {
                String key = String.valueOf(entry.getKey());
                if (key.startsWith("$")) {
                    if (OPAQUE_OPERATORS.contains(key)) {
                        return false;
                    }
                } else {
                    // Every non-$ key at any depth counts as a field (also a literal document's
                    // keys): more roots only cost cache misses, fewer would cost stale reads.
                    roots.add(root(key));
                }
                if (!collectRoots(entry.getValue(), roots, depth + 1)) {
                    return false;
                }
            }
        } else if (filter instanceof List<?> list) {
            for (Object element : list) {
                if (!collectRoots(element, roots, depth + 1)) {
                    return false;
                }
            }
        }
        return true;
    }

    // ---- judging

    /** Whether a write may change a read's result, knowing nothing of the document it changed. */
    static boolean affects(Effect effect, ReadInfo read) {
        return affects(effect, read, () -> null);
    }

    /**
     * Whether a write may change a read's result. {@code target} gives, when it can, the one document
     * an update changed as cached reads hold it (see {@link #knownTarget}); asked for only when the
     * answer depends on it.
     */
    static boolean affects(Effect effect, ReadInfo read, Supplier<Document> target) {
        Boolean settled = settledByFilter(effect, read);
        if (settled != null) {
            return settled;
        }
        if (effect.kind() == EffectKind.DELETE) {
            return read.kind() != Kind.FIND || read.skips() || mayHoldMatching(read, effect.filter());
        }
        Set<String> touched = effect.touched();
        if (touched == null) { // a replacement: every field may change
            return switch (read.kind()) {
                case COUNT -> !read.filterRoots().isEmpty();
                case DISTINCT, AGGREGATE -> true;
                case FIND ->
                    !read.filterRoots().isEmpty()
                            || !read.sortRoots().isEmpty()
                            || mayHoldMatching(read, effect.filter());
            };
        }
        return switch (read.kind()) {
            case COUNT -> intersects(touched, read.filterRoots());
            case DISTINCT -> intersects(touched, read.filterRoots()) || touched.contains(read.distinctRoot());
            case AGGREGATE -> true;
            case FIND -> findAffectedByUpdate(touched, read, effect.filter(), target);
        };
    }

    /**
     * Whether a write may change the result of a load still running, whose documents are not known
     * yet: only the read's filter counts, never what it may hold. Unaffected only when
     *
     * <ul>
     *   <li>the write and the read pin different {@code _id}s ({@link #settledByFilter}),
     *   <li>every inserted document provably does not match the filter, or
     *   <li>an update names no field of the filter, and its one document is known ({@code target},
     *       see {@link #knownTarget}) and provably does not match the filter: that document then
     *       matches the read neither before the update nor after it, so whichever of the two the
     *       load saw, its result is the same.
     * </ul>
     *
     * Anything else (a delete, a replacement, an update whose document is not known, an opaque read)
     * is affected: the load must not publish.
     */
    static boolean affectsPending(Effect effect, ReadInfo pending, Supplier<Document> target) {
        Boolean settled = settledByFilter(effect, pending);
        if (settled != null) {
            return settled;
        }
        if (effect.kind() != EffectKind.UPDATE
                || effect.touched() == null
                || intersects(effect.touched(), pending.filterRoots())) {
            return true;
        }
        Document changed = target.get();
        return changed == null || !provablyNotMatching(pending.filter(), changed, false);
    }

    /**
     * An update that names the given fields, and a find. If it names a filter field, the set of
     * matching documents may change: affected. Otherwise the matching documents stay the same ones;
     * what can change is a returned document (if the find may hold one the update selects) and, if it
     * names a sort field, the order. A reordering changes the result only through a document that
     * matches the find: one it holds (checked), or, when the find returned a window (a limit it
     * filled, or a skip), one outside the window that may move in. That last case is ruled out when
     * the find returned every match (no skip, fewer documents than its limit), or when the update's
     * one document is known and provably does not match the find's filter.
     */
    private static boolean findAffectedByUpdate(
            Set<String> touched, ReadInfo read, Document writeFilter, Supplier<Document> target) {
        if (intersects(touched, read.filterRoots())) {
            return true;
        }
        boolean reorders = intersects(touched, read.sortRoots());
        boolean returnedFieldsChange =
                reorders || read.projectedRoots() == null || intersects(touched, read.projectedRoots());
        if (returnedFieldsChange && mayHoldMatching(read, writeFilter)) {
            return true;
        }
        if (!reorders) {
            return false;
        }
        boolean returnedEveryMatch =
                !read.skips() && (read.limit() == 0 || read.documents().size() < read.limit());
        if (returnedEveryMatch) {
            return false;
        }
        Document changed = target.get();
        if (changed == null) {
            return true;
        }
        // It matches the find and is outside its window: it can enter only by moving past the
        // window's last document.
        return !provablyNotMatching(read.filter(), changed, false) && !staysOutsideWindow(touched, read, changed);
    }

    /**
     * Whether an update leaves a document that matches a find, and is outside its window, outside
     * it: the find sorts on one top-level field and skips nothing, the update changes that field
     * only by an {@code $inc}, and the document (as known) holds a number there. Then either the
     * {@code $inc} pushes it down the order (negative for a descending sort, positive for an
     * ascending one), or it moves it up but not as far as the window's last document: the new value
     * stays strictly below that document's (descending; above it ascending), with a margin for the
     * rounding of doubles and decimals. A tie would not do, as the order of equal keys is not
     * defined. A missing field would not do either: {@code $inc} creates it, and a number sorts above
     * a missing value in a descending order. The result must fit the field's integer type, so no
     * overflow can turn the order around.
     */
    private static boolean staysOutsideWindow(Set<String> touched, ReadInfo read, Document changed) {
        if (read.skips() || read.sort() == null || read.sort().size() != 1 || !(touched instanceof Touched known)) {
            return false;
        }
        Map.Entry<String, Object> key = read.sort().entrySet().iterator().next();
        String field = key.getKey();
        if (!(key.getValue() instanceof Integer direction) || (direction != 1 && direction != -1)) {
            return false;
        }
        if (!readable(changed, field)) {
            return false;
        }
        Object amount = known.incs.get(field);
        Object value = changed.get(field);
        BigDecimal by = number(amount);
        BigDecimal current = number(value);
        if (by == null || current == null || by.signum() == 0) {
            return false;
        }
        BigDecimal result = current.add(by);
        if (!fits(value, amount, result)) {
            return false;
        }
        if (direction < 0 ? by.signum() < 0 : by.signum() > 0) {
            return true; // moves away from the window
        }
        List<Document> held = read.documents();
        if (held.isEmpty() || held.size() < read.limit()) {
            return false;
        }
        BigDecimal last = number(held.get(held.size() - 1).get(field));
        if (last == null) {
            return false; // not a number, or projected away: its place in the order is not known
        }
        BigDecimal gap = direction < 0 ? last.subtract(result) : result.subtract(last);
        return gap.compareTo(roundingMargin(value, amount, result, last)) > 0;
    }

    /**
     * How far apart a computed {@code $inc} result and a window's last value must be for the order
     * to be certain: zero when both the field and the amount are integers (MongoDB adds them
     * exactly), otherwise a millionth of a millionth of the larger magnitude, far above the rounding
     * of a double (about 1e-16 relative) or a decimal128 (1e-33).
     */
    private static BigDecimal roundingMargin(Object value, Object amount, BigDecimal result, BigDecimal last) {
        if (integers(value, amount)) {
            return BigDecimal.ZERO;
        }
        return result.abs().max(last.abs()).multiply(RELATIVE_MARGIN).max(ABSOLUTE_MARGIN);
    }

    private static final BigDecimal RELATIVE_MARGIN = new BigDecimal("1e-12");
    /** Near zero, a double's rounding is absolute: nothing smaller is treated as apart. */
    private static final BigDecimal ABSOLUTE_MARGIN = new BigDecimal("1e-300");

    /** Whether a field's value and an {@code $inc} amount are both integers (MongoDB adds them exactly). */
    private static boolean integers(Object value, Object amount) {
        return (value instanceof Integer || value instanceof Long)
                && (amount instanceof Integer || amount instanceof Long);
    }

    /** Whether an integer result stays in the integer type MongoDB keeps (doubles and decimals always do). */
    private static boolean fits(Object value, Object amount, BigDecimal result) {
        if (!integers(value, amount)) {
            return true;
        }
        boolean ints = value instanceof Integer && amount instanceof Integer;
        long min = ints ? Integer.MIN_VALUE : Long.MIN_VALUE;
        long max = ints ? Integer.MAX_VALUE : Long.MAX_VALUE;
        return result.compareTo(BigDecimal.valueOf(min)) >= 0 && result.compareTo(BigDecimal.valueOf(max)) <= 0;
    }

    // ---- write-through: a document after an $inc, computed as MongoDB computes it

    /**
     * The document after an update that changes it only by {@code $inc}s of top-level fields, or
     * null when perfkit cannot be certain of the result: every incremented field must already hold
     * a number of the amount's own type (int and int, long and long, double and double, decimal and
     * decimal), and the sum must be exact in that type: no int or long overflow (MongoDB would widen
     * or fail), no double or decimal that is not finite, no decimal of more than 34 digits or that
     * is zero (the sign and exponent of a decimal zero follow rules of their own). The fields keep
     * their places, as the server keeps them.
     */
    static Document incremented(Document document, Set<String> touched) {
        if (!(touched instanceof Touched known) || known.incs.size() != known.size()) {
            return null; // something else than $inc of top-level fields
        }
        Document next = new Document(document);
        for (Map.Entry<String, Object> inc : known.incs.entrySet()) {
            Object sum = exactSum(document.get(inc.getKey()), inc.getValue());
            if (sum == null) {
                return null;
            }
            next.put(inc.getKey(), sum);
        }
        return next;
    }

    /** {@code value + amount} as MongoDB's {@code $inc} stores it, or null when not certain. */
    static Object exactSum(Object value, Object amount) {
        try {
            if (value instanceof Integer a && amount instanceof Integer b) {
                return Math.addExact(a, b);
            }
            if (value instanceof Long a && amount instanceof Long b) {
                return Math.addExact(a, b);
            }
            if (value instanceof Double a && amount instanceof Double b) {
                double sum = a + b;
                return Double.isFinite(a) && Double.isFinite(b) && Double.isFinite(sum) ? sum : null;
            }
            if (value instanceof Decimal128 a && amount instanceof Decimal128 b) {
                if (a.isNaN() || a.isInfinite() || b.isNaN() || b.isInfinite()) {
                    return null;
                }
                BigDecimal sum = a.bigDecimalValue().add(b.bigDecimalValue()); // throws for -0: not certain
                if (sum.signum() == 0 || sum.precision() > 34) {
                    return null;
                }
                return new Decimal128(sum); // throws when the exponent is out of range
            }
        } catch (ArithmeticException | NumberFormatException e) {
            return null;
        }
        return null;
    }

    /**
     * The one document an update selects, as the cached reads hold it, or null when that is not
     * certain: the write filter must be an equality on a field no two documents share ({@code _id},
     * or a single-field unique index), and the valid, whole (unprojected) documents held must agree
     * on one document with that value, among reads whose documents the cache holds ({@code
     * published}). The caller must also know that no write that could change which document has
     * that value ran meanwhile (CachedCollection tracks those).
     */
    Document knownTarget(
            Document writeFilter,
            Set<String> uniqueFields,
            long now,
            java.util.function.BiPredicate<String, ReadInfo> published) {
        Map.Entry<String, Object> clause = uniqueEquality(writeFilter, uniqueFields);
        if (clause == null) {
            return null;
        }
        String field = clause.getKey();
        Object value = clause.getValue();
        Document found = null;
        List<Map.Entry<String, ReadInfo>> holding = reads.holding(field, value);
        for (Map.Entry<String, ReadInfo> entry : holding != null ? holding : reads.all()) {
            ReadInfo read = entry.getValue();
            if (read.kind() != Kind.FIND || read.partialDocuments() || now - read.expiresAtNanos() >= 0) {
                continue;
            }
            for (Document document : read.documents()) {
                Object held = document.get(field);
                if (held != null
                        && isScalar(held)
                        && certainlyEqual(value, held)
                        && published.test(entry.getKey(), read)) {
                    if (found != null && !found.equals(document)) {
                        return null; // two versions, or two documents: not sure
                    }
                    found = document;
                }
            }
        }
        return found;
    }

    /**
     * Whether a write filter selects {@code document} and no other: one equality on a field no two
     * documents share, whose value the document certainly holds.
     */
    static boolean selectsOnly(Document writeFilter, Set<String> uniqueFields, Document document) {
        Map.Entry<String, Object> clause = uniqueEquality(writeFilter, uniqueFields);
        if (clause == null) {
            return false;
        }
        Object held = document.get(clause.getKey());
        return held != null && isScalar(held) && certainlyEqual(clause.getValue(), held);
    }

    /**
     * The field and value of a write filter that is one equality on a field no two documents share,
     * or null.
     */
    private static Map.Entry<String, Object> uniqueEquality(Document writeFilter, Set<String> uniqueFields) {
        if (writeFilter.size() != 1) {
            return null;
        }
        Map.Entry<String, Object> clause = writeFilter.entrySet().iterator().next();
        String field = clause.getKey();
        Object value = clause.getValue();
        if (value instanceof Map<?, ?> operators && operators.size() == 1 && operators.containsKey("$eq")) {
            value = operators.get("$eq");
        }
        if (!uniqueFields.contains(field) || !isScalar(value)) {
            return null;
        }
        return Map.entry(field, value);
    }

    // ---- last known copies

    /**
     * What a dropped read knew of one document: the copy it held and the wrapper's write sequence
     * when its load started. A field of it is still known as long as no write through the wrapper
     * that may change that field started or ended after that (see CachedCollection), and no write
     * that may change which document holds a unique value ran since.
     */
    private record LastKnown(Document document, long sequence, long expiresAtNanos) {}

    /** A unique field and a value of it, as ReadRegistry.normalized keys it (ints and longs as one long). */
    private record UniqueValue(String field, Object value) {
        static UniqueValue of(String field, Object value) {
            Object normalized = ReadRegistry.normalized(value); // keyed as the read index keys values
            return normalized == null ? null : new UniqueValue(field, normalized); // others: never known
        }
    }

    private final ConcurrentHashMap<UniqueValue, LastKnown> lastKnown = new ConcurrentHashMap<>();

    /**
     * Remembers the documents of a read being dropped, by each unique field they hold: a write that
     * later changes one of them by that field can still tell, from the fields no write has touched
     * since, which reads it cannot concern (a member of another guild). Only whole documents of a
     * published find whose load start is known.
     */
    void rememberDropped(ReadInfo read, Set<String> uniqueFields) {
        if (read.kind() != Kind.FIND || read.partialDocuments() || read.loadSequence() <= 0) {
            return;
        }
        if (lastKnown.size() >= MAX_TRACKED) {
            lastKnown.clear(); // too many to keep: start over (they are only an optimization)
        }
        for (Document document : read.documents()) {
            LastKnown copy = new LastKnown(document, read.loadSequence(), read.expiresAtNanos());
            for (String field : uniqueFields) {
                UniqueValue key = UniqueValue.of(field, document.get(field));
                if (key != null) {
                    lastKnown.merge(key, copy, (old, fresh) -> fresh.sequence() >= old.sequence() ? fresh : old);
                }
            }
        }
    }

    /** Forgets every last known copy (an identity write, an invalidation of everything). */
    void forgetLastKnown() {
        lastKnown.clear();
    }

    /**
     * The last known copy of the one document a write filter selects by a unique field, with the
     * fields still known; null when there is none, it expired, or a write that may change which
     * document holds a unique value started after its load did ({@code identitySequence}).
     *
     * @param touchedSince the write sequence at which a field was last touched (0: never)
     */
    Document lastKnownTarget(
            Document writeFilter,
            Set<String> uniqueFields,
            long now,
            long identitySequence,
            java.util.function.ToLongFunction<String> touchedSince) {
        Map.Entry<String, Object> clause = uniqueEquality(writeFilter, uniqueFields);
        if (clause == null) {
            return null;
        }
        UniqueValue key = UniqueValue.of(clause.getKey(), clause.getValue());
        LastKnown known = key == null ? null : lastKnown.get(key);
        if (known == null || now - known.expiresAtNanos() >= 0 || known.sequence() <= identitySequence) {
            return null;
        }
        long sequence = known.sequence();
        return new KnownFields(known.document(), field -> touchedSince.applyAsLong(field) < sequence);
    }

    /**
     * A copy of a document of which only some top-level fields are known to be current: judging
     * never proves anything from the others ({@link #fieldProvablyFails}, {@link
     * #staysOutsideWindow}).
     */
    static final class KnownFields extends Document {
        private static final long serialVersionUID = 1L;
        private final transient java.util.function.Predicate<String> known;

        KnownFields(Document document, java.util.function.Predicate<String> known) {
            super(document);
            this.known = known;
        }

        boolean knows(String field) {
            return known.test(field);
        }

        @Override
        public boolean equals(Object o) {
            return this == o;
        }

        @Override
        public int hashCode() {
            return System.identityHashCode(this);
        }
    }

    /** Whether judging may read {@code field} of {@code document}: always, unless only some are known. */
    private static boolean readable(Document document, String field) {
        return !(document instanceof KnownFields partial) || partial.knows(field);
    }

    private static boolean certainlyEqual(Object a, Object b) {
        return sameness(a, b) == Sameness.EQUAL;
    }

    /**
     * What every judging starts with, decided without the read's documents: nothing changed, an
     * unknown change, an opaque read, different {@code _id}s, an insert (whose documents are matched
     * against the filter). Null when the rest of the rules must decide.
     */
    private static Boolean settledByFilter(Effect effect, ReadInfo read) {
        switch (effect.kind()) {
            case NONE:
                return false;
            case ALL:
                return true;
            default:
                break;
        }
        if (read.opaque()) {
            return true;
        }
        if (pinsAnotherId(effect, read)) {
            return false;
        }
        if (effect.kind() == EffectKind.INSERT) {
            for (Document document : effect.inserted()) {
                if (!provablyNotMatching(read.filter(), document, false)) {
                    return true;
                }
            }
            return false;
        }
        return null;
    }

    /**
     * Whether an update or delete and a read pin {@code _id} to values that certainly differ: then no
     * document matches both, before or after the write, since {@code _id} is never an array and no
     * update (not even a replacement) changes it. Top-level equality, {@code $eq} and, on the read's
     * side, {@code $in}.
     */
    private static boolean pinsAnotherId(Effect effect, ReadInfo read) {
        if ((effect.kind() != EffectKind.UPDATE && effect.kind() != EffectKind.DELETE) || effect.filter() == null) {
            return false;
        }
        Object written = equalityValue(effect.filter().get("_id"));
        if (written == null || !isScalar(written)) {
            return false;
        }
        Object clause = read.filter().get("_id");
        if (clause instanceof Map<?, ?> operators
                && operators.size() == 1
                && operators.get("$in") instanceof List<?> values) {
            for (Object value : values) {
                if (!isScalar(value) || !certainlyDifferent(written, value)) {
                    return false;
                }
            }
            return true;
        }
        Object value = equalityValue(clause);
        return value != null && isScalar(value) && certainlyDifferent(written, value);
    }

    /** The value of an equality clause ({@code v} or {@code {$eq: v}}), or null. */
    /** The value an equality clause ({@code value} or {@code {$eq: value}}) compares with, or null. */
    static Object equalityValue(Object clause) {
        if (clause instanceof Map<?, ?> operators) {
            return operators.size() == 1 ? operators.get("$eq") : null;
        }
        return clause;
    }

    private static boolean intersects(Set<String> touched, Set<String> fields) {
        for (String field : fields) {
            if (touched.contains(field)) {
                return true;
            }
        }
        return false;
    }

    /** Whether a find's result may hold a document the write filter selects. */
    private static boolean mayHoldMatching(ReadInfo read, Document writeFilter) {
        for (Document document : read.documents()) {
            if (!provablyNotMatching(writeFilter, document, read.partialDocuments())) {
                return true;
            }
        }
        return false;
    }

    // ---- the conservative matcher

    /**
     * True only when the document certainly does not match the filter. {@code partial}: the
     * document may lack fields it has in the database (a projection), so a missing field proves
     * nothing.
     */
    static boolean provablyNotMatching(Document filter, Document document, boolean partial) {
        for (Map.Entry<String, Object> clause : filter.entrySet()) {
            String key = clause.getKey();
            Object condition = clause.getValue();
            if (key.equals("$and") && condition instanceof List<?> all) {
                for (Object sub : all) {
                    if (sub instanceof Document subFilter && provablyNotMatching(subFilter, document, partial)) {
                        return true;
                    }
                }
            } else if (key.equals("$or") && condition instanceof List<?> any && !any.isEmpty()) {
                boolean none = true;
                for (Object sub : any) {
                    if (!(sub instanceof Document subFilter) || !provablyNotMatching(subFilter, document, partial)) {
                        none = false;
                        break;
                    }
                }
                if (none) {
                    return true;
                }
            } else if (!key.startsWith("$") && key.indexOf('.') < 0) {
                if (fieldProvablyFails(condition, document, key, partial)) {
                    return true;
                }
            }
        }
        return false;
    }

    private static boolean fieldProvablyFails(Object condition, Document document, String field, boolean partial) {
        if (!readable(document, field)) {
            return false;
        }
        boolean present = document.containsKey(field);
        if (!present && partial) {
            return false;
        }
        Object value = document.get(field);
        if (condition instanceof Map<?, ?> operators && isOperatorDocument(operators)) {
            for (Map.Entry<?, ?> entry : operators.entrySet()) {
                if (operatorProvablyFails(String.valueOf(entry.getKey()), entry.getValue(), present, value)) {
                    return true;
                }
            }
            return false;
        }
        return equalityProvablyFails(condition, present, value);
    }

    private static boolean isOperatorDocument(Map<?, ?> map) {
        if (map.isEmpty()) {
            return false;
        }
        for (Object key : map.keySet()) {
            if (!String.valueOf(key).startsWith("$")) {
                return false;
            }
        }
        return true;
    }

    private static boolean operatorProvablyFails(String operator, Object operand, boolean present, Object value) {
        switch (operator) {
            case "$eq":
                return equalityProvablyFails(operand, present, value);
            case "$in":
                if (!(operand instanceof List<?> candidates) || candidates.isEmpty()) {
                    return false;
                }
                for (Object candidate : candidates) {
                    if (!equalityProvablyFails(candidate, present, value)) {
                        return false;
                    }
                }
                return true;
            case "$gt":
            case "$gte":
            case "$lt":
            case "$lte":
                return rangeProvablyFails(operator, operand, present, value);
            default:
                return false;
        }
    }

    /** The document's value certainly differs from the literal (or the field is missing and the literal is not null). */
    private static boolean equalityProvablyFails(Object literal, boolean present, Object value) {
        if (!isScalar(literal)) {
            return false;
        }
        if (!present) {
            return true; // a missing field matches only null, and the literal is not null
        }
        if (!isScalar(value)) {
            return false; // arrays match element-wise; documents and nulls are not reasoned about
        }
        return certainlyDifferent(literal, value);
    }

    private static boolean rangeProvablyFails(String operator, Object bound, boolean present, Object value) {
        BigDecimal limit = number(bound);
        if (limit == null) {
            return false;
        }
        if (!present) {
            return true; // a missing field matches no numeric range
        }
        if (mixesDecimalAndBinary(bound, value)) {
            return false;
        }
        BigDecimal actual = number(value);
        if (actual == null) {
            // a scalar of another type never satisfies a numeric range (MongoDB compares within a type)
            return isScalar(value) && !(value instanceof Number) && !(value instanceof Decimal128);
        }
        int order = actual.compareTo(limit);
        return switch (operator) {
            case "$gt" -> order <= 0;
            case "$gte" -> order < 0;
            case "$lt" -> order >= 0;
            case "$lte" -> order > 0;
            default -> false;
        };
    }

    /** Types the matcher reasons about; everything else (null, arrays, documents, regexes, ...) is not. */
    private static boolean isScalar(Object value) {
        return value instanceof String
                || value instanceof Boolean
                || value instanceof ObjectId
                || value instanceof Date
                || number(value) != null;
    }

    private static boolean certainlyDifferent(Object a, Object b) {
        return sameness(a, b) == Sameness.DIFFERENT;
    }

    private enum Sameness {
        EQUAL,
        DIFFERENT,
        UNSURE
    }

    /** How two scalars compare as MongoDB compares them, or UNSURE where perfkit does not reason. */
    private static Sameness sameness(Object a, Object b) {
        if (mixesDecimalAndBinary(a, b)) {
            return Sameness.UNSURE; // how the server rounds between decimal and binary floating point
        }
        BigDecimal x = number(a);
        BigDecimal y = number(b);
        if (x != null || y != null) { // numbers equal across int/long/double/decimal, never another type
            return x != null && y != null && x.compareTo(y) == 0 ? Sameness.EQUAL : Sameness.DIFFERENT;
        }
        if (a.getClass() != b.getClass()) {
            return Sameness.DIFFERENT; // string, boolean, ObjectId, date never equal across types
        }
        return a.equals(b) ? Sameness.EQUAL : Sameness.DIFFERENT;
    }

    private static boolean mixesDecimalAndBinary(Object a, Object b) {
        boolean binaryA = a instanceof Double || a instanceof Float;
        boolean binaryB = b instanceof Double || b instanceof Float;
        return (a instanceof Decimal128 && binaryB) || (b instanceof Decimal128 && binaryA);
    }

    /** A finite number as a BigDecimal, or null (not a number, NaN or infinite). */
    private static BigDecimal number(Object value) {
        if (value instanceof Integer || value instanceof Long) {
            return BigDecimal.valueOf(((Number) value).longValue());
        }
        if (value instanceof Double || value instanceof Float) {
            double d = ((Number) value).doubleValue();
            return Double.isFinite(d) ? new BigDecimal(d) : null;
        }
        if (value instanceof Decimal128 decimal) {
            if (decimal.isNaN() || decimal.isInfinite()) {
                return null;
            }
            try {
                return decimal.bigDecimalValue();
            } catch (ArithmeticException negativeZero) {
                return BigDecimal.ZERO;
            }
        }
        return null;
    }
}
