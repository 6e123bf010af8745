package dev.perfkit.mongo;

import static java.util.Objects.requireNonNull;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import com.mongodb.MongoClientSettings;
import com.mongodb.MongoNamespace;
import com.mongodb.bulk.BulkWriteResult;
import com.mongodb.client.FindIterable;
import com.mongodb.client.MongoCollection;
import com.mongodb.client.model.BulkWriteOptions;
import com.mongodb.client.model.Collation;
import com.mongodb.client.model.DeleteManyModel;
import com.mongodb.client.model.DeleteOneModel;
import com.mongodb.client.model.FindOneAndDeleteOptions;
import com.mongodb.client.model.FindOneAndReplaceOptions;
import com.mongodb.client.model.FindOneAndUpdateOptions;
import com.mongodb.client.model.InsertManyOptions;
import com.mongodb.client.model.InsertOneModel;
import com.mongodb.client.model.InsertOneOptions;
import com.mongodb.client.model.ReplaceOneModel;
import com.mongodb.client.model.ReplaceOptions;
import com.mongodb.client.model.UpdateManyModel;
import com.mongodb.client.model.UpdateOneModel;
import com.mongodb.client.model.UpdateOptions;
import com.mongodb.client.model.WriteModel;
import com.mongodb.client.result.DeleteResult;
import com.mongodb.client.result.InsertManyResult;
import com.mongodb.client.result.InsertOneResult;
import com.mongodb.client.result.UpdateResult;
import dev.perfkit.cache.QueryCache;
import dev.perfkit.internal.Durations;
import dev.perfkit.internal.QueryLimits;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Collections;
import java.util.Comparator;
import java.util.Date;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedDeque;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.Function;
import java.util.function.Supplier;
import org.bson.BsonDocument;
import org.bson.ByteBuf;
import org.bson.Document;
import org.bson.RawBsonDocument;
import org.bson.codecs.BsonDocumentCodec;
import org.bson.codecs.DocumentCodec;
import org.bson.conversions.Bson;
import org.bson.types.ObjectId;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A collection whose reads go through a {@link QueryCache} and whose writes invalidate it — the
 * seeds' "smart caching". Create one with {@link MongoPerf#cached(MongoCollection, Duration)}.
 *
 * <pre>{@code
 * CachedCollection<Document> accounts = MongoPerf.cached(db.getCollection("accounts"), Duration.ofSeconds(30));
 * List<Document> top = accounts.find(eq("guild_id", 42), descending("balance"), 10);   // cached
 * accounts.updateOne(eq("_id", id), inc("balance", 5));                              // invalidates
 * }</pre>
 *
 * <p><b>Consistency.</b> Reads are cached under a canonical key: the {@linkplain
 * MongoQueryOptimizer optimized} filter, projection, sort, skip and limit, so equivalent filters
 * share an entry. A repeated read finds that key by its structure, without serializing the filter
 * or running the optimizer again (values it does not know, such as a regex, take the slow path).
 * Before a write through this wrapper returns, every cached read it may have changed is invalidated:
 * precisely for collections of {@code Document} (see docs/mongo.md for the rules), all of the
 * collection's reads for other classes, and all of them when a write fails (a failed bulk write may
 * have applied in part). A read that was loading while the write happened is cached only when its
 * filter, or once loaded its documents, show the write cannot have changed it (docs/mongo.md): a
 * read after a write through the wrapper never sees data from before the write. Writes made elsewhere —
 * another wrapper instance, another process, the shell — show once the entries expire after {@code
 * ttl}, or, on a replica set, once their change event is applied ({@link #watchChanges()}).
 *
 * <p><b>Scope.</b> Each wrapper's entries are its own (the key carries a number unique to the
 * wrapper, its document class, read preference and read concern): two clients on different servers
 * never read each other's documents from a shared cache. Create one wrapper per collection and keep
 * it.
 *
 * <p><b>Shared results.</b> Results are shared between callers and cannot be changed: lists are
 * unmodifiable and {@code Document}s are {@link ReadOnlyDocument}s, read-only all the way down
 * (frozen once per load, no cost per hit). Other document classes are returned as decoded: use
 * records (immutable) or treat them as read-only. Thread-safe.
 *
 * @param <T> the document type
 */
public final class CachedCollection<T> {
    private static final Logger log = LoggerFactory.getLogger(CachedCollection.class);

    private static final DocumentCodec DOCUMENT_CODEC =
            new DocumentCodec(MongoClientSettings.getDefaultCodecRegistry());
    private static final BsonDocumentCodec BSON_DOCUMENT_CODEC = new BsonDocumentCodec();

    private final MongoCollection<T> collection;
    private final QueryCache cache;
    private final Duration ttl;
    private static final AtomicLong SCOPES = new AtomicLong();
    private static final Set<String> UNCACHEABLE_STAGES = Set.of(
            "$out",
            "$merge",
            "$lookup",
            "$graphLookup",
            "$unionWith",
            "$sample",
            "$currentOp",
            "$collStats",
            "$indexStats",
            "$listSessions",
            "$listLocalSessions",
            "$planCacheStats",
            "$changeStream");
    /**
     * Bounds of the read structures remembered per wrapper: as many as the cache holds entries, within
     * these; a forgotten one is resolved again (slower, same key). Below the cache's size, a bot
     * reading more distinct documents than this would resolve every hit again.
     */
    private static final int MIN_RESOLVED = 1_024;

    private static final int MAX_RESOLVED = 262_144;

    private final String prefix;
    /** Every wrapper's entries for this namespace, in every process: what a write drops when the cache is shared. */
    private final String namespacePrefix;

    private final boolean sharedCache;
    private final boolean readOnlyDocuments;
    private final boolean precise;
    private final long indexTtlNanos;
    private final ReadIndex index = new ReadIndex();
    /**
     * Writes through this wrapper that may change which document holds a unique value (inserts,
     * deletes, replacements, upserts, updates naming a unique field): how many run now, and a count
     * of their starts and ends. An update judged while none ran beside it may use the cached copy of
     * the document it names by a unique field (ReadIndex.knownTarget).
     */
    private final AtomicInteger identityWritesRunning = new AtomicInteger();

    private final AtomicLong identityWriteEvents = new AtomicLong();
    /** The collection's unique single-field indexes, as last listed (see uniqueFields()). */
    private volatile UniqueFields uniqueFields;
    /** Read structure to canonical key; see {@link #resolve}. Maintenance runs on the caller. */
    private final Cache<ReadKey, Resolved> resolved;

    CachedCollection(MongoCollection<T> collection, Duration ttl, QueryCache cache) {
        this.collection = requireNonNull(collection, "collection");
        this.ttl = Durations.checkNonNegative("ttl", ttl);
        this.cache = requireNonNull(cache, "cache");
        this.resolved = Caffeine.newBuilder()
                .maximumSize(Math.max(MIN_RESOLVED, Math.min(MAX_RESOLVED, cache.getMaxSize())))
                .executor(Runnable::run)
                .build();
        MongoNamespace namespace = collection.getNamespace();
        // NUL cannot occur in a MongoDB namespace, so one collection's prefix never matches another's.
        // The scope number makes each wrapper's entries its own: a MongoCollection does not say which
        // client (cluster) it belongs to, and two servers with the same database and collection
        // names must never read each other's documents from a shared cache. The document class,
        // read preference and read concern that shape the results are in the prefix too.
        // A shared cache (Redis) is shared by the processes of one bot, which read one deployment:
        // there the scope is the same in every process, so they share entries; name the cache per
        // deployment (docs/redis.md).
        this.prefix = "mongo:" + namespace.getFullName() + '\u0000'
                + (cache.isShared() ? "shared" : String.valueOf(SCOPES.incrementAndGet())) + ':'
                + collection.getDocumentClass().getName() + ':'
                + collection.getReadPreference().getName() + ':'
                + collection.getReadConcern().asDocument().toJson() + '\u0000';
        this.namespacePrefix = "mongo:" + namespace.getFullName() + '\u0000';
        this.sharedCache = cache.isShared();
        this.readOnlyDocuments = collection.getDocumentClass() == Document.class;
        this.precise = readOnlyDocuments;
        // The index must know a read at least as long as the cache may hold it.
        this.indexTtlNanos = ttl.plusMinutes(1).toNanos();
    }

    /**
     * Starts a find, through the cache, shaped like the driver's {@code FindIterable}: add {@code
     * projection}, {@code sort}, {@code skip}, {@code limit}, then take {@code first()}, {@code
     * toList()} or iterate.
     *
     * @param filter the filter
     * @return the find; nothing runs until a result is asked for
     * @throws NullPointerException if {@code filter} is null
     */
    public CachedFind<T> find(Bson filter) {
        requireNonNull(filter, "filter");
        return new CachedFind<>(this, filter, null, null, 0, 0);
    }

    /**
     * Finds matching documents in order, through the cache.
     *
     * @param filter the filter
     * @param sort the sort, or null for none
     * @param limit the most documents to return, 0 for no limit
     * @return the documents, unmodifiable
     * @throws NullPointerException if {@code filter} is null
     * @throws IllegalArgumentException if {@code limit} is negative
     */
    public List<T> find(Bson filter, Bson sort, int limit) {
        requireNonNull(filter, "filter");
        if (limit < 0) {
            throw new IllegalArgumentException("limit must not be negative: " + limit);
        }
        return load(filter, null, sort, 0, limit);
    }

    /** The cached read behind every find: one entry per (filter, projection, sort, skip, limit). */
    @SuppressWarnings("unchecked")
    List<T> load(Bson filter, Bson projection, Bson sort, int skip, int limit) {
        Resolved read = resolve(ReadKey.Kind.FIND, null, null, filter, projection, sort, skip, limit);
        return (List<T>) cache.getOrLoad(read.cacheKey(), ttl, read.loader());
    }

    /** Runs a find: the query behind a FIND read's loader. */
    private List<T> runFind(Bson filter, Bson projection, Bson sort, int skip, int limit) {
        FindIterable<T> found = collection.find(filter);
        if (projection != null) {
            found = found.projection(projection);
        }
        if (sort != null) {
            found = found.sort(sort);
        }
        if (skip > 0) {
            found = found.skip(skip);
        }
        if (limit > 0) {
            found = found.limit(limit);
        }
        return freeze(found.into(new ArrayList<>()));
    }

    /**
     * A read's canonical cache key, with the parts to run it with. A repeated read is found by its
     * structure ({@link ReadKey}: no JSON, no optimizer); the first time, the key is built from the
     * optimized filter's BSON bytes and remembered against a private copy of the read's parts, which
     * are also what the query then runs with (a caller changing their filter meanwhile cannot make
     * a key and its results disagree).
     */
    private Resolved resolve(
            ReadKey.Kind kind,
            String field,
            Class<?> resultClass,
            Bson filter,
            Bson projection,
            Bson sort,
            int skip,
            int limit) {
        ReadKey probe = ReadKey.probe(kind, field, resultClass, filter, projection, sort, skip, limit);
        if (probe != null) {
            Resolved known = lookUp(probe);
            if (known != null) {
                return known;
            }
            ReadKey frozen = probe.frozen();
            if (frozen != null) {
                Resolved fresh = canonical(
                        kind, field, resultClass, frozen.filter(), frozen.projection(), frozen.sort(), skip, limit);
                resolved.put(frozen, fresh);
                return fresh;
            }
        }
        return canonical(kind, field, resultClass, filter, projection, sort, skip, limit);
    }

    /**
     * A known read structure. Most lookups are quiet: recording every read in Caffeine's buffers cost
     * about a tenth of a cached hit (the hit itself is counted by the query cache). One in eight is
     * recorded, so that the structures read most stay the ones Caffeine keeps when this map is full.
     */
    private Resolved lookUp(ReadKey probe) {
        return (ThreadLocalRandom.current().nextInt() & RECORD_ONE_IN_MASK) == 0
                ? resolved.getIfPresent(probe)
                : resolved.policy().getIfPresentQuietly(probe);
    }

    private static final int RECORD_ONE_IN_MASK = 7;

    /** The canonical key: the optimized filter, projection and sort as BSON bytes (the slow path). */
    private Resolved canonical(
            ReadKey.Kind kind,
            String field,
            Class<?> resultClass,
            Bson filter,
            Bson projection,
            Bson sort,
            int skip,
            int limit) {
        Document optimized = MongoQueryOptimizer.optimizeQuery(filter);
        String key =
                switch (kind) {
                    case FIND ->
                        prefix + "find:" + bsonKey(keyForm(optimized)) + ':'
                                + (projection == null ? "" : bsonKey(projection)) + ':'
                                + (sort == null ? "" : bsonKey(sort)) + ':' + skip + ':' + limit;
                    case COUNT -> prefix + "count:" + bsonKey(keyForm(optimized));
                    case DISTINCT ->
                        prefix + "distinct:" + resultClass.getName() + ':' + field + '\u0000'
                                + bsonKey(keyForm(optimized));
                };
        // Built once per distinct read, so that a hit allocates no loader of its own.
        Supplier<Object> loader =
                switch (kind) {
                    case FIND ->
                        () -> tracked(
                                key,
                                List.of(),
                                () -> runFind(filter, projection, sort, skip, limit),
                                documents -> ReadIndex.find(
                                        optimized,
                                        sort == null ? null : MongoQueryOptimizer.toDocument(sort),
                                        projection == null ? null : MongoQueryOptimizer.toDocument(projection),
                                        skip,
                                        limit,
                                        asDocuments(documents),
                                        indexTtlNanos));
                    case COUNT ->
                        () -> tracked(
                                key,
                                0L,
                                () -> collection.countDocuments(filter),
                                n -> ReadIndex.count(optimized, indexTtlNanos));
                    case DISTINCT ->
                        () -> tracked(
                                key,
                                List.of(),
                                () -> distinctValues(field, filter, resultClass),
                                values -> ReadIndex.distinct(field, optimized, indexTtlNanos));
                };
        return new Resolved(key, optimized, loader);
    }

    /** The documents of a find, as Documents: precise invalidation runs only for Document collections. */
    @SuppressWarnings("unchecked")
    private static List<Document> asDocuments(List<?> documents) {
        return (List<Document>) documents;
    }

    /** Distinct values, unmodifiable; they may include null, so no List.copyOf. */
    private <R> List<R> distinctValues(String field, Bson filter, Class<R> resultClass) {
        return Collections.unmodifiableList(
                collection.distinct(field, filter, resultClass).into(new ArrayList<>()));
    }

    /** How many read structures this wrapper remembers (for tests). */
    long resolvedReads() {
        resolved.cleanUp();
        return resolved.estimatedSize();
    }

    /**
     * A resolved read: its cache key, its optimized filter, and the loader that runs it with its
     * (private) parts.
     */
    private record Resolved(String cacheKey, Document optimized, Supplier<Object> loader) {}

    /**
     * Runs a load; with precise invalidation, the key is in flight while it queries, described by
     * what it reads ({@code describe} of {@code nothing}: the filter without documents, which is all
     * a write can judge it by meanwhile), and its ReadInfo with its documents is registered before
     * the value can be published (see ReadIndex and ReadIndex.Pending).
     */
    private <V> V tracked(String key, V nothing, Supplier<V> query, Function<? super V, ReadIndex.ReadInfo> describe) {
        if (!precise) {
            return query.get();
        }
        long startedAt = writeSequence.get(); // before the query: see rememberDropped
        ReadIndex.Pending pending = new ReadIndex.Pending(key, describe.apply(nothing));
        index.inFlight.add(pending);
        try {
            V value = query.get();
            long returnedAt = writeSequence.get(); // after the query: see WriteThrough
            if (index.reads.size() >= ReadIndex.MAX_TRACKED && index.reads.removeExpired(System.nanoTime()) == 0) {
                invalidateAll(); // too many to track: start over (conservative)
            }
            ReadIndex.ReadInfo loaded = describe.apply(value).loaded(startedAt, returnedAt);
            index.reads.register(key, loaded);
            // A write that raced this load stopped the cache from publishing it; if its documents
            // show that none of those writes can have changed it, it publishes itself.
            if (pending.republishable(loaded)) {
                pending.publishUnlessPoisoned(() -> cache.set(key, value, ttl));
            }
            return value;
        } finally {
            index.inFlight.remove(pending);
        }
    }

    /**
     * Counts matching documents, through the cache.
     *
     * @param filter the filter
     * @return the count
     * @throws NullPointerException if {@code filter} is null
     */
    public long countDocuments(Bson filter) {
        requireNonNull(filter, "filter");
        Resolved read = resolve(ReadKey.Kind.COUNT, null, null, filter, null, null, 0, 0);
        return (Long) cache.getOrLoad(read.cacheKey(), ttl, read.loader());
    }

    /**
     * Inserts a document and invalidates the collection's cached reads.
     *
     * @param document the document
     * @return the driver's result
     */
    public InsertOneResult insertOne(T document) {
        requireNonNull(document, "document");
        return write(() -> collection.insertOne(document), r -> inserted(List.of(document)));
    }

    /**
     * Updates one document and invalidates the collection's cached reads.
     *
     * @param filter which document
     * @param update the change
     * @return the driver's result
     */
    public UpdateResult updateOne(Bson filter, Bson update) {
        return updateOne(filter, update, new UpdateOptions()); // the driver's defaults, as its own overload
    }

    /**
     * Updates every matching document and invalidates the collection's cached reads.
     *
     * @param filter which documents
     * @param update the change
     * @return the driver's result
     */
    public UpdateResult updateMany(Bson filter, Bson update) {
        return updateMany(filter, update, new UpdateOptions()); // the driver's defaults, as its own overload
    }

    /**
     * Deletes one document and invalidates the collection's cached reads.
     *
     * @param filter which document
     * @return the driver's result
     */
    public DeleteResult deleteOne(Bson filter) {
        requireNonNull(filter, "filter");
        return write(() -> collection.deleteOne(filter), r -> deleted(filter, r));
    }

    /**
     * Runs an aggregation through the cache (opt-in: only pipelines passed here are cached). Any
     * write through this wrapper that changed something invalidates every cached aggregation of the
     * collection: perfkit does not reason about pipelines.
     *
     * <p>Refused, with an {@link IllegalArgumentException}: stages that write ({@code $out}, {@code
     * $merge}), read other collections ({@code $lookup}, {@code $graphLookup}, {@code $unionWith}
     * — their writes would not invalidate the entry) or give a different answer each time ({@code
     * $sample}, {@code $currentOp}, {@code $collStats}, {@code $indexStats}, {@code $listSessions},
     * {@code $planCacheStats}). Run those on the raw collection.
     *
     * @param pipeline the stages
     * @param resultClass the class of the results
     * @param <R> the results' type
     * @return the results, unmodifiable ({@code Document}s read-only)
     * @throws NullPointerException if an argument or a stage is null
     * @throws IllegalArgumentException if a stage is refused (see above)
     */
    public <R> List<R> aggregate(List<? extends Bson> pipeline, Class<R> resultClass) {
        requireNonNull(pipeline, "pipeline");
        requireNonNull(resultClass, "resultClass");
        List<Bson> stages = new ArrayList<>(pipeline.size());
        StringBuilder key = new StringBuilder(prefix).append("aggregate:").append(resultClass.getName());
        for (int i = 0; i < pipeline.size(); i++) {
            Bson stage = requireNonNull(pipeline.get(i), "pipeline stage " + i);
            BsonDocument rendered;
            try {
                rendered = stage.toBsonDocument(BsonDocument.class, collection.getCodecRegistry());
            } catch (StackOverflowError tooDeep) { // the codecs recurse as deep as the input
                throw new IllegalArgumentException("pipeline stage " + i + " is nested too deeply to encode");
            }
            QueryLimits.check("pipeline stage " + i, rendered);
            for (String operator : rendered.keySet()) {
                if (UNCACHEABLE_STAGES.contains(operator)) {
                    throw new IllegalArgumentException("pipeline stage " + i + " (" + operator
                            + ") cannot be cached: it writes, reads other collections or varies between runs;"
                            + " run it on the raw collection");
                }
            }
            stages.add(rendered);
            key.append(':').append(bsonKey(rendered));
        }
        String cacheKey = key.toString();
        return cache.getOrLoad(
                cacheKey,
                ttl,
                () -> tracked(
                        cacheKey,
                        List.of(),
                        () -> freezeAll(
                                collection.aggregate(stages, resultClass).into(new ArrayList<>())),
                        results -> ReadIndex.aggregate(indexTtlNanos)));
    }

    /**
     * Runs an aggregation through the cache, results of the collection's document class: see {@link
     * #aggregate(List, Class)}.
     *
     * @param pipeline the stages
     * @return the results, unmodifiable
     */
    public List<T> aggregate(List<? extends Bson> pipeline) {
        return aggregate(pipeline, collection.getDocumentClass());
    }

    /**
     * Finds the distinct values of a field among matching documents, through the cache.
     *
     * @param fieldName the field
     * @param filter the filter
     * @param resultClass the values' class
     * @param <R> the values' type
     * @return the values, unmodifiable
     * @throws NullPointerException if an argument is null
     */
    public <R> List<R> distinct(String fieldName, Bson filter, Class<R> resultClass) {
        requireNonNull(fieldName, "fieldName");
        requireNonNull(filter, "filter");
        requireNonNull(resultClass, "resultClass");
        Resolved read = resolve(ReadKey.Kind.DISTINCT, fieldName, resultClass, filter, null, null, 0, 0);
        @SuppressWarnings("unchecked") // the read's key names resultClass: its values are of that class
        List<R> values = (List<R>) cache.getOrLoad(read.cacheKey(), ttl, read.loader());
        return values;
    }

    /**
     * Inserts a document with options and invalidates the collection's cached reads.
     *
     * @param document the document
     * @param options the driver's options
     * @return the driver's result
     */
    public InsertOneResult insertOne(T document, InsertOneOptions options) {
        requireNonNull(document, "document");
        requireNonNull(options, "options");
        return write(() -> collection.insertOne(document, options), r -> inserted(List.of(document)));
    }

    /**
     * Inserts documents and invalidates the collection's cached reads.
     *
     * @param documents the documents
     * @return the driver's result
     */
    public InsertManyResult insertMany(List<? extends T> documents) {
        requireNonNull(documents, "documents");
        return write(() -> collection.insertMany(documents), r -> inserted(documents));
    }

    /**
     * Inserts documents with options (ordered or not, as given) and invalidates the collection's
     * cached reads.
     *
     * @param documents the documents
     * @param options the driver's options
     * @return the driver's result
     */
    public InsertManyResult insertMany(List<? extends T> documents, InsertManyOptions options) {
        requireNonNull(documents, "documents");
        requireNonNull(options, "options");
        return write(() -> collection.insertMany(documents, options), r -> inserted(documents));
    }

    /**
     * Updates one document with options (an upsert, array filters, ...) and invalidates the
     * collection's cached reads.
     *
     * @param filter which document
     * @param update the change
     * @param options the driver's options
     * @return the driver's result
     */
    public UpdateResult updateOne(Bson filter, Bson update, UpdateOptions options) {
        requireNonNull(filter, "filter");
        requireNonNull(update, "update");
        requireNonNull(options, "options");
        Set<String> touched = touchedOrUnknown(update); // once: judged before and after the write
        return update(
                List.of(filter),
                touched,
                () -> collection.updateOne(filter, update, options),
                r -> updated(filter, touched, r, options.getCollation()),
                changesIdentity(touched, options.isUpsert()));
    }

    /**
     * Updates every matching document with options and invalidates the collection's cached reads.
     *
     * @param filter which documents
     * @param update the change
     * @param options the driver's options
     * @return the driver's result
     */
    public UpdateResult updateMany(Bson filter, Bson update, UpdateOptions options) {
        requireNonNull(filter, "filter");
        requireNonNull(update, "update");
        requireNonNull(options, "options");
        Set<String> touched = touchedOrUnknown(update); // once: judged before and after the write
        return update(
                List.of(filter),
                touched,
                () -> collection.updateMany(filter, update, options),
                r -> updated(filter, touched, r, options.getCollation()),
                changesIdentity(touched, options.isUpsert()));
    }

    /**
     * Replaces one document and invalidates the collection's cached reads.
     *
     * @param filter which document
     * @param replacement the new document
     * @return the driver's result
     */
    public UpdateResult replaceOne(Bson filter, T replacement) {
        requireNonNull(filter, "filter");
        requireNonNull(replacement, "replacement");
        return write(() -> collection.replaceOne(filter, replacement), r -> replaced(filter, r, null));
    }

    /**
     * Replaces one document with options (an upsert, ...) and invalidates the collection's cached
     * reads.
     *
     * @param filter which document
     * @param replacement the new document
     * @param options the driver's options
     * @return the driver's result
     */
    public UpdateResult replaceOne(Bson filter, T replacement, ReplaceOptions options) {
        requireNonNull(filter, "filter");
        requireNonNull(replacement, "replacement");
        requireNonNull(options, "options");
        return write(
                () -> collection.replaceOne(filter, replacement, options),
                r -> replaced(filter, r, options.getCollation()));
    }

    /**
     * Deletes every matching document and invalidates the collection's cached reads.
     *
     * @param filter which documents
     * @return the driver's result
     */
    public DeleteResult deleteMany(Bson filter) {
        requireNonNull(filter, "filter");
        return write(() -> collection.deleteMany(filter), r -> deleted(filter, r));
    }

    /**
     * Updates one document and returns it (as it was, by default), invalidating the collection's
     * cached reads.
     *
     * @param filter which document
     * @param update the change
     * @return the document before the update, or null when none matched
     */
    public T findOneAndUpdate(Bson filter, Bson update) {
        return findOneAndUpdate(filter, update, new FindOneAndUpdateOptions());
    }

    /**
     * Updates one document with options (return the document after, upsert, sort, ...) and returns
     * it, invalidating the collection's cached reads.
     *
     * @param filter which document
     * @param update the change
     * @param options the driver's options
     * @return the document, or null when none matched
     */
    public T findOneAndUpdate(Bson filter, Bson update, FindOneAndUpdateOptions options) {
        requireNonNull(filter, "filter");
        requireNonNull(update, "update");
        requireNonNull(options, "options");
        Set<String> touched = touchedOrUnknown(update);
        return update(
                List.of(filter),
                touched,
                () -> collection.findOneAndUpdate(filter, update, options),
                found -> foundAndChanged(filter, found, touched, options.isUpsert(), options.getCollation(), false),
                changesIdentity(touched, options.isUpsert()));
    }

    /**
     * Replaces one document and returns it (as it was, by default), invalidating the collection's
     * cached reads.
     *
     * @param filter which document
     * @param replacement the new document
     * @return the document before, or null when none matched
     */
    public T findOneAndReplace(Bson filter, T replacement) {
        return findOneAndReplace(filter, replacement, new FindOneAndReplaceOptions());
    }

    /**
     * Replaces one document with options and returns it, invalidating the collection's cached reads.
     *
     * @param filter which document
     * @param replacement the new document
     * @param options the driver's options
     * @return the document, or null when none matched
     */
    public T findOneAndReplace(Bson filter, T replacement, FindOneAndReplaceOptions options) {
        requireNonNull(filter, "filter");
        requireNonNull(replacement, "replacement");
        requireNonNull(options, "options");
        return write(
                () -> collection.findOneAndReplace(filter, replacement, options),
                found -> foundAndChanged(filter, found, null, options.isUpsert(), options.getCollation(), false));
    }

    /**
     * Deletes one document and returns it, invalidating the collection's cached reads.
     *
     * @param filter which document
     * @return the deleted document, or null when none matched
     */
    public T findOneAndDelete(Bson filter) {
        return findOneAndDelete(filter, new FindOneAndDeleteOptions());
    }

    /**
     * Deletes one document with options (sort, projection, ...) and returns it, invalidating the
     * collection's cached reads.
     *
     * @param filter which document
     * @param options the driver's options
     * @return the deleted document, or null when none matched
     */
    public T findOneAndDelete(Bson filter, FindOneAndDeleteOptions options) {
        requireNonNull(filter, "filter");
        requireNonNull(options, "options");
        return write(
                () -> collection.findOneAndDelete(filter, options),
                found -> foundAndChanged(filter, found, null, false, options.getCollation(), true));
    }

    /**
     * Runs a bulk write, ordered as the driver's default is, and invalidates the collection's cached
     * reads.
     *
     * @param operations the operations
     * @return the driver's result
     */
    public BulkWriteResult bulkWrite(List<? extends WriteModel<? extends T>> operations) {
        return bulkWrite(operations, new BulkWriteOptions());
    }

    /**
     * Runs a bulk write with the caller's options (ordered or not, exactly as given) and invalidates
     * the cached reads its operations may have changed, each judged as if it changed what its filter
     * selects; an upsert, a pipeline update or a collation in it invalidates everything.
     *
     * @param operations the operations
     * @param options the options, passed to the driver unchanged
     * @return the driver's result
     */
    public BulkWriteResult bulkWrite(List<? extends WriteModel<? extends T>> operations, BulkWriteOptions options) {
        requireNonNull(operations, "operations");
        requireNonNull(options, "options");
        List<WriteModel<? extends T>> models = List.copyOf(operations); // what we judge is what ran
        List<Set<String>> touched = new ArrayList<>(models.size()); // per update, judged before and after
        for (WriteModel<? extends T> model : models) {
            touched.add(
                    model instanceof UpdateOneModel<? extends T> one
                            ? touchedOrUnknown(one.getUpdate())
                            : model instanceof UpdateManyModel<? extends T> many
                                    ? touchedOrUnknown(many.getUpdate())
                                    : null);
        }
        Set<String> touchedByAny = new HashSet<>(); // null when any operation's fields are unknown
        for (Set<String> fields : touched) {
            if (fields == null) {
                touchedByAny = null;
                break;
            }
            touchedByAny.addAll(fields);
        }
        return writeAll(
                filtersOf(models),
                touchedByAny,
                () -> collection.bulkWrite(models, options),
                r -> r.wasAcknowledged() ? bulkEffects(models, touched) : List.of(ReadIndex.Effect.ALL),
                bulkChangesIdentity(models, touched));
    }

    /**
     * Each operation's effect, judged as if it had changed what its filter selects (a bulk result
     * gives counts per command, not per operation). Upserts, pipeline updates and collations are
     * everything.
     */
    @SuppressWarnings("unchecked")
    private List<ReadIndex.Effect> bulkEffects(List<WriteModel<? extends T>> models, List<Set<String>> touched) {
        List<ReadIndex.Effect> effects = new ArrayList<>(models.size());
        for (int i = 0; i < models.size(); i++) {
            WriteModel<? extends T> model = models.get(i);
            ReadIndex.Effect effect;
            if (model instanceof InsertOneModel<? extends T> insert) {
                effect = ReadIndex.Effect.insert(List.of((Document) insert.getDocument()));
            } else if (model instanceof UpdateOneModel<? extends T> update) {
                effect = bulkUpdate(update.getFilter(), touched.get(i), update.getOptions());
            } else if (model instanceof UpdateManyModel<? extends T> update) {
                effect = bulkUpdate(update.getFilter(), touched.get(i), update.getOptions());
            } else if (model instanceof ReplaceOneModel<? extends T> replace) {
                ReplaceOptions options = replace.getReplaceOptions();
                effect = options.isUpsert() || options.getCollation() != null
                        ? ReadIndex.Effect.ALL
                        : replacement(replace.getFilter());
            } else if (model instanceof DeleteOneModel<? extends T> delete) {
                effect = removed(delete.getFilter(), delete.getOptions().getCollation());
            } else if (model instanceof DeleteManyModel<? extends T> delete) {
                effect = removed(delete.getFilter(), delete.getOptions().getCollation());
            } else {
                effect = ReadIndex.Effect.ALL; // a model type this version does not know
            }
            if (effect.kind() == ReadIndex.EffectKind.ALL) {
                return List.of(ReadIndex.Effect.ALL);
            }
            effects.add(effect);
        }
        return effects;
    }

    /** Whether any operation of a bulk write may change which document holds a unique value. */
    private boolean bulkChangesIdentity(List<WriteModel<? extends T>> models, List<Set<String>> touched) {
        for (int i = 0; i < models.size(); i++) {
            WriteModel<? extends T> model = models.get(i);
            boolean changes;
            if (model instanceof UpdateOneModel<? extends T> update) {
                changes = changesIdentity(touched.get(i), update.getOptions().isUpsert());
            } else if (model instanceof UpdateManyModel<? extends T> update) {
                changes = changesIdentity(touched.get(i), update.getOptions().isUpsert());
            } else {
                changes = true;
            }
            if (changes) {
                return true;
            }
        }
        return false;
    }

    /** An update inside a bulk write; a pipeline update has no known fields (null): everything. */
    private static ReadIndex.Effect bulkUpdate(Bson filter, Set<String> touched, UpdateOptions options) {
        if (options.isUpsert() || options.getCollation() != null) {
            return ReadIndex.Effect.ALL;
        }
        return changed(filter, touched);
    }

    /**
     * Drops every cached read of this collection, for writes made around the wrapper.
     *
     * @return the number of entries dropped
     */
    public long invalidate() {
        forgetLastKnown(); // the writes made around the wrapper may have changed any field
        poisonRunningLoads();
        index.reads.clear();
        return cache.invalidatePrefix(sharedCache ? namespacePrefix : prefix);
    }

    /**
     * Starts invalidating this wrapper's cached reads on the writes made elsewhere (another process,
     * the shell), as the collection's change stream reports them: precisely, by the same rules as
     * the wrapper's own writes. Needs a replica set or a sharded cluster; elsewhere the returned
     * listener is {@link ChangeStreamInvalidator.State#UNAVAILABLE} and says why, and the TTL stays
     * the bound. Opening the stream invalidates what was cached before it. Close the listener to stop.
     *
     * @return the running listener (or one that tells why it cannot run)
     */
    public ChangeStreamInvalidator watchChanges() {
        return ChangeStreamInvalidator.start(this, collection, ChangeStreamInvalidator.DEFAULT_MAX_IDLE_PAUSE);
    }

    /**
     * Applies a write made elsewhere, as its change event describes it: like a write through the
     * wrapper that has just returned. {@code touched}: the fields an update named (null: unknown).
     */
    void changedElsewhere(ReadIndex.Effect effect, Set<String> touched) {
        // Through the same path as a write of the wrapper's own whose call has just returned: an
        // identity change is counted as one, an update is listed as running while it is judged,
        // and last known copies stop vouching for what it changed.
        boolean identity = effect.kind() != ReadIndex.EffectKind.UPDATE || changesIdentity(touched, false);
        List<Bson> filters = effect.filter() == null ? List.of() : List.of(effect.filter());
        Object unused = writeAll(filters, touched, () -> null, applied -> List.of(effect), identity);
    }

    /** Returns the wrapped collection, for operations the wrapper does not offer (they bypass the cache). */
    public MongoCollection<T> unwrap() {
        return collection;
    }

    /**
     * Runs a write, then invalidates what it may have changed: with precise invalidation the reads
     * its effect may change (ReadIndex), else every cached read of the collection. A write that
     * fails may have applied in part: everything is invalidated.
     */
    private <R> R write(Supplier<R> write, Function<R, ReadIndex.Effect> effectOf) {
        return writeAll(List.of(), null, write, result -> List.of(effectOf.apply(result)), true);
    }

    /** {@link #write} for an update by {@code filters} that {@link #changesIdentity} tells about. */
    private <R> R update(
            List<Bson> filters,
            Set<String> touched,
            Supplier<R> write,
            Function<R, ReadIndex.Effect> effectOf,
            boolean changesIdentity) {
        return writeAll(filters, touched, write, result -> List.of(effectOf.apply(result)), changesIdentity);
    }

    /** The filters of a bulk write's updates (what a quiet bulk write may change). */
    private static List<Bson> filtersOf(List<? extends WriteModel<?>> models) {
        List<Bson> filters = new ArrayList<>();
        for (WriteModel<?> model : models) {
            if (model instanceof UpdateOneModel<?> one) {
                filters.add(one.getFilter());
            } else if (model instanceof UpdateManyModel<?> many) {
                filters.add(many.getFilter());
            }
        }
        return filters;
    }

    /**
     * An update running beside others that cannot change which document holds a unique value: from
     * before it is sent until its invalidation is done. While it runs, the cached copies of the
     * documents it may have changed may be out of date, so none of them names the one document
     * another update changed (see {@link #trusted}).
     */
    private static final class QuietUpdate {
        private final List<Bson> filters;
        /** The filters as Documents, rendered when another update first needs them (rarely). */
        private volatile List<Document> rendered;

        QuietUpdate(List<Bson> filters) {
            this.filters = filters;
        }

        /** Whether this update may select {@code document}; true when its filters cannot be read. */
        boolean maySelect(Document document) {
            List<Document> known = rendered;
            if (known == null) {
                try {
                    known = filters.stream()
                            .map(MongoQueryOptimizer::toDocument)
                            .toList();
                } catch (RuntimeException e) {
                    return true;
                }
                rendered = known;
            }
            for (Document filter : known) {
                if (!ReadIndex.provablyNotMatching(filter, document, false)) {
                    return true;
                }
            }
            return false;
        }
    }

    private final Set<QuietUpdate> quietUpdates = ConcurrentHashMap.newKeySet();

    /** A quiet update that has ended, and where the write sequence stood when it did. */
    private record Finished(QuietUpdate update, long endedAt) {}

    /** The quiet updates that ended last, newest last (see WriteThrough). */
    private final ConcurrentLinkedDeque<Finished> finishedUpdates = new ConcurrentLinkedDeque<>();

    private final AtomicInteger finishedCount = new AtomicInteger();
    /** The latest end among the updates no longer logged: the log is complete only after it. */
    private final AtomicLong forgottenUpTo = new AtomicLong();

    private static final int FINISHED_LOGGED = 256;

    private void finished(QuietUpdate update, long endedAt) {
        finishedUpdates.addLast(new Finished(update, endedAt));
        if (finishedCount.incrementAndGet() > FINISHED_LOGGED) {
            Finished oldest = finishedUpdates.pollFirst();
            if (oldest != null) {
                finishedCount.decrementAndGet();
                forgottenUpTo.accumulateAndGet(oldest.endedAt(), Math::max);
            }
        }
    }

    /**
     * The document an update changed, as cached copies hold it, if no other update running may have
     * changed it too: that one has reached the server, or may have, and its invalidation may not have
     * dropped these copies yet. Null otherwise.
     */
    private Document trusted(Document target, QuietUpdate self) {
        if (target == null) {
            return null;
        }
        for (QuietUpdate other : quietUpdates) {
            if (other != self && other.maySelect(target)) {
                return null;
            }
        }
        return target;
    }

    /**
     * {@link #write} for a write made of several operations, each with its effect; {@code
     * changesIdentity} false only for updates that cannot change which document holds a unique value.
     */
    private <R> R writeAll(
            List<Bson> filters,
            Set<String> touched,
            Supplier<R> write,
            Function<R, List<ReadIndex.Effect>> effectsOf,
            boolean changesIdentity) {
        boolean tracked = precise && !sharedCache;
        boolean quietBefore = false;
        long eventsBefore = 0;
        long started = 0;
        QuietUpdate running = null;
        if (tracked) {
            if (changesIdentity) {
                identityWritesRunning.incrementAndGet();
                identityWriteEvents.incrementAndGet();
                forgetLastKnown();
            } else {
                running = new QuietUpdate(filters);
                // Listed before its start is counted: whoever sees the count moved sees it running
                // (WriteThrough relies on that).
                quietUpdates.add(running);
                quietBefore = identityWritesRunning.get() == 0;
                eventsBefore = identityWriteEvents.get();
                started = touch(touched); // before it is sent: last known copies stop vouching for these fields
            }
        }
        try {
            R result;
            try {
                result = write.get();
            } catch (RuntimeException | Error e) {
                invalidateAll();
                throw e;
            }
            List<ReadIndex.Effect> effects;
            try {
                effects = precise ? effectsOf.apply(result) : List.of(ReadIndex.Effect.ALL);
            } catch (RuntimeException e) {
                effects = List.of(ReadIndex.Effect.ALL); // cannot tell what it did: be conservative
            }
            // Checked after the write ran: no identity-changing write started, ran or ended beside it.
            boolean quiet =
                    quietBefore && identityWritesRunning.get() == 0 && identityWriteEvents.get() == eventsBefore;
            apply(
                    effects,
                    quiet,
                    running,
                    quiet && started > 0 ? new WriteThrough(running, started, eventsBefore) : null);
            return result;
        } finally {
            if (running != null) {
                long ended = touch(touched); // again once it is done: a load started meanwhile may predate it
                // Logged before it leaves the running set, so a WriteThrough check sees it in one or the other.
                finished(running, ended > 0 ? ended : writeSequence.get());
                quietUpdates.remove(running);
            }
            if (tracked && changesIdentity) {
                forgetLastKnown(); // copies remembered while it ran may predate it
                identityWritesRunning.decrementAndGet();
                identityWriteEvents.incrementAndGet();
            }
        }
    }

    // ---- last known copies (ReadIndex.lastKnownTarget)

    /**
     * Counts the starts and ends of writes: a load notes where it stood when it started, and a last
     * known copy from that load vouches for a field only if no write that may change the field
     * started or ended since.
     */
    private final AtomicLong writeSequence = new AtomicLong(1); // 0 is "not known" (ReadInfo.loadSequence)
    /** By top-level field: where the sequence stood when a write that may change it last started or ended. */
    private final ConcurrentHashMap<String, Long> touchedAt = new ConcurrentHashMap<>();
    /** Where the sequence stood when a write that may change which document holds a unique value last ran. */
    private final AtomicLong identityChangedAt = new AtomicLong();

    /** Notes a write that may change {@code fields}; returns where the sequence then stood (0: unknown fields). */
    private long touch(Set<String> fields) {
        if (fields == null) {
            forgetLastKnown(); // cannot tell which fields: no copy vouches for any
            return 0;
        }
        long now = writeSequence.incrementAndGet();
        for (String field : fields) {
            touchedAt.merge(field, now, Math::max);
        }
        return now;
    }

    private long touchedSince(String field) {
        return touchedAt.getOrDefault(field, 0L);
    }

    private void forgetLastKnown() {
        identityChangedAt.accumulateAndGet(writeSequence.incrementAndGet(), Math::max);
        index.forgetLastKnown();
    }

    /**
     * Whether an update may change which document holds a unique value: an upsert, an update
     * perfkit cannot read, or one that names a unique field.
     */
    private boolean changesIdentity(Set<String> touched, boolean upsert) {
        if (upsert || !precise || sharedCache || touched == null) {
            return true;
        }
        for (String field : uniqueFields().fields()) {
            if (touched.contains(field)) {
                return true;
            }
        }
        return false;
    }

    /** The unique single-field indexes and when they were listed. */
    private record UniqueFields(Set<String> fields, long listedAtNanos) {}

    private static final long UNIQUE_FIELDS_REFRESH_NANOS = TimeUnit.MINUTES.toNanos(1);

    /**
     * The fields no two documents share: {@code _id}, and every single-field unique index without
     * a partial filter, listed from the server at most once a minute (a listing that fails leaves
     * {@code _id} only). An index dropped meanwhile is harmless unless a duplicate then appears:
     * through this wrapper that is an insert or an update of that field, which the identity tracking
     * sees; from elsewhere, the cache's TTL bounds it as for every outside write.
     */
    private UniqueFields uniqueFields() {
        UniqueFields known = uniqueFields;
        long now = System.nanoTime();
        if (known != null && now - known.listedAtNanos() < UNIQUE_FIELDS_REFRESH_NANOS) {
            return known;
        }
        Set<String> fields = new HashSet<>();
        fields.add("_id");
        try {
            for (Document index : collection.listIndexes()) {
                Object key = index.get("key");
                if (Boolean.TRUE.equals(index.get("unique"))
                        && !index.containsKey("partialFilterExpression")
                        && key instanceof Document keys
                        && keys.size() == 1) {
                    fields.add(keys.keySet().iterator().next());
                }
            }
        } catch (RuntimeException e) {
            log.debug("Could not list the indexes of {}; only _id counts as unique", collection.getNamespace(), e);
        }
        UniqueFields listed = new UniqueFields(Set.copyOf(fields), now);
        uniqueFields = listed;
        return listed;
    }

    private void apply(
            List<ReadIndex.Effect> effects, boolean identityQuiet, QuietUpdate self, WriteThrough writeThrough) {
        List<ReadIndex.Effect> changes = new ArrayList<>(effects.size());
        for (ReadIndex.Effect effect : effects) {
            if (effect.kind() == ReadIndex.EffectKind.ALL) {
                invalidateAll();
                return;
            }
            if (effect.kind() != ReadIndex.EffectKind.NONE) {
                changes.add(effect);
            }
        }
        if (changes.isEmpty()) {
            return;
        }
        if (sharedCache) {
            // Other processes cache reads this process's index never saw: drop the collection's
            // reads everywhere (precise invalidation stays within one process for now).
            invalidateAll();
            return;
        }
        long now = System.nanoTime();
        // Each update's one document, if known: looked up only when a read's judging needs it (an
        // update of a sort field, a window), at most once, and before any read is dropped (reads
        // are judged first and dropped after), so a read this judging drops still tells it.
        List<Supplier<Document>> targets = new ArrayList<>(changes.size());
        for (ReadIndex.Effect change : changes) {
            targets.add(
                    identityQuiet && change.kind() == ReadIndex.EffectKind.UPDATE && change.touched() != null
                            ? once(() -> trusted(knownOrLastKnownTarget(change.filter(), now), self))
                            : () -> null);
        }
        // A load that raced this write must not publish, unless its filter alone shows the write
        // cannot change what it reads (its documents are not known yet: ReadIndex.affectsPending).
        // Those it cannot clear are dropped from the cache and told of the write, to judge it once
        // their documents are known (ReadIndex.Pending).
        List<String> racing = new ArrayList<>();
        for (ReadIndex.Pending pending : index.inFlight) {
            if (raced(changes, targets, pending)) {
                racing.add(pending.key);
            }
        }
        List<Map.Entry<String, ReadIndex.ReadInfo>> affected = new ArrayList<>();
        // Only the reads the index lists as possibly affected are judged (all of them for writes
        // it does not serve): see ReadRegistry.
        List<Map.Entry<String, ReadIndex.ReadInfo>> candidates = index.reads.candidates(changes);
        for (Map.Entry<String, ReadIndex.ReadInfo> entry : candidates != null ? candidates : index.reads.all()) {
            readsJudged.increment();
            ReadIndex.ReadInfo read = entry.getValue();
            if (now - read.expiresAtNanos() >= 0) {
                index.reads.unregister(entry.getKey(), read); // knownTarget ignores expired reads anyway
            } else if (affectsAny(changes, targets, read)) {
                affected.add(Map.entry(entry.getKey(), read));
            }
        }
        for (String key : racing) {
            cache.invalidate(key);
        }
        Set<String> unique = affected.isEmpty() ? Set.of() : uniqueFields().fields();
        for (Map.Entry<String, ReadIndex.ReadInfo> entry : affected) {
            if (writeThrough != null
                    && writeThrough.rewrite(entry.getKey(), entry.getValue(), changes, targets, unique)) {
                continue; // brought up to date instead of dropped
            }
            if (holdsExactly(entry.getKey(), entry.getValue())) {
                index.rememberDropped(entry.getValue(), unique);
            }
            cache.invalidate(entry.getKey());
            index.reads.unregister(entry.getKey(), entry.getValue());
        }
    }

    /**
     * Write-through: a cached read of the one document a pure {@code $inc} by a unique value changed
     * is brought up to date (the sum computed as MongoDB computes it) instead of dropped, so a
     * balance read after a payment stays a hit. Only where the new value is certain:
     *
     * <ul>
     *   <li>the read is a find holding that one whole document (no projection, no skip), and the
     *       update names none of its filter or sort fields, so it still selects exactly that;
     *   <li>the update is the only one of its write that touches the read, changes only top-level
     *       fields by {@code $inc}, and filters by an equality on {@code _id} or a unique field that
     *       the held document has ({@link ReadIndex#selectsOnly});
     *   <li>the held copy predates the write: its query returned before the write was counted as
     *       started, so it cannot already include the write (adding twice);
     *   <li>no write that may change which document holds a unique value started, ran or ended
     *       beside it (checked before it was sent, after it returned and again here), and no other
     *       update that may select the document, as held or as this write left it, is running or
     *       ended while this one ran (a log of the updates that ended last): the server may have
     *       applied such a write before or after this one, and it judged the cached copy as it was;
     *   <li>nothing moved meanwhile: the new ReadInfo is put in the index first, then the write
     *       sequence must not have moved since these checks began (a write that starts later is
     *       sent after this one returned, so the server applied it after this one, and its own
     *       judging, which runs after it was sent, sees the new ReadInfo), then the cached value is
     *       replaced only if it is still the very list that was judged (QueryCache#replace), keeping
     *       its expiry.
     * </ul>
     *
     * Anything else drops the read as before. The differential and concurrency tests run with it.
     */
    private final class WriteThrough {
        private final QuietUpdate self;
        private final long started;
        private final long identityEventsBefore;

        WriteThrough(QuietUpdate self, long started, long identityEventsBefore) {
            this.self = self;
            this.started = started;
            this.identityEventsBefore = identityEventsBefore;
        }

        /** Brings one affected read up to date; false when it must be dropped instead. */
        boolean rewrite(
                String key,
                ReadIndex.ReadInfo read,
                List<ReadIndex.Effect> changes,
                List<Supplier<Document>> targets,
                Set<String> unique) {
            List<Document> documents = read.documents();
            if (read.kind() != ReadIndex.Kind.FIND
                    || read.opaque()
                    || read.partialDocuments()
                    || read.skips()
                    || documents == null
                    || documents.size() != 1
                    || read.returnedSequence() <= 0
                    || read.returnedSequence() >= started) {
                return false;
            }
            ReadIndex.Effect only = null;
            for (int i = 0; i < changes.size(); i++) {
                if (ReadIndex.affects(changes.get(i), read, targets.get(i))) {
                    if (only != null) {
                        return false; // two operations of one bulk write: their order is not ours to redo
                    }
                    only = changes.get(i);
                }
            }
            Document held = documents.get(0);
            if (only == null
                    || only.kind() != ReadIndex.EffectKind.UPDATE
                    || only.touched() == null
                    || !Collections.disjoint(only.touched(), read.filterRoots())
                    || !Collections.disjoint(only.touched(), read.sortRoots())
                    || !ReadIndex.selectsOnly(only.filter(), unique, held)) {
                return false;
            }
            Document next = ReadIndex.incremented(held, only.touched());
            if (next == null) {
                return false;
            }
            long seen = writeSequence.get(); // first: every write counted later is caught below
            if (identityWritesRunning.get() != 0
                    || identityWriteEvents.get() != identityEventsBefore
                    || trusted(held, self) == null
                    || trusted(next, self) == null
                    || overlappedBy(held, next)
                    || !holdsExactly(key, read)) {
                return false;
            }
            List<Document> updated = List.of(ReadOnlyDocument.of(next));
            ReadIndex.ReadInfo rewritten = read.withDocuments(updated);
            // By identity: only the very ReadInfo judged is replaced (records compare by content).
            if (!index.reads.replace(key, read, rewritten)) {
                return false;
            }
            if (writeSequence.get() != seen || !cache.replace(key, documents, updated)) {
                index.reads.unregister(key, rewritten);
                return false; // the caller drops the cached value
            }
            writesThrough.increment();
            return true;
        }

        /**
         * Whether an update that may select the document (as held, or as this write left it) ended
         * while this write was running: the server may have applied it before or after this one,
         * and it judged the cached copy as it was then. (Running ones are checked by {@link
         * #trusted}, first, so one that ends meanwhile is found here.) True also when the log no
         * longer reaches back to this write's start.
         */
        private boolean overlappedBy(Document held, Document next) {
            for (Finished done : finishedUpdates) {
                if (done.endedAt() > started
                        && done.update() != self
                        && (done.update().maySelect(held) || done.update().maySelect(next))) {
                    return true;
                }
            }
            return forgottenUpTo.get() > started;
        }
    }

    /** Reads brought up to date by write-through (WriteThrough), for tests and figures. */
    private final LongAdder writesThrough = new LongAdder();

    long writesThrough() {
        return writesThrough.sum();
    }

    /** Registered reads visited by writes' judging (ReadRegistry narrows them down), for tests. */
    private final LongAdder readsJudged = new LongAdder();

    long readsJudged() {
        return readsJudged.sum();
    }

    /**
     * The one document an update by a unique field changed: as a cached read holds it, or else as a
     * dropped read last knew it, with only the fields no write has touched since.
     */
    private Document knownOrLastKnownTarget(Document writeFilter, long now) {
        Set<String> unique = uniqueFields().fields();
        Document held = index.knownTarget(writeFilter, unique, now, this::holdsExactly);
        return held != null
                ? held
                : index.lastKnownTarget(writeFilter, unique, now, identityChangedAt.get(), this::touchedSince);
    }

    /** Tells a running load of the writes its filter cannot clear; true if there were any. */
    private static boolean raced(
            List<ReadIndex.Effect> effects, List<Supplier<Document>> targets, ReadIndex.Pending pending) {
        boolean raced = false;
        for (int i = 0; i < effects.size(); i++) {
            ReadIndex.Effect effect = effects.get(i);
            if (!ReadIndex.affectsPending(effect, pending.read, targets.get(i))) {
                continue;
            }
            raced = true;
            switch (effect.kind()) {
                case UPDATE ->
                    // The changed document matters only to a reordered window: looked up now,
                    // while this write's view of the index is the right one.
                    pending.raced(
                            effect,
                            effect.touched() != null
                                            && !Collections.disjoint(effect.touched(), pending.read.sortRoots())
                                    ? targets.get(i).get()
                                    : null);
                case DELETE -> pending.raced(effect, null);
                default -> pending.poison(); // an insert is judged by the filter alone: already done
            }
        }
        return raced;
    }

    /** A lookup made at most once, when first asked for (judging runs on the writing thread). */
    private static Supplier<Document> once(Supplier<Document> lookup) {
        return new Supplier<>() {
            private boolean done;
            private Document value;

            @Override
            public Document get() {
                if (!done) {
                    value = lookup.get();
                    done = true;
                }
                return value;
            }
        };
    }

    /**
     * Whether the cache holds exactly the documents a registered read describes. A load that a write
     * dropped while it ran is registered all the same (with documents that may predate the write)
     * but never published; only what is published counts as a cached copy (ReadIndex.knownTarget).
     */
    private boolean holdsExactly(String key, ReadIndex.ReadInfo read) {
        return cache.peek(key) == read.documents(); // quietly: this is not a read of the cache
    }

    private static boolean affectsAny(
            List<ReadIndex.Effect> effects, List<Supplier<Document>> targets, ReadIndex.ReadInfo read) {
        for (int i = 0; i < effects.size(); i++) {
            if (ReadIndex.affects(effects.get(i), read, targets.get(i))) {
                return true;
            }
        }
        return false;
    }

    /** Running loads may no longer publish themselves (before the cache is emptied: see ReadIndex.Pending). */
    private void poisonRunningLoads() {
        for (ReadIndex.Pending pending : index.inFlight) {
            pending.poison();
        }
    }

    /** Forgets every read, then drops every cached read of the collection (in that order: see ReadIndex). */
    private void invalidateAll() {
        long unused = invalidate();
    }

    @SuppressWarnings("unchecked")
    private ReadIndex.Effect inserted(List<? extends T> documents) {
        return ReadIndex.Effect.insert((List<Document>) List.copyOf(documents));
    }

    /** An update naming {@code touched} fields (null: perfkit cannot tell which, so everything). */
    private ReadIndex.Effect updated(Bson filter, Set<String> touched, UpdateResult result, Collation collation) {
        ReadIndex.Effect decided = decidedByResult(result, collation);
        return decided != null ? decided : changed(filter, touched);
    }

    private ReadIndex.Effect replaced(Bson filter, UpdateResult result, Collation collation) {
        ReadIndex.Effect decided = decidedByResult(result, collation);
        return decided != null ? decided : replacement(filter);
    }

    /** ALL or NONE when the result alone decides what an update did; null when its fields must be judged. */
    private static ReadIndex.Effect decidedByResult(UpdateResult result, Collation collation) {
        if (collation != null || !result.wasAcknowledged() || result.getUpsertedId() != null) {
            return ReadIndex.Effect.ALL;
        }
        if (result.getMatchedCount() == 0) {
            return ReadIndex.Effect.NONE; // nothing matched, nothing changed
        }
        // Matched but "not modified" is still judged as a change: a server may count a change of
        // type alone as none (the embedded server stores 1L for 1 after an $inc by 0L and reports
        // 0 modified; found by the write-through differential test).
        return null;
    }

    /** An update that changed what {@code filter} selects; unknown fields (null) are everything. */
    private static ReadIndex.Effect changed(Bson filter, Set<String> touched) {
        return touched == null
                ? ReadIndex.Effect.ALL
                : ReadIndex.Effect.update(MongoQueryOptimizer.toDocument(filter), touched);
    }

    /** A replacement of what {@code filter} selects: every field may change. */
    private static ReadIndex.Effect replacement(Bson filter) {
        return ReadIndex.Effect.update(MongoQueryOptimizer.toDocument(filter), null);
    }

    /** A delete that removed some of what {@code filter} selects; a collation is everything. */
    private static ReadIndex.Effect removed(Bson filter, Collation collation) {
        return collation != null
                ? ReadIndex.Effect.ALL
                : ReadIndex.Effect.delete(MongoQueryOptimizer.toDocument(filter));
    }

    private ReadIndex.Effect deleted(Bson filter, DeleteResult result) {
        if (!result.wasAcknowledged()) {
            return ReadIndex.Effect.ALL;
        }
        return result.getDeletedCount() == 0 ? ReadIndex.Effect.NONE : removed(filter, null);
    }

    /** A findOneAnd…: the document returned names the one changed (by its _id when it has one). */
    private ReadIndex.Effect foundAndChanged(
            Bson filter, T found, Set<String> touched, boolean upsert, Collation collation, boolean delete) {
        if (collation != null) {
            return ReadIndex.Effect.ALL;
        }
        if (found == null) {
            return upsert ? ReadIndex.Effect.ALL : ReadIndex.Effect.NONE;
        }
        Document target = found instanceof Document document && document.containsKey("_id")
                ? new Document("_id", document.get("_id"))
                : MongoQueryOptimizer.toDocument(filter);
        if (delete) {
            return ReadIndex.Effect.delete(target);
        }
        return ReadIndex.Effect.update(target, touched);
    }

    /**
     * The fields an update names; null when perfkit cannot tell (an unknown operator, a pipeline
     * update, an update that cannot be encoded).
     */
    private Set<String> touchedOrUnknown(Bson update) {
        if (update == null) {
            return null;
        }
        try {
            return ReadIndex.touchedRoots(update.toBsonDocument(BsonDocument.class, collection.getCodecRegistry()));
        } catch (RuntimeException e) {
            return null;
        }
    }

    /** An unmodifiable list; any {@code Document} in it read-only (for results of any class). */
    private static <R> List<R> freezeAll(List<R> found) {
        List<Object> frozen = new ArrayList<>(found.size());
        for (R item : found) {
            frozen.add(item instanceof Document document ? ReadOnlyDocument.of(document) : item);
        }
        @SuppressWarnings("unchecked")
        List<R> result = (List<R>) Collections.unmodifiableList(frozen); // results may hold null
        return result;
    }

    /** An unmodifiable list; {@code Document}s in it read-only, so no caller can change what others read. */
    @SuppressWarnings("unchecked")
    private List<T> freeze(List<T> found) {
        if (readOnlyDocuments) {
            List<Object> frozen = new ArrayList<>(found.size());
            found.forEach(document -> frozen.add(ReadOnlyDocument.of((Document) document)));
            return (List<T>) List.copyOf(frozen);
        }
        return List.copyOf(found);
    }

    /**
     * The filter as its cache key names it: the values of every {@code $in} and {@code $nin} in one
     * canonical order, since they are sets. A bot that builds {@code user_id $in [...]} from a
     * leaderboard in rank order asks for the same documents when only the ranks changed, and now
     * finds them cached. Only lists of plain values (strings, numbers, booleans, ObjectIds, dates)
     * are reordered; exact duplicates are dropped; equal values of different types (1 and 1L) are
     * kept apart. The query itself runs with the caller's order.
     */
    static Document keyForm(Document filter) {
        Object canonical = keyFormOf(filter, null);
        return canonical instanceof Document document ? document : filter;
    }

    private static Object keyFormOf(Object value, String key) {
        if (value instanceof Map<?, ?> map) {
            Document copy = null;
            for (Map.Entry<?, ?> entry : map.entrySet()) {
                Object canonical = keyFormOf(entry.getValue(), String.valueOf(entry.getKey()));
                if (canonical != entry.getValue() && copy == null) {
                    copy = new Document();
                    for (Map.Entry<?, ?> earlier : map.entrySet()) {
                        if (earlier.getKey().equals(entry.getKey())) {
                            break;
                        }
                        copy.put(String.valueOf(earlier.getKey()), earlier.getValue());
                    }
                }
                if (copy != null) {
                    copy.put(String.valueOf(entry.getKey()), canonical);
                }
            }
            return copy != null ? copy : value;
        }
        if (value instanceof List<?> list) {
            if ("$in".equals(key) || "$nin".equals(key)) {
                List<Object> sorted = sortedSet(list);
                if (sorted != null) {
                    return sorted;
                }
            }
            if (key != null && !key.startsWith("$")) {
                return value; // a literal array: its order is part of what it equals
            }
            List<Object> copy = null;
            for (int i = 0; i < list.size(); i++) {
                Object element = list.get(i);
                Object canonical = keyFormOf(element, null);
                if (canonical != element && copy == null) {
                    copy = new ArrayList<>(list.subList(0, i));
                }
                if (copy != null) {
                    copy.add(canonical);
                }
            }
            return copy != null ? copy : value;
        }
        return value;
    }

    private static final Comparator<Object> SET_ORDER =
            Comparator.comparing((Object v) -> v.getClass().getName()).thenComparing((a, b) -> compareSameClass(a, b));

    /** The list as a sorted set of plain values, or null when an element is not a plain value. */
    private static List<Object> sortedSet(List<?> list) {
        for (Object element : list) {
            if (!(element instanceof String
                    || element instanceof Integer
                    || element instanceof Long
                    || element instanceof Double
                    || element instanceof Boolean
                    || element instanceof ObjectId
                    || element instanceof Date)) {
                return null;
            }
        }
        TreeSet<Object> set = new TreeSet<>(SET_ORDER);
        set.addAll(list);
        return new ArrayList<>(set);
    }

    @SuppressWarnings({"unchecked", "rawtypes"})
    private static int compareSameClass(Object a, Object b) {
        return ((Comparable) a).compareTo(b); // same class, each Comparable (checked in sortedSet)
    }

    /**
     * A filter's (optimized) BSON bytes, Base64: one key per distinct filter, types and field order
     * included. JSON is not unambiguous: in relaxed mode a date and a literal {@code {"$date": ...}}
     * document render alike.
     */
    private static String bsonKey(Bson bson) {
        RawBsonDocument raw = bson instanceof Document document
                ? new RawBsonDocument(document, DOCUMENT_CODEC)
                : new RawBsonDocument(
                        bson.toBsonDocument(BsonDocument.class, MongoClientSettings.getDefaultCodecRegistry()),
                        BSON_DOCUMENT_CODEC);
        ByteBuf bytes = raw.getByteBuffer();
        byte[] copy = new byte[bytes.remaining()];
        bytes.get(copy);
        return Base64.getEncoder().encodeToString(copy);
    }
}
