package dev.perfkit.async;

import dev.perfkit.PerfException;

/**
 * A task a {@link TaskPool} did not run: its queue was full, or the task waited longer than the
 * pool's wait timeout for a free slot. The task was never started.
 */
public class TaskRejectedException extends PerfException {
    private static final long serialVersionUID = 1L;

    /**
     * Creates the exception.
     *
     * @param message why the task was not run
     */
    public TaskRejectedException(String message) {
        super(message);
    }
}
