package dev.perfkit.batch;

import java.util.List;
import java.util.concurrent.CompletionStage;

/**
 * Processes one batch asynchronously. The returned stage completing exceptionally (or the method
 * throwing) fails the batch: it is retried, then dead-lettered.
 *
 * @param <T> the item type
 */
@FunctionalInterface
public interface AsyncBatchHandler<T> {

    /**
     * Starts processing a batch.
     *
     * @param batch the items, in the order they were added; never empty; do not keep it
     * @return a stage that completes when the batch is processed
     */
    CompletionStage<?> process(List<T> batch);
}
