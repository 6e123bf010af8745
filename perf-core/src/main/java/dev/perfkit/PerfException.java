package dev.perfkit;

/**
 * The root of every exception perfkit throws for its own reasons (configuration, state, missing
 * modules). Argument errors are reported with the JDK's {@link NullPointerException} and {@link
 * IllegalArgumentException} instead.
 */
public class PerfException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    /**
     * Creates an exception with a message.
     *
     * @param message what went wrong and, where possible, how to fix it
     */
    public PerfException(String message) {
        super(message);
    }

    /**
     * Creates an exception with a message and a cause.
     *
     * @param message what went wrong and, where possible, how to fix it
     * @param cause the underlying failure
     */
    public PerfException(String message, Throwable cause) {
        super(message, cause);
    }
}
