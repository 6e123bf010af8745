package dev.perfkit.batch;

import java.util.concurrent.CompletableFuture;

/**
 * Groups items into batches and hands each batch to a handler, flushing when {@code batchSize}
 * items are pending or the oldest has waited {@code maxDelay}.
 *
 * <pre>{@code
 * try (BatchProcessor<WriteModel<Document>> writes = Perf.<WriteModel<Document>>batchProcessor(
 *                 batch -> users.bulkWrite(batch))
 *         .batchSize(50)
 *         .maxDelay(Duration.ofSeconds(1))
 *         .build()) {
 *     writes.add(new UpdateOneModel<>(eq("user_id", id), set("balance", balance)));
 * }                                                     // close() drains
 * }</pre>
 *
 * <p><b>No item is silently lost.</b> A failing batch is retried (transient errors, with backoff),
 * then handed to the dead-letter handler and its items' futures fail. A full queue blocks or
 * rejects per the {@link OverflowPolicy}. {@link #close()} stops accepting, flushes and waits.
 *
 * <p>Thread-safe: any number of threads may add.
 *
 * @param <T> the item type
 */
public interface BatchProcessor<T> extends AutoCloseable {

    /**
     * Accepts an item.
     *
     * @param item the item
     * @return a future completed when the item's batch was processed, or exceptionally with the
     *     batch's last failure when it failed for good
     * @throws NullPointerException if {@code item} is null
     * @throws BatchRejectedException if the queue is full and the overflow policy rejects the item
     * @throws IllegalStateException if the processor is closed
     */
    CompletableFuture<Void> add(T item);

    /**
     * Processes everything pending now, without waiting for the size or delay trigger.
     *
     * @return a future completed when everything that was pending at the call has finished
     */
    CompletableFuture<Void> flush();

    /** Returns the processor's counters. */
    BatchStats stats();

    /** Returns the processor's name, used in thread names, logs and metric tags. */
    String name();

    /**
     * Stops accepting items, flushes what is pending and waits up to the close timeout. When that
     * passes, items still queued fail unprocessed and items whose batch is still being processed
     * fail with an "outcome unknown" exception, so that no future of an accepted item is left
     * pending once {@code close()} returns. An {@code add} blocked on a full queue when the
     * processor closes throws {@link IllegalStateException} and its item is not accepted. Stops
     * every thread of the processor. Idempotent; a concurrent second call waits for the first.
     */
    @Override
    void close();
}
