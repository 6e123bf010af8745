package dev.perfkit.batch;

import io.micrometer.core.instrument.MeterRegistry;
import java.time.Duration;
import java.util.function.Predicate;

/**
 * The checked settings of a batch processor, produced by {@link BatchProcessorBuilder#build()} and
 * consumed by a {@link BatchProcessorFactory}. Exactly one of {@code handler} and {@code
 * asyncHandler} is non-null.
 *
 * @param name the processor's name
 * @param handler the synchronous handler, or null
 * @param asyncHandler the asynchronous handler, or null
 * @param batchSize items per batch
 * @param maxDelay longest wait of the oldest pending item
 * @param maxPending pending items before the overflow policy applies
 * @param overflowPolicy what a full queue does
 * @param offerTimeout longest wait for room under {@link OverflowPolicy#BLOCK}
 * @param maxInFlight batches processed at once
 * @param maxAttempts attempts per batch, the first included
 * @param initialBackoff wait before the first retry
 * @param backoffMultiplier growth of the wait per retry
 * @param maxBackoff cap on the wait
 * @param retryOn which failures are retried
 * @param deadLetterHandler receives batches that failed for good
 * @param closeTimeout how long {@code close()} waits for the drain
 * @param drainOnShutdown whether a JVM shutdown hook drains the processor
 * @param meterRegistry where the processor's meters go
 * @param <T> the item type
 */
public record BatchProcessorSpec<T>(
        String name,
        BatchHandler<T> handler,
        AsyncBatchHandler<T> asyncHandler,
        int batchSize,
        Duration maxDelay,
        int maxPending,
        OverflowPolicy overflowPolicy,
        Duration offerTimeout,
        int maxInFlight,
        int maxAttempts,
        Duration initialBackoff,
        double backoffMultiplier,
        Duration maxBackoff,
        Predicate<Throwable> retryOn,
        DeadLetterHandler<T> deadLetterHandler,
        Duration closeTimeout,
        boolean drainOnShutdown,
        MeterRegistry meterRegistry) {

    /** Returns whether the handler is asynchronous. */
    public boolean isAsync() {
        return asyncHandler != null;
    }
}
