package dev.perfkit.async;

import static java.util.Objects.requireNonNull;

/**
 * The outcome of one task of {@link TaskPool#gatherSettled}: a value or a failure, never both — the
 * seeds' {@code gather(..., return_exceptions=True)}.
 *
 * @param value the task's result when it succeeded (may be null); null when it failed
 * @param error the failure when the task failed; null when it succeeded
 * @param <T> the result type
 */
public record Outcome<T>(T value, Throwable error) {

    /**
     * Returns a successful outcome.
     *
     * @param value the result, may be null
     * @param <T> the result type
     * @return the outcome
     */
    public static <T> Outcome<T> success(T value) {
        return new Outcome<>(value, null);
    }

    /**
     * Returns a failed outcome.
     *
     * @param error the failure
     * @param <T> the result type
     * @return the outcome
     * @throws NullPointerException if {@code error} is null
     */
    public static <T> Outcome<T> failure(Throwable error) {
        return new Outcome<>(null, requireNonNull(error, "error"));
    }

    /** Returns whether the task succeeded. */
    public boolean isSuccess() {
        return error == null;
    }
}
