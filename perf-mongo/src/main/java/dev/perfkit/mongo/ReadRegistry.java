package dev.perfkit.mongo;

import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.locks.ReadWriteLock;
import java.util.concurrent.locks.ReentrantReadWriteLock;
import org.bson.Document;
import org.bson.types.ObjectId;

/*
 * The registered reads of a ReadIndex, and an index that tells a write which of them it must judge.
 *
 * Judging every registered read on every write cost each write time in proportion to the reads
 * cached: measured on the embedded server, an updateOne by user_id took 0.2 ms plain and 3 ms
 * through the wrapper with 10,000 single-user reads cached, almost all of it spent visiting reads
 * the write could not concern. The index narrows a write down to the reads it may affect; the rules
 * themselves (ReadIndex.affects) still judge each of those, unchanged.
 *
 * It serves the commonest writes: an update (by named fields) or a delete whose filter pins one
 * top-level field to a number (int or long), string, ObjectId or boolean, like {user_id: 42} or
 * {_id: id}, and inserts. Other writes (replacements, filters without such a pin) still visit
 * every read. For such an update or delete W on field F with value u, a read it does not list is
 * one that ReadIndex would judge unaffected:
 *
 * - a read that names a field W touches (in its filter, sort or distinct field) is listed (bucket
 *   ROOT of that field): those rules do not depend on documents;
 * - reads the rules judge without documents, or cannot judge by them, are always listed: opaque
 *   reads, aggregations, finds whose documents are unknown or include a last known copy (and, for
 *   a delete, every read but a find, and finds with a skip);
 * - any other find is listed if it holds a document whose F is u (bucket HELD of F and u, numbers
 *   of both integer types as one long) or whose F is something else than such a plain value
 *   (bucket UNKNOWN of F: an array, a document, a double, a decimal, a date, null, or nothing in a
 *   projected document). A whole document without F, or one with another plain value there,
 *   provably does not match W's filter, so the rules find that the find holds no document W may
 *   select: with no field of it touched, unaffected.
 *
 * An insert is judged by the reads' filters alone. Each read is listed under the first top-level
 * clause of its filter that pins a field to such a value (bucket PIN of the field and value, and
 * PIN_FIELD of the field), or, when none does, as ALWAYS_ON_INSERT. An insert lists, for each field
 * some read is pinned on, the reads pinned to each new document's value (all of PIN_FIELD when the
 * value is not a plain one; none when the document lacks the field, which then matches no pinned
 * value), and ALWAYS_ON_INSERT.
 *
 * Documents are indexed by the fields writes have pinned so far ("watched", _id from the start, at
 * most MAX_WATCHED). The first write that pins a new field visits every read, as before, and
 * indexes their documents by that field, under the write lock, so that no registration can slip
 * between; from then on every registration indexes it too. A field is used only once it is ready.
 *
 * Concurrency: a registration indexes its read before the read becomes visible in the map, and a
 * read leaves the index only after it has left the map (each entry is a Token, compared by identity,
 * so that removing an old read of a key never removes the index entries of its successor). A listed
 * Token whose key now maps to another Token is skipped: its successor is listed where it belongs.
 * Registrations and removals hold the read lock (they never block each other); adding a watched
 * field holds the write lock.
 */
final class ReadRegistry {
    /** At most this many fields are indexed; writes pinning others visit every read. */
    static final int MAX_WATCHED = 8;

    /** One registered read: its key and the very ReadInfo, and the buckets it is listed in. */
    static final class Token {
        final String key;
        final ReadIndex.ReadInfo info;
        /** Written only under the write lock (a new watched field) or before publication. */
        private List<Bucket> buckets;

        private Token(String key, ReadIndex.ReadInfo info, List<Bucket> buckets) {
            this.key = key;
            this.info = info;
            this.buckets = List.copyOf(buckets);
        }
    }

    private enum BucketKind {
        ROOT,
        HELD,
        UNKNOWN,
        ALWAYS,
        ALWAYS_ON_DELETE,
        /** Reads whose filter pins a field to a value (by one such clause). */
        PIN,
        /** Every read with a PIN on a field. */
        PIN_FIELD,
        /** Reads whose filter pins nothing the index keys: judged on every insert. */
        ALWAYS_ON_INSERT
    }

    /** An index bucket: a kind, a field and, for HELD, a normalized value. */
    private record Bucket(BucketKind kind, String field, Object value) {}

    private static final Bucket ALWAYS = new Bucket(BucketKind.ALWAYS, "", "");
    private static final Bucket ALWAYS_ON_DELETE = new Bucket(BucketKind.ALWAYS_ON_DELETE, "", "");
    private static final Bucket ALWAYS_ON_INSERT = new Bucket(BucketKind.ALWAYS_ON_INSERT, "", "");

    private final ConcurrentHashMap<String, Token> reads = new ConcurrentHashMap<>();
    /**
     * Bucket to its reads: one Token alone (most HELD buckets: one member's reads), or a set of
     * them. A set per bucket cost about 200 bytes more per read with 10,000 reads cached.
     */
    private final ConcurrentHashMap<Bucket, Object> buckets = new ConcurrentHashMap<>();

    private final ReadWriteLock lock = new ReentrantReadWriteLock();
    /** Fields whose values documents are indexed by; changed only under the write lock. */
    private volatile Set<String> watched = Set.of("_id");
    /** Fields some read's filter has been PINned on; only grows, and before such a read is indexed. */
    private final Set<String> pinFields = ConcurrentHashMap.newKeySet();

    // ---- the map of reads

    /** The read registered for a key, or null. */
    ReadIndex.ReadInfo get(String key) {
        Token token = reads.get(key);
        return token == null ? null : token.info;
    }

    int size() {
        return reads.size();
    }

    /** Registers a read, replacing any other of its key. */
    void register(String key, ReadIndex.ReadInfo info) {
        lock.readLock().lock();
        try {
            Token token = new Token(key, info, bucketsOf(info, watched));
            index(token, token.buckets);
            Token previous = reads.put(key, token);
            if (previous != null) {
                unindex(previous);
            }
        } finally {
            lock.readLock().unlock();
        }
    }

    /** Removes the read of a key if it is still this very instance. */
    @SuppressWarnings("ReferenceEquality") // by identity: a record equal in content is another read
    boolean unregister(String key, ReadIndex.ReadInfo info) {
        lock.readLock().lock();
        try {
            Token token = reads.get(key);
            if (token == null || token.info != info || !reads.remove(key, token)) {
                return false;
            }
            unindex(token);
            return true;
        } finally {
            lock.readLock().unlock();
        }
    }

    /** Replaces the read of a key if it is still this very instance ({@code expected}). */
    @SuppressWarnings("ReferenceEquality") // by identity, as unregister
    boolean replace(String key, ReadIndex.ReadInfo expected, ReadIndex.ReadInfo replacement) {
        lock.readLock().lock();
        try {
            Token current = reads.get(key);
            if (current == null || current.info != expected) {
                return false;
            }
            Token token = new Token(key, replacement, bucketsOf(replacement, watched));
            index(token, token.buckets);
            if (!reads.replace(key, current, token)) {
                unindex(token);
                return false;
            }
            unindex(current);
            return true;
        } finally {
            lock.readLock().unlock();
        }
    }

    /** Removes every read registered when it runs (one registered meanwhile may stay). */
    void clear() {
        lock.readLock().lock();
        try {
            for (Token token : reads.values()) {
                if (reads.remove(token.key, token)) {
                    unindex(token);
                }
            }
        } finally {
            lock.readLock().unlock();
        }
    }

    /**
     * Removes the reads whose TTL has passed when it runs (their cache entries are gone too); returns
     * how many. Writes judge only the reads they may affect, so they do not meet every expired one.
     */
    int removeExpired(long now) {
        int removed = 0;
        for (Token token : reads.values()) {
            if (now - token.info.expiresAtNanos() >= 0 && unregister(token.key, token.info)) {
                removed++;
            }
        }
        return removed;
    }

    /** Every registered read, as key and ReadInfo (weakly consistent, like the map's views). */
    List<Map.Entry<String, ReadIndex.ReadInfo>> all() {
        List<Map.Entry<String, ReadIndex.ReadInfo>> all = new ArrayList<>(reads.size());
        for (Token token : reads.values()) {
            all.add(Map.entry(token.key, token.info));
        }
        return all;
    }

    // ---- what a write must judge

    /**
     * The reads these changes may affect, a superset of those ReadIndex#affects judges affected;
     * null when some change is not one the index serves (then every read must be judged).
     */
    List<Map.Entry<String, ReadIndex.ReadInfo>> candidates(List<ReadIndex.Effect> changes) {
        Set<Bucket> wanted = new HashSet<>();
        for (ReadIndex.Effect change : changes) {
            if (change.kind() == ReadIndex.EffectKind.INSERT) {
                addInsertBuckets(change.inserted(), wanted);
                continue;
            }
            boolean update = change.kind() == ReadIndex.EffectKind.UPDATE && change.touched() != null;
            if (!update && change.kind() != ReadIndex.EffectKind.DELETE) {
                return null;
            }
            Map.Entry<String, Object> pin = pin(change.filter());
            if (pin == null) {
                return null;
            }
            String field = pin.getKey();
            wanted.add(new Bucket(BucketKind.HELD, field, pin.getValue()));
            wanted.add(new Bucket(BucketKind.UNKNOWN, field, ""));
            if (update) {
                wanted.add(ALWAYS);
                for (String touched : change.touched()) {
                    wanted.add(new Bucket(BucketKind.ROOT, touched, ""));
                }
            } else {
                wanted.add(ALWAYS_ON_DELETE);
            }
        }
        Set<Token> listed = Collections.newSetFromMap(new IdentityHashMap<>());
        List<Map.Entry<String, ReadIndex.ReadInfo>> candidates = new ArrayList<>();
        for (Bucket bucket : wanted) {
            collect(bucket, listed, candidates);
        }
        return candidates;
    }

    /**
     * The reads an insert may affect: those whose filter pins nothing the index keys, and, for each
     * field reads are pinned on, those pinned to a new document's value (all of them when that value
     * is not one the index keys). A read pinned to another value, or on a field the new document
     * lacks, provably does not match it.
     */
    private void addInsertBuckets(List<Document> inserted, Set<Bucket> wanted) {
        wanted.add(ALWAYS_ON_INSERT);
        for (Document document : inserted) {
            for (String field : pinFields) {
                if (!document.containsKey(field)) {
                    continue;
                }
                Object normalized = normalized(document.get(field));
                wanted.add(
                        normalized != null
                                ? new Bucket(BucketKind.PIN, field, normalized)
                                : new Bucket(BucketKind.PIN_FIELD, field, ""));
            }
        }
    }

    /**
     * The reads that may hold a document whose {@code field} is {@code value} (a superset), or null
     * when the index cannot tell (then every read must be looked at).
     */
    List<Map.Entry<String, ReadIndex.ReadInfo>> holding(String field, Object value) {
        Object normalized = normalized(value);
        if (normalized == null || !watched.contains(field)) {
            return null;
        }
        List<Map.Entry<String, ReadIndex.ReadInfo>> found = new ArrayList<>();
        Set<Token> listed = Collections.newSetFromMap(new IdentityHashMap<>());
        for (Bucket bucket : List.of(
                new Bucket(BucketKind.HELD, field, normalized), new Bucket(BucketKind.UNKNOWN, field, ""), ALWAYS)) {
            collect(bucket, listed, found);
        }
        return found;
    }

    /** Adds the live reads of a bucket not listed yet. */
    private void collect(Bucket bucket, Set<Token> listed, List<Map.Entry<String, ReadIndex.ReadInfo>> into) {
        Object value = buckets.get(bucket);
        if (value instanceof Token token) {
            addIfLive(token, listed, into);
        } else if (value != null) {
            for (Token token : tokensOf(value)) {
                addIfLive(token, listed, into);
            }
        }
    }

    /** A replaced or removed read is skipped: its successor is listed where it belongs. */
    private void addIfLive(Token token, Set<Token> listed, List<Map.Entry<String, ReadIndex.ReadInfo>> into) {
        if (reads.get(token.key) == token && listed.add(token)) {
            into.add(Map.entry(token.key, token.info));
        }
    }

    @SuppressWarnings("unchecked")
    private static Set<Token> tokensOf(Object bucketValue) {
        return (Set<Token>) bucketValue;
    }

    /**
     * The field and normalized value a write filter pins, on a watched field (watching a new one if
     * there is room), or null.
     */
    private Map.Entry<String, Object> pin(Document filter) {
        if (filter == null) {
            return null;
        }
        Map.Entry<String, Object> candidate = null;
        for (Map.Entry<String, Object> clause : filter.entrySet()) {
            Object normalized = pinnedValue(clause);
            if (normalized == null) {
                continue;
            }
            String field = clause.getKey();
            if (watched.contains(field)) {
                return Map.entry(field, normalized);
            }
            if (candidate == null) {
                candidate = Map.entry(field, normalized);
            }
        }
        return candidate != null && watch(candidate.getKey()) ? candidate : null;
    }

    /**
     * Starts indexing documents by a field: every registered read's documents now, then every new
     * registration's. False when MAX_WATCHED fields are watched already.
     */
    private boolean watch(String field) {
        lock.writeLock().lock();
        try {
            if (watched.contains(field)) {
                return true;
            }
            if (watched.size() >= MAX_WATCHED) {
                return false;
            }
            for (Token token : reads.values()) {
                List<Bucket> more = heldBuckets(token.info, field);
                if (!more.isEmpty()) {
                    index(token, more);
                    List<Bucket> all = new ArrayList<>(token.buckets);
                    all.addAll(more);
                    token.buckets = List.copyOf(all);
                }
            }
            Set<String> next = new HashSet<>(watched);
            next.add(field);
            watched = Set.copyOf(next); // published last: the field is used only once indexed
            return true;
        } finally {
            lock.writeLock().unlock();
        }
    }

    // ---- buckets

    private List<Bucket> bucketsOf(ReadIndex.ReadInfo info, Set<String> fields) {
        List<Bucket> list = new ArrayList<>();
        // For inserts, by the filter alone (as ReadIndex judges them), whatever the read's kind.
        Map.Entry<String, Object> pin = info.opaque() ? null : filterPin(info.filter());
        if (pin == null) {
            list.add(ALWAYS_ON_INSERT);
        } else {
            pinFields.add(pin.getKey()); // before the read is indexed: see addInsertBuckets
            list.add(new Bucket(BucketKind.PIN, pin.getKey(), pin.getValue()));
            list.add(new Bucket(BucketKind.PIN_FIELD, pin.getKey(), ""));
        }
        boolean find = info.kind() == ReadIndex.Kind.FIND;
        if (info.opaque() || info.kind() == ReadIndex.Kind.AGGREGATE || (find && !judgedByDocuments(info))) {
            list.add(ALWAYS);
            list.add(ALWAYS_ON_DELETE);
            return list;
        }
        if (!find || info.skips()) {
            list.add(ALWAYS_ON_DELETE); // a delete affects counts and distincts, and shifts windows
        }
        addRoots(list, info.filterRoots());
        addRoots(list, info.sortRoots());
        if (info.distinctRoot() != null) {
            list.add(new Bucket(BucketKind.ROOT, info.distinctRoot(), ""));
        }
        if (find) {
            for (String field : fields) {
                list.addAll(heldBuckets(info, field));
            }
        }
        return list;
    }

    /**
     * The first top-level clause of a read's filter that pins a field to a value the index keys
     * ({@code field: value} or {@code field: {$eq: value}}), normalized, or null.
     */
    private static Map.Entry<String, Object> filterPin(Document filter) {
        if (filter == null) {
            return null;
        }
        for (Map.Entry<String, Object> clause : filter.entrySet()) {
            Object normalized = pinnedValue(clause);
            if (normalized != null) {
                return Map.entry(clause.getKey(), normalized);
            }
        }
        return null;
    }

    /** The normalized value a top-level clause pins its field to, or null. */
    private static Object pinnedValue(Map.Entry<String, Object> clause) {
        String field = clause.getKey();
        if (field.startsWith("$") || field.indexOf('.') >= 0) {
            return null;
        }
        return normalized(ReadIndex.equalityValue(clause.getValue()));
    }

    /**
     * Whether the documents of a find are all known (a projection's are too: a field they lack then
     * proves nothing, see heldBuckets) and none is a last known copy, which vouches for some fields
     * only.
     */
    private static boolean judgedByDocuments(ReadIndex.ReadInfo info) {
        if (info.documents() == null) {
            return false;
        }
        for (Document document : info.documents()) {
            if (document instanceof ReadIndex.KnownFields) {
                return false;
            }
        }
        return true;
    }

    private static void addRoots(List<Bucket> list, Set<String> roots) {
        if (roots != null) {
            for (String root : roots) {
                list.add(new Bucket(BucketKind.ROOT, root, ""));
            }
        }
    }

    /** The HELD and UNKNOWN buckets of a find's documents for one field (none for other reads). */
    private static List<Bucket> heldBuckets(ReadIndex.ReadInfo info, String field) {
        if (info.kind() != ReadIndex.Kind.FIND || info.opaque() || !judgedByDocuments(info)) {
            return List.of(); // listed as ALWAYS, or judged without documents
        }
        Set<Bucket> set = new HashSet<>();
        for (Document document : info.documents()) {
            if (!document.containsKey(field)) {
                if (info.partialDocuments()) {
                    set.add(new Bucket(BucketKind.UNKNOWN, field, "")); // projected away: may be anything
                }
                continue; // a missing field matches no pinned value
            }
            Object normalized = normalized(document.get(field));
            set.add(
                    normalized != null
                            ? new Bucket(BucketKind.HELD, field, normalized)
                            : new Bucket(BucketKind.UNKNOWN, field, ""));
        }
        return new ArrayList<>(set);
    }

    /**
     * A plain value as the index keys it, or null for values it does not key: ints and longs as one
     * Long (MongoDB finds 7 and 7L equal), strings, ObjectIds and booleans as they are, which equal
     * each other exactly when MongoDB finds them equal.
     */
    static Object normalized(Object value) {
        if (value instanceof Integer || value instanceof Long) {
            return ((Number) value).longValue();
        }
        if (value instanceof String || value instanceof ObjectId || value instanceof Boolean) {
            return value;
        }
        return null;
    }

    private void index(Token token, List<Bucket> list) {
        for (Bucket bucket : list) {
            buckets.compute(bucket, (key, value) -> {
                if (value == null) {
                    return token;
                }
                Set<Token> set;
                if (value instanceof Token alone) {
                    set = ConcurrentHashMap.newKeySet();
                    set.add(alone);
                } else {
                    set = tokensOf(value);
                }
                set.add(token);
                return set;
            });
        }
    }

    private void unindex(Token token) {
        for (Bucket bucket : token.buckets) {
            buckets.computeIfPresent(bucket, (key, value) -> {
                if (value instanceof Token alone) {
                    return alone == token ? null : alone;
                }
                Set<Token> set = tokensOf(value);
                set.remove(token);
                return set.isEmpty() ? null : set;
            });
        }
    }

    /** How many buckets the index holds (for tests: it must not grow without reads). */
    int bucketCount() {
        return buckets.size();
    }
}
