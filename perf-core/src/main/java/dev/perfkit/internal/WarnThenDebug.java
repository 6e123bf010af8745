package dev.perfkit.internal;

import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;

/**
 * Logs a recurring failure once at WARN with its stack trace, then at DEBUG: something broken is
 * never silent, and a hot path that fails on every call does not flood the host's log (the pattern
 * of Micrometer's {@code WarnThenDebugLogger}). Thread-safe.
 */
public final class WarnThenDebug {
    private final Logger logger;
    private final AtomicBoolean warned = new AtomicBoolean();

    /**
     * Creates one for a logger; keep one instance per kind of failure.
     *
     * @param logger where to log
     */
    public WarnThenDebug(Logger logger) {
        this.logger = logger;
    }

    /**
     * Logs a failure: at WARN the first time (with a note that repeats go to DEBUG), at DEBUG after.
     *
     * @param message what failed
     * @param failure the cause
     */
    public void log(String message, Throwable failure) {
        if (warned.compareAndSet(false, true)) {
            logger.warn("{} (further occurrences are logged at DEBUG)", message, failure);
        } else if (logger.isDebugEnabled()) {
            logger.debug(message, failure);
        }
    }
}
