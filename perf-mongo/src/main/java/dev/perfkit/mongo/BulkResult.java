package dev.perfkit.mongo;

import java.util.List;

/**
 * The outcome of {@link BulkOperations#bulkWrite}: counts summed over every chunk, and one error per
 * failed operation with its index in the caller's list.
 *
 * @param inserted documents inserted (as the server reports them)
 * @param matched documents matched by updates and replacements
 * @param modified documents modified
 * @param deleted documents deleted
 * @param upserted documents upserted
 * @param errors the failed operations, by their index in the caller's list
 */
public record BulkResult(
        long inserted, long matched, long modified, long deleted, long upserted, List<ItemError> errors) {
    /** Copies the errors. */
    public BulkResult {
        errors = List.copyOf(errors);
    }

    /** Returns whether every operation succeeded. */
    public boolean succeeded() {
        return errors.isEmpty();
    }

    /**
     * One failed operation.
     *
     * @param index its position in the list given to {@code bulkWrite}
     * @param code the server's error code
     * @param message the server's message
     */
    public record ItemError(int index, int code, String message) {}
}
