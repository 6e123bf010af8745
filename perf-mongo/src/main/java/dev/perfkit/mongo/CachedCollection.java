package dev.perfkit.mongo;

import static java.util.Objects.requireNonNull;

import com.mongodb.MongoClientSettings;
import com.mongodb.MongoNamespace;
import com.mongodb.bulk.BulkWriteResult;
import com.mongodb.client.FindIterable;
import com.mongodb.client.MongoCollection;
import com.mongodb.client.model.BulkWriteOptions;
import com.mongodb.client.model.FindOneAndDeleteOptions;
import com.mongodb.client.model.FindOneAndReplaceOptions;
import com.mongodb.client.model.FindOneAndUpdateOptions;
import com.mongodb.client.model.InsertManyOptions;
import com.mongodb.client.model.InsertOneOptions;
import com.mongodb.client.model.ReplaceOptions;
import com.mongodb.client.model.UpdateOptions;
import com.mongodb.client.model.WriteModel;
import com.mongodb.client.result.DeleteResult;
import com.mongodb.client.result.InsertManyResult;
import com.mongodb.client.result.InsertOneResult;
import com.mongodb.client.result.UpdateResult;
import dev.perfkit.cache.QueryCache;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Supplier;
import org.bson.BsonDocument;
import org.bson.ByteBuf;
import org.bson.Document;
import org.bson.RawBsonDocument;
import org.bson.codecs.BsonDocumentCodec;
import org.bson.codecs.DocumentCodec;
import org.bson.conversions.Bson;

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
 * <p><b>Consistency.</b> Reads are cached under a canonical key: database, collection, result class,
 * the {@linkplain MongoQueryOptimizer optimized} filter, sort and limit, so equivalent filters share
 * an entry. Every write through this wrapper invalidates all cached reads of the collection before
 * it returns (also when it fails, since a failed bulk write may have applied in part), and a read
 * that was loading while the write happened is not cached: a read after a write through the
 * wrapper never sees data from before the write. Writes made elsewhere — another wrapper instance,
 * another process, the shell — show once the entries expire after {@code ttl}.
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
    private static final DocumentCodec DOCUMENT_CODEC =
            new DocumentCodec(MongoClientSettings.getDefaultCodecRegistry());
    private static final BsonDocumentCodec BSON_DOCUMENT_CODEC = new BsonDocumentCodec();

    private final MongoCollection<T> collection;
    private final QueryCache cache;
    private final Duration ttl;
    private static final AtomicLong SCOPES = new AtomicLong();

    private final String prefix;
    private final boolean readOnlyDocuments;

    CachedCollection(MongoCollection<T> collection, Duration ttl, QueryCache cache) {
        this.collection = requireNonNull(collection, "collection");
        this.ttl = requireNonNull(ttl, "ttl");
        this.cache = requireNonNull(cache, "cache");
        if (ttl.isNegative()) {
            throw new IllegalArgumentException("ttl must not be negative: " + ttl);
        }
        MongoNamespace namespace = collection.getNamespace();
        // NUL cannot occur in a MongoDB namespace, so one collection's prefix never matches another's.
        // The scope number makes each wrapper's entries its own: a MongoCollection does not say which
        // client (cluster) it belongs to, and two servers with the same database and collection
        // names must never read each other's documents from a shared cache. The document class,
        // read preference and read concern that shape the results are in the prefix too.
        this.prefix = "mongo:" + namespace.getFullName() + '\u0000' + SCOPES.incrementAndGet() + ':'
                + collection.getDocumentClass().getName() + ':'
                + collection.getReadPreference().getName() + ':'
                + collection.getReadConcern().asDocument().toJson() + '\u0000';
        this.readOnlyDocuments = collection.getDocumentClass() == Document.class;
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
    List<T> load(Bson filter, Bson projection, Bson sort, int skip, int limit) {
        String key = prefix + "find:" + collection.getDocumentClass().getName() + ':' + canonical(filter) + ':'
                + (projection == null ? "" : bsonKey(projection)) + ':' + (sort == null ? "" : bsonKey(sort)) + ':'
                + skip + ':' + limit;
        return cache.getOrLoad(key, ttl, () -> {
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
        });
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
        Long count =
                cache.getOrLoad(prefix + "count:" + canonical(filter), ttl, () -> collection.countDocuments(filter));
        return count;
    }

    /**
     * Inserts a document and invalidates the collection's cached reads.
     *
     * @param document the document
     * @return the driver's result
     */
    public InsertOneResult insertOne(T document) {
        requireNonNull(document, "document");
        return write(() -> collection.insertOne(document));
    }

    /**
     * Updates one document and invalidates the collection's cached reads.
     *
     * @param filter which document
     * @param update the change
     * @return the driver's result
     */
    public UpdateResult updateOne(Bson filter, Bson update) {
        requireNonNull(filter, "filter");
        requireNonNull(update, "update");
        return write(() -> collection.updateOne(filter, update));
    }

    /**
     * Updates every matching document and invalidates the collection's cached reads.
     *
     * @param filter which documents
     * @param update the change
     * @return the driver's result
     */
    public UpdateResult updateMany(Bson filter, Bson update) {
        requireNonNull(filter, "filter");
        requireNonNull(update, "update");
        return write(() -> collection.updateMany(filter, update));
    }

    /**
     * Deletes one document and invalidates the collection's cached reads.
     *
     * @param filter which document
     * @return the driver's result
     */
    public DeleteResult deleteOne(Bson filter) {
        requireNonNull(filter, "filter");
        return write(() -> collection.deleteOne(filter));
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
        return cache.getOrLoad(
                prefix + "distinct:" + resultClass.getName() + ':' + fieldName + '\u0000' + canonical(filter),
                ttl,
                () -> List.copyOf(
                        collection.distinct(fieldName, filter, resultClass).into(new ArrayList<>())));
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
        return write(() -> collection.insertOne(document, options));
    }

    /**
     * Inserts documents and invalidates the collection's cached reads.
     *
     * @param documents the documents
     * @return the driver's result
     */
    public InsertManyResult insertMany(List<? extends T> documents) {
        requireNonNull(documents, "documents");
        return write(() -> collection.insertMany(documents));
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
        return write(() -> collection.insertMany(documents, options));
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
        return write(() -> collection.updateOne(filter, update, options));
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
        return write(() -> collection.updateMany(filter, update, options));
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
        return write(() -> collection.replaceOne(filter, replacement));
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
        return write(() -> collection.replaceOne(filter, replacement, options));
    }

    /**
     * Deletes every matching document and invalidates the collection's cached reads.
     *
     * @param filter which documents
     * @return the driver's result
     */
    public DeleteResult deleteMany(Bson filter) {
        requireNonNull(filter, "filter");
        return write(() -> collection.deleteMany(filter));
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
        return write(() -> collection.findOneAndUpdate(filter, update, options));
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
        return write(() -> collection.findOneAndReplace(filter, replacement, options));
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
        return write(() -> collection.findOneAndDelete(filter, options));
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
     * the collection's cached reads.
     *
     * @param operations the operations
     * @param options the options, passed to the driver unchanged
     * @return the driver's result
     */
    public BulkWriteResult bulkWrite(List<? extends WriteModel<? extends T>> operations, BulkWriteOptions options) {
        requireNonNull(operations, "operations");
        requireNonNull(options, "options");
        return write(() -> collection.bulkWrite(operations, options));
    }

    /**
     * Drops every cached read of this collection, for writes made around the wrapper.
     *
     * @return the number of entries dropped
     */
    public long invalidate() {
        return cache.invalidatePrefix(prefix);
    }

    /** Returns the wrapped collection, for operations the wrapper does not offer (they bypass the cache). */
    public MongoCollection<T> unwrap() {
        return collection;
    }

    private <R> R write(Supplier<R> write) {
        try {
            return write.get();
        } finally {
            cache.invalidatePrefix(prefix);
        }
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
     * The optimized filter's BSON bytes (Base64): one key per distinct filter, types and field order
     * included. JSON is not unambiguous: in relaxed mode a date and a literal {@code {"$date": ...}}
     * document render alike.
     */
    private static String canonical(Bson filter) {
        return bsonKey(MongoQueryOptimizer.optimizeQuery(filter));
    }

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
