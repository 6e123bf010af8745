package dev.perfkit.mongo;

import static java.util.Objects.requireNonNull;

import com.mongodb.MongoBulkWriteException;
import com.mongodb.MongoException;
import com.mongodb.bulk.BulkWriteError;
import com.mongodb.bulk.BulkWriteResult;
import com.mongodb.bulk.BulkWriteUpsert;
import com.mongodb.client.MongoCollection;
import com.mongodb.client.model.BulkWriteOptions;
import com.mongodb.client.model.DeleteManyModel;
import com.mongodb.client.model.DeleteOneModel;
import com.mongodb.client.model.InsertOneModel;
import com.mongodb.client.model.ReplaceOneModel;
import com.mongodb.client.model.UpdateManyModel;
import com.mongodb.client.model.UpdateOneModel;
import com.mongodb.client.model.WriteModel;
import dev.perfkit.PerfConfig;
import dev.perfkit.PerfException;
import dev.perfkit.batch.BatchProcessor;
import dev.perfkit.batch.BatchProcessorBuilder;
import dev.perfkit.batch.BatchStats;
import dev.perfkit.batch.DeadLetterHandler;
import dev.perfkit.db.BatchProcessors;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.Consumer;
import org.bson.BsonDocument;
import org.bson.BsonDocumentWriter;
import org.bson.BsonValue;
import org.bson.codecs.Codec;
import org.bson.codecs.CollectibleCodec;
import org.bson.codecs.EncoderContext;
import org.bson.conversions.Bson;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A {@link BatchProcessor} of write operations over ordered {@code bulkWrite}s: the seeds' batched
 * writes, with per-operation results. Create one with {@link MongoPerf#batchWriter(MongoCollection)}.
 *
 * <pre>{@code
 * try (MongoBatchWriter<Document> writes = MongoPerf.batchWriter(db.getCollection("users"))) {
 *     writes.add(new UpdateOneModel<>(eq("_id", id), set("last_seen", now)));
 *     writes.add(new InsertOneModel<>(new Document("user_id", 42)));
 * }
 * }</pre>
 *
 * <p><b>Order.</b> Operations apply in the order they were added (with the default {@code
 * maxInFlight(1)}): an insert followed by an update of the same document always finds the
 * document. Nothing is regrouped by type; consecutive operations of one type still travel in one
 * command, as the driver sends them.
 *
 * <p><b>Per-operation outcome.</b> Each {@code add} returns a future for that operation alone. When
 * the server rejects an operation, only its future fails, with a {@link WriteFailedException}
 * carrying the server's code; the writer goes on with the operations after it. {@link
 * #addWithResult} also gives the operation's own counts and inserted or upserted {@code _id}.
 *
 * <p><b>Retries.</b> Transient failures ({@link MongoRetryPolicy}) are retried with perf-db's
 * exponential backoff — but only for operations that are safe to repeat: inserts (the writer gives
 * every inserted document an {@code _id} before sending it, so a repeat is a duplicate-key error;
 * on a retry, that error counts as success only when the stored document with that {@code _id} is
 * exactly the one this writer sent — a collision with other data, on {@code _id} or another unique
 * index, fails the future), replacements, {@code $set} /
 * {@code $unset} / {@code $setOnInsert} updates (of one document only when it is selected by {@code
 * _id}), {@code deleteMany}, and {@code deleteOne} by {@code _id}. Other operations ({@code $inc},
 * {@code $push}, pipeline updates, ...) may or may not have been applied when a transient error
 * strikes, so they are not repeated: their futures fail with a {@link WriteFailedException} that
 * says so. Permanent failures go to the dead-letter handler and fail their futures.
 *
 * <p><b>Cached reads.</b> A writer over a raw collection writes around any {@link CachedCollection}
 * of that collection: for the wrapper its batches are writes made elsewhere, seen once cached reads
 * expire. When the collection is also read through a wrapper, create the writer over the wrapper
 * ({@link MongoPerf#batchWriter(CachedCollection)}): each batch then goes through the wrapper's
 * {@code bulkWrite}, which invalidates every cached read it may have changed before the operations'
 * futures complete.
 *
 * <p>Thread-safe.
 *
 * @param <T> the document type
 */
public final class MongoBatchWriter<T> implements BatchProcessor<WriteModel<T>> {
    private static final Logger log = LoggerFactory.getLogger(MongoBatchWriter.class);
    private static final int DUPLICATE_KEY = 11000;
    private static final Set<String> IDEMPOTENT_OPERATORS = Set.of("$set", "$unset", "$setOnInsert");

    /** A write operation that failed for good. */
    public static final class WriteFailedException extends PerfException {
        private static final long serialVersionUID = 1L;
        private final int code;

        WriteFailedException(String message, int code, Throwable cause) {
            super(message, cause);
            this.code = code;
        }

        /** Returns the server's error code, or -1 when the failure was not a server write error. */
        public int code() {
            return code;
        }
    }

    private static final class Op<T> {
        final WriteModel<T> model;
        final boolean repeatable;
        /** Whether the caller asked for this operation's own counts (see addWithResult). */
        final boolean wantsOutcome;
        /** Completes with the outcome when wanted, else with null. */
        final CompletableFuture<WriteOutcome> future = new CompletableFuture<>();

        volatile int sends; // only the processor's one in-flight handler call touches it at a time

        Op(WriteModel<T> model, boolean repeatable, boolean wantsOutcome) {
            this.model = model;
            this.repeatable = repeatable;
            this.wantsOutcome = wantsOutcome;
        }

        /** Whether the operation changes bulk counts (matched/modified/deleted/upserts): all but inserts. */
        boolean counted() {
            return !(model instanceof InsertOneModel<?>);
        }
    }

    private static final BulkWriteOptions ORDERED = new BulkWriteOptions().ordered(true);

    /** Where a batch is sent: the collection, or a cached collection in front of it. */
    private interface BulkWrites<T> {
        BulkWriteResult send(List<WriteModel<T>> models);
    }

    private final MongoCollection<T> collection;
    private final BulkWrites<T> bulkWrites;
    private final BatchProcessor<Op<T>> processor;
    private final LongAdder added = new LongAdder();
    private final LongAdder succeeded = new LongAdder();
    private final LongAdder failed = new LongAdder();

    private MongoBatchWriter(
            MongoCollection<T> collection,
            BulkWrites<T> bulkWrites,
            PerfConfig config,
            Consumer<BatchProcessorBuilder<?>> options,
            DeadLetterHandler<WriteModel<T>> deadLetters) {
        this.collection = collection;
        this.bulkWrites = bulkWrites;
        BatchProcessorBuilder<Op<T>> builder = BatchProcessors.builder(config, this::write)
                .name("mongo-" + collection.getNamespace().getFullName())
                .retryOn(MongoRetryPolicy.transientErrors())
                .deadLetterHandler((batch, cause) -> {
                    List<WriteModel<T>> models = new ArrayList<>();
                    for (Op<T> op : batch) {
                        if (!op.future.isDone()) {
                            models.add(op.model);
                        }
                    }
                    if (!models.isEmpty()) {
                        try {
                            deadLetters.accept(models, cause);
                        } catch (RuntimeException e) {
                            log.error("Dead-letter handler of {} failed", name(), e);
                        }
                    }
                });
        options.accept(builder);
        this.processor = builder.build();
    }

    /**
     * Creates a writer with the configuration's batch settings; {@code options} may change any
     * setting of the underlying {@link BatchProcessorBuilder} (batch size, delay, retry, ...).
     *
     * @param collection the collection to write to
     * @param config the configuration
     * @param options adjusts the processor, e.g. {@code b -> b.batchSize(500)}
     * @param deadLetters receives operations that failed for good
     * @param <T> the document type
     * @return a running writer
     */
    public static <T> MongoBatchWriter<T> create(
            MongoCollection<T> collection,
            PerfConfig config,
            Consumer<BatchProcessorBuilder<?>> options,
            DeadLetterHandler<WriteModel<T>> deadLetters) {
        requireNonNull(collection, "collection");
        checkSettings(config, options, deadLetters);
        return new MongoBatchWriter<>(
                collection, models -> collection.bulkWrite(models, ORDERED), config, options, deadLetters);
    }

    private static void checkSettings(
            PerfConfig config, Consumer<BatchProcessorBuilder<?>> options, DeadLetterHandler<?> deadLetters) {
        requireNonNull(config, "config");
        requireNonNull(options, "options");
        requireNonNull(deadLetters, "deadLetters");
        DriverRequirement.check();
    }

    /**
     * Creates a writer whose batches go through a cached collection: like {@link
     * #create(MongoCollection, PerfConfig, Consumer, DeadLetterHandler)}, and each batch invalidates
     * the wrapper's cached reads it may have changed (the wrapper's {@code bulkWrite}) before its
     * operations' futures complete, so a read that starts after a future completed sees the write.
     *
     * @param collection the cached collection whose reads must see these writes
     * @param config the configuration
     * @param options adjusts the processor, e.g. {@code b -> b.batchSize(500)}
     * @param deadLetters receives operations that failed for good
     * @param <T> the document type
     * @return a running writer
     */
    public static <T> MongoBatchWriter<T> create(
            CachedCollection<T> collection,
            PerfConfig config,
            Consumer<BatchProcessorBuilder<?>> options,
            DeadLetterHandler<WriteModel<T>> deadLetters) {
        requireNonNull(collection, "collection");
        checkSettings(config, options, deadLetters);
        return new MongoBatchWriter<>(
                collection.unwrap(), models -> collection.bulkWrite(models, ORDERED), config, options, deadLetters);
    }

    @Override
    public CompletableFuture<Void> add(WriteModel<T> operation) {
        return enqueue(operation, false).thenApply(outcome -> null);
    }

    /**
     * Adds an operation like {@link #add}, and returns what exactly it did: matched, modified or
     * deleted counts, the inserted or upserted {@code _id}. Use it where the caller acts on the
     * result — a debit whose filter requires enough balance, an upsert that creates a profile.
     *
     * <p>A bulk write reports counts per command, not per operation, so the writer sends such an
     * operation in a command where it is the only update, replacement or delete (inserts still
     * travel with it): a batch of many of them costs one round trip each. Plain {@code add}s keep
     * sharing commands.
     *
     * @param operation the write
     * @return a future completing with the outcome, or failing as {@link #add}'s does
     * @throws NullPointerException if {@code operation} is null
     * @throws IllegalStateException if the writer is closed
     */
    public CompletableFuture<WriteOutcome> addWithResult(WriteModel<T> operation) {
        return enqueue(operation, true);
    }

    private CompletableFuture<WriteOutcome> enqueue(WriteModel<T> operation, boolean wantsOutcome) {
        requireNonNull(operation, "operation");
        Op<T> op = new Op<>(operation, prepare(operation), wantsOutcome);
        CompletableFuture<Void> batchDone = processor.add(op);
        added.increment();
        batchDone.whenComplete((ignored, failure) -> {
            if (failure != null) {
                fail(op, failure);
            } else {
                succeed(op, null);
            }
        });
        return op.future;
    }

    /** Gives inserted documents an _id now, so that a repeat is recognisable; says if the op may be repeated. */
    private boolean prepare(WriteModel<T> operation) {
        if (operation instanceof InsertOneModel<T> insert) {
            Codec<T> codec = collection.getCodecRegistry().get(collection.getDocumentClass());
            if (codec instanceof CollectibleCodec<T> collectible) {
                collectible.generateIdIfAbsentFromDocument(insert.getDocument());
                return true;
            }
            return false;
        }
        if (operation instanceof ReplaceOneModel<?> || operation instanceof DeleteManyModel<?>) {
            return true;
        }
        if (operation instanceof DeleteOneModel<?> delete) {
            return selectsById(delete.getFilter());
        }
        if (operation instanceof UpdateOneModel<?> update) {
            return update.getUpdate() != null && idempotent(update.getUpdate()) && selectsById(update.getFilter());
        }
        if (operation instanceof UpdateManyModel<?> update) {
            return update.getUpdate() != null && idempotent(update.getUpdate());
        }
        return false;
    }

    private boolean idempotent(Bson update) {
        BsonDocument document = update.toBsonDocument(collection.getDocumentClass(), collection.getCodecRegistry());
        return !document.isEmpty() && IDEMPOTENT_OPERATORS.containsAll(document.keySet());
    }

    private boolean selectsById(Bson filter) {
        BsonDocument document = filter.toBsonDocument(collection.getDocumentClass(), collection.getCodecRegistry());
        return document.size() == 1
                && document.containsKey("_id")
                && !(document.get("_id").isDocument()
                        && document.get("_id").asDocument().keySet().stream().anyMatch(k -> k.startsWith("$")));
    }

    /**
     * The batch handler: writes what is still open, in order, settles each op, throws only to ask
     * for a retry.
     *
     * <p>The bulk write is ordered, so operations on one document apply in the order they were
     * added (an unordered bulk write lets the driver regroup by type: an update sent ahead of the
     * insert it was meant for matches nothing and is acknowledged). An ordered bulk write stops at
     * its first rejected operation; that one fails alone and the writer resumes right after it.
     */
    private void write(List<Op<T>> batch) {
        List<Op<T>> open = new ArrayList<>(batch.size());
        for (Op<T> op : batch) {
            if (!op.future.isDone()) {
                open.add(op);
            }
        }
        int from = 0;
        while (from < open.size()) {
            List<Op<T>> sending = open.subList(from, commandEnd(open, from));
            List<WriteModel<T>> models = new ArrayList<>(sending.size());
            for (Op<T> op : sending) {
                models.add(op.model);
                op.sends++;
            }
            try {
                BulkWriteResult result = bulkWrites.send(models);
                for (int i = 0; i < sending.size(); i++) {
                    succeed(sending.get(i), outcome(sending.get(i), i, result));
                }
                from += sending.size();
            } catch (MongoBulkWriteException e) {
                from += settlePartial(sending, e);
            } catch (MongoException e) {
                if (!MongoRetryPolicy.isTransient(e)) {
                    throw e; // permanent: dead letters
                }
                for (Op<T> op : sending) {
                    if (!op.repeatable) {
                        fail(
                                op,
                                new WriteFailedException(
                                        "not retried after a transient failure: the operation is not safe to repeat"
                                                + " and may or may not have been applied",
                                        -1,
                                        e));
                    }
                }
                throw e; // the processor retries the repeatable rest
            }
        }
    }

    /**
     * Where the command starting at {@code from} ends: an operation that wants its own counts must
     * be the only counted operation (update, replacement, delete) in its command, since the server
     * reports counts per command.
     */
    private static <T> int commandEnd(List<Op<T>> open, int from) {
        boolean counted = false;
        boolean exact = false;
        int end = from;
        while (end < open.size()) {
            Op<T> op = open.get(end);
            if (op.counted()) {
                if (counted && (exact || op.wantsOutcome)) {
                    break;
                }
                counted = true;
                exact |= op.wantsOutcome;
            }
            end++;
        }
        return end;
    }

    /** The outcome of the op at {@code index} of a command, when it asked for one (else null). */
    private WriteOutcome outcome(Op<T> op, int index, BulkWriteResult result) {
        if (!op.wantsOutcome) {
            return null;
        }
        if (op.model instanceof InsertOneModel<T> insert) {
            return inserted(insert, result.wasAcknowledged());
        }
        if (!result.wasAcknowledged()) {
            return new WriteOutcome(false, 0, 0, 0, null, null);
        }
        BsonValue upserted = null;
        for (BulkWriteUpsert upsert : result.getUpserts()) {
            if (upsert.getIndex() == index) {
                upserted = upsert.getId();
            }
        }
        // This op is the command's only counted one (commandEnd), so the command's counts are its own.
        return new WriteOutcome(
                true, result.getMatchedCount(), result.getModifiedCount(), result.getDeletedCount(), null, upserted);
    }

    /** An insert's outcome: the {@code _id} it was given in {@link #prepare}, when the codec can tell. */
    private WriteOutcome inserted(InsertOneModel<T> insert, boolean acknowledged) {
        T document = insert.getDocument();
        Codec<T> codec = collection.getCodecRegistry().get(collection.getDocumentClass());
        BsonValue id = codec instanceof CollectibleCodec<T> collectible && collectible.documentHasId(document)
                ? collectible.getDocumentId(document)
                : null;
        return new WriteOutcome(acknowledged, 0, 0, 0, id, null);
    }

    /**
     * Settles the operations an ordered bulk write reached before it stopped; returns how many of
     * {@code sending} are settled (those after the rejected one were not attempted).
     */
    private int settlePartial(List<Op<T>> sending, MongoBulkWriteException e) {
        WriteFailedException unconfirmed = e.getWriteConcernError() == null
                ? null
                : new WriteFailedException(
                        "write applied but its write concern failed: "
                                + e.getWriteConcernError().getMessage(),
                        e.getWriteConcernError().getCode(),
                        e);
        int rejected = e.getWriteErrors().isEmpty()
                ? sending.size()
                : e.getWriteErrors().get(0).getIndex();
        for (int i = 0; i < rejected; i++) {
            if (unconfirmed != null) {
                fail(sending.get(i), unconfirmed);
            } else {
                succeed(sending.get(i), outcome(sending.get(i), i, e.getWriteResult()));
            }
        }
        if (rejected == sending.size()) {
            return rejected;
        }
        BulkWriteError error = e.getWriteErrors().get(0);
        Op<T> op = sending.get(rejected);
        if (error.getCode() == DUPLICATE_KEY && op.sends > 1 && isOwnEarlierInsert(op)) {
            // our earlier attempt landed before the transient failure
            succeed(op, op.wantsOutcome ? inserted((InsertOneModel<T>) op.model, true) : null);
        } else {
            fail(
                    op,
                    new WriteFailedException(
                            "write rejected by the server (code " + error.getCode() + "): " + error.getMessage(),
                            error.getCode(),
                            e));
        }
        return rejected + 1;
    }

    /**
     * After a retry, tells a duplicate-key error caused by this writer's own earlier attempt from a
     * collision with other data: the stored document with the insert's {@code _id} must be exactly
     * (BSON equality, field order included) the document this writer sent. A collision on another
     * unique index, or a reused {@code _id} holding other data, is a real failure.
     */
    private boolean isOwnEarlierInsert(Op<T> op) {
        if (!(op.model instanceof InsertOneModel<T> insert)) {
            return false;
        }
        BsonDocument sent = toBson(insert.getDocument());
        BsonValue id = sent.get("_id");
        if (id == null) {
            return false;
        }
        BsonDocument stored = collection
                .withDocumentClass(BsonDocument.class)
                .find(new BsonDocument("_id", id))
                .first();
        return stored != null && BsonEquality.equalInOrder(sent, stored);
    }

    @SuppressWarnings("unchecked")
    private BsonDocument toBson(T document) {
        Codec<T> codec = (Codec<T>) collection.getCodecRegistry().get(document.getClass());
        BsonDocument out = new BsonDocument();
        codec.encode(
                new BsonDocumentWriter(out),
                document,
                EncoderContext.builder().isEncodingCollectibleDocument(true).build());
        return out;
    }

    private void succeed(Op<T> op, WriteOutcome outcome) {
        if (!op.future.isDone()) {
            succeeded.increment(); // counters before futures: stats() never lags what a caller saw
            op.future.complete(outcome);
        }
    }

    private void fail(Op<T> op, Throwable failure) {
        if (!op.future.isDone()) {
            failed.increment();
            op.future.completeExceptionally(failure);
        }
    }

    @Override
    public CompletableFuture<Void> flush() {
        return processor.flush();
    }

    /**
     * Returns the writer's counters, per operation: {@code processed} counts operations applied,
     * {@code failed} operations whose future failed (rejected by the server, not safe to retry, or
     * in a batch that failed for good), whatever happened to the rest of their batch.
     */
    @Override
    public BatchStats stats() {
        BatchStats batches = processor.stats();
        long done = succeeded.sum();
        long failures = failed.sum();
        long accepted = added.sum();
        return new BatchStats(
                accepted,
                done,
                failures,
                batches.batches(),
                batches.retried(),
                batches.rejected(),
                Math.max(0, accepted - done - failures),
                batches.averageBatchSize());
    }

    @Override
    public String name() {
        return processor.name();
    }

    /** Returns the collection written to. */
    public MongoCollection<T> collection() {
        return collection;
    }

    @Override
    public void close() {
        processor.close();
    }
}
