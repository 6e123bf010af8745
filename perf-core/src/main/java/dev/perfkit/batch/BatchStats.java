package dev.perfkit.batch;

/**
 * A snapshot of a {@link BatchProcessor}'s counters. Every accepted item ends up either processed or
 * failed: once the processor is idle, {@code added == processed + failed + pending}.
 *
 * @param added items accepted by {@code add}
 * @param processed items whose batch succeeded
 * @param failed items whose batch failed for good
 * @param batches batches completed (successfully or not)
 * @param retried batch attempts that were retried
 * @param rejected items refused by the overflow policy (never accepted, so not in {@code added})
 * @param pending items accepted and not yet finished (queued or in flight)
 * @param averageBatchSize mean items per completed batch
 */
public record BatchStats(
        long added,
        long processed,
        long failed,
        long batches,
        long retried,
        long rejected,
        long pending,
        double averageBatchSize) {}
