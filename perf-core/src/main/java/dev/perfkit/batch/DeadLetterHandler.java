package dev.perfkit.batch;

import java.util.List;

/**
 * Receives a batch that failed for good (after its retries), before the items' futures fail. Use it
 * to park the items somewhere durable. It must not throw; if it does, the exception is logged.
 *
 * @param <T> the item type
 */
@FunctionalInterface
public interface DeadLetterHandler<T> {

    /**
     * Takes a failed batch.
     *
     * @param batch the items of the failed batch
     * @param cause the last failure
     */
    void accept(List<T> batch, Throwable cause);
}
