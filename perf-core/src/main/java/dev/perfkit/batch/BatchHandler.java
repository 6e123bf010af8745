package dev.perfkit.batch;

import java.util.List;

/**
 * Processes one batch synchronously, for example with one {@code bulkWrite}. Throwing fails the
 * batch: it is retried per the processor's retry settings, then dead-lettered.
 *
 * @param <T> the item type
 */
@FunctionalInterface
public interface BatchHandler<T> {

    /**
     * Processes a batch.
     *
     * @param batch the items, in the order they were added; never empty; do not keep it
     * @throws Exception to fail the batch
     */
    void process(List<T> batch) throws Exception;
}
