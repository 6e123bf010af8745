package dev.perfkit;

/**
 * Thrown when a configuration value is invalid. The message names the variable, the value, where
 * the value came from and what would have been accepted, for example {@code Invalid
 * PERFORMANCE_MODE 'turbo' (from environment variable): accepted values are low, medium, high}.
 */
public class PerfConfigException extends PerfException {
    private static final long serialVersionUID = 1L;

    /**
     * Creates an exception with a message.
     *
     * @param message the variable, the value and what is accepted
     */
    public PerfConfigException(String message) {
        super(message);
    }

    /**
     * Creates an exception with a message and a cause.
     *
     * @param message the variable, the value and what is accepted
     * @param cause the underlying failure
     */
    public PerfConfigException(String message, Throwable cause) {
        super(message, cause);
    }
}
