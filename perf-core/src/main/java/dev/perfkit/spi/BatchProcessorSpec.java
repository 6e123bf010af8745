package dev.perfkit.spi;

import dev.perfkit.batch.AsyncBatchHandler;
import dev.perfkit.batch.BatchHandler;
import dev.perfkit.batch.BatchProcessorBuilder;
import dev.perfkit.batch.DeadLetterHandler;
import dev.perfkit.batch.OverflowPolicy;
import io.micrometer.core.instrument.MeterRegistry;
import java.time.Duration;
import java.util.function.Predicate;

/**
 * The checked settings of a batch processor, produced by {@link BatchProcessorBuilder#build()} and
 * consumed by a {@link BatchProcessorFactory}: read-only, and an interface so that a new option is
 * one more method (with a default) rather than a new constructor parameter that breaks every
 * implementation. Exactly one of {@link #handler()} and {@link #asyncHandler()} is non-null. Each
 * value has been checked by the builder (see its Javadoc for the ranges).
 *
 * @param <T> the item type
 */
public interface BatchProcessorSpec<T> {

    /** Returns the processor's name. */
    String name();

    /** Returns the synchronous handler, or null when {@link #asyncHandler()} is set. */
    BatchHandler<T> handler();

    /** Returns the asynchronous handler, or null when {@link #handler()} is set. */
    AsyncBatchHandler<T> asyncHandler();

    /** Returns the number of items per batch. */
    int batchSize();

    /** Returns the longest wait of the oldest pending item. */
    Duration maxDelay();

    /** Returns how many pending items are held before the overflow policy applies. */
    int maxPending();

    /** Returns what a full queue does. */
    OverflowPolicy overflowPolicy();

    /** Returns the longest wait for room under {@link OverflowPolicy#BLOCK}. */
    Duration offerTimeout();

    /** Returns how many batches are processed at once. */
    int maxInFlight();

    /** Returns the attempts per batch, the first included. */
    int maxAttempts();

    /** Returns the wait before the first retry. */
    Duration initialBackoff();

    /** Returns the growth of the wait per retry. */
    double backoffMultiplier();

    /** Returns the cap on the wait between retries. */
    Duration maxBackoff();

    /** Returns which failures are retried. */
    Predicate<Throwable> retryOn();

    /** Returns who receives batches that failed for good. */
    DeadLetterHandler<T> deadLetterHandler();

    /** Returns how long {@code close()} waits for the drain. */
    Duration closeTimeout();

    /** Returns whether a JVM shutdown hook drains the processor. */
    boolean drainOnShutdown();

    /** Returns where the processor's meters go. */
    MeterRegistry meterRegistry();

    /** Returns whether the handler is asynchronous. */
    default boolean isAsync() {
        return asyncHandler() != null;
    }
}
