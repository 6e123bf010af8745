package dev.perfkit.batch;

import dev.perfkit.PerfException;

/**
 * Thrown by {@link BatchProcessor#add(Object)} when the pending queue is full and the overflow
 * policy rejects the item (or the wait for room timed out). The item was not accepted; nothing
 * accepted before is affected.
 */
public class BatchRejectedException extends PerfException {
    private static final long serialVersionUID = 1L;

    /**
     * Creates the exception.
     *
     * @param message the processor, its bound and the policy
     */
    public BatchRejectedException(String message) {
        super(message);
    }
}
