package dev.perfkit.mongo;

import static java.util.Objects.requireNonNull;

import com.mongodb.MongoBulkWriteException;
import com.mongodb.MongoException;
import com.mongodb.bulk.BulkWriteError;
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
import java.util.function.Consumer;
import org.bson.BsonDocument;
import org.bson.codecs.Codec;
import org.bson.codecs.CollectibleCodec;
import org.bson.conversions.Bson;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A {@link BatchProcessor} of write operations over unordered {@code bulkWrite}: the seeds' batched
 * writes, with per-operation results. Create one with {@link MongoPerf#batchWriter(MongoCollection)}.
 *
 * <pre>{@code
 * try (MongoBatchWriter<Document> writes = MongoPerf.batchWriter(db.getCollection("users"))) {
 *     writes.add(new UpdateOneModel<>(eq("_id", id), set("last_seen", now)));
 *     writes.add(new InsertOneModel<>(new Document("user_id", 42)));
 * }
 * }</pre>
 *
 * <p><b>Per-operation outcome.</b> Each {@code add} returns a future for that operation alone. When
 * the server rejects some operations of a batch ({@code MongoBulkWriteException}), only their
 * futures fail, with a {@link WriteFailedException} carrying the server's code; the rest succeed.
 *
 * <p><b>Retries.</b> Transient failures ({@link MongoRetryPolicy}) are retried with perf-db's
 * exponential backoff — but only for operations that are safe to repeat: inserts (the writer gives
 * every inserted document an {@code _id} before sending it, so a repeat is a duplicate-key error,
 * which on a retry means "already landed" and counts as success), replacements, {@code $set} /
 * {@code $unset} / {@code $setOnInsert} updates (of one document only when it is selected by {@code
 * _id}), {@code deleteMany}, and {@code deleteOne} by {@code _id}. Other operations ({@code $inc},
 * {@code $push}, pipeline updates, ...) may or may not have been applied when a transient error
 * strikes, so they are not repeated: their futures fail with a {@link WriteFailedException} that
 * says so. Permanent failures go to the dead-letter handler and fail their futures.
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
        final CompletableFuture<Void> future = new CompletableFuture<>();
        volatile boolean attempted;

        Op(WriteModel<T> model, boolean repeatable) {
            this.model = model;
            this.repeatable = repeatable;
        }
    }

    private final MongoCollection<T> collection;
    private final BatchProcessor<Op<T>> processor;

    private MongoBatchWriter(
            MongoCollection<T> collection,
            PerfConfig config,
            Consumer<BatchProcessorBuilder<?>> options,
            DeadLetterHandler<WriteModel<T>> deadLetters) {
        this.collection = collection;
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
        requireNonNull(config, "config");
        requireNonNull(options, "options");
        requireNonNull(deadLetters, "deadLetters");
        return new MongoBatchWriter<>(collection, config, options, deadLetters);
    }

    @Override
    public CompletableFuture<Void> add(WriteModel<T> operation) {
        requireNonNull(operation, "operation");
        Op<T> op = new Op<>(operation, prepare(operation));
        processor.add(op).whenComplete((ignored, failure) -> {
            if (failure != null) {
                op.future.completeExceptionally(failure);
            } else {
                op.future.complete(null);
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

    /** The batch handler: writes what is still open, settles each op, throws only to ask for a retry. */
    private void write(List<Op<T>> batch) {
        List<Op<T>> open = new ArrayList<>(batch.size());
        for (Op<T> op : batch) {
            if (!op.future.isDone()) {
                open.add(op);
            }
        }
        if (open.isEmpty()) {
            return;
        }
        List<WriteModel<T>> models = new ArrayList<>(open.size());
        boolean retrying = false;
        for (Op<T> op : open) {
            models.add(op.model);
            retrying |= op.attempted;
            op.attempted = true;
        }
        try {
            collection.bulkWrite(models, new BulkWriteOptions().ordered(false));
            open.forEach(op -> op.future.complete(null));
        } catch (MongoBulkWriteException e) {
            boolean[] failed = new boolean[open.size()];
            for (BulkWriteError error : e.getWriteErrors()) {
                Op<T> op = open.get(error.getIndex());
                failed[error.getIndex()] = true;
                if (retrying && error.getCode() == DUPLICATE_KEY && op.model instanceof InsertOneModel<?>) {
                    op.future.complete(null); // a repeat of an insert that landed the first time
                } else {
                    op.future.completeExceptionally(new WriteFailedException(
                            "write rejected by the server (code " + error.getCode() + "): " + error.getMessage(),
                            error.getCode(),
                            e));
                }
            }
            if (e.getWriteConcernError() != null) {
                // Applied, but not confirmed as durable as asked: report it on every other op.
                WriteFailedException unconfirmed = new WriteFailedException(
                        "write applied but its write concern failed: "
                                + e.getWriteConcernError().getMessage(),
                        e.getWriteConcernError().getCode(),
                        e);
                for (int i = 0; i < open.size(); i++) {
                    if (!failed[i]) {
                        open.get(i).future.completeExceptionally(unconfirmed);
                    }
                }
            } else {
                for (int i = 0; i < open.size(); i++) {
                    if (!failed[i]) {
                        open.get(i).future.complete(null);
                    }
                }
            }
        } catch (MongoException e) {
            if (!MongoRetryPolicy.isTransient(e)) {
                throw e; // permanent: dead letters
            }
            for (Op<T> op : open) {
                if (!op.repeatable) {
                    op.future.completeExceptionally(new WriteFailedException(
                            "not retried after a transient failure: the operation is not safe to repeat and may or may"
                                    + " not have been applied",
                            -1,
                            e));
                }
            }
            throw e; // the processor retries the repeatable rest
        }
    }

    @Override
    public CompletableFuture<Void> flush() {
        return processor.flush();
    }

    @Override
    public BatchStats stats() {
        return processor.stats();
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
