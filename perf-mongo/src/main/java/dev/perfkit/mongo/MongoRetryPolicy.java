package dev.perfkit.mongo;

import com.mongodb.MongoException;
import com.mongodb.MongoNodeIsRecoveringException;
import com.mongodb.MongoNotPrimaryException;
import com.mongodb.MongoSocketException;
import com.mongodb.MongoTimeoutException;
import java.util.concurrent.CompletionException;
import java.util.function.Predicate;

/**
 * Which MongoDB failures are worth retrying: the transient ones. Usable wherever perfkit takes a
 * retry predicate:
 *
 * <pre>{@code
 * Retry retry = Retries.retry("balances", MongoRetryPolicy.transientErrors());
 * Perf.batchProcessor(handler).retryOn(MongoRetryPolicy.transientErrors()).build();
 * }</pre>
 *
 * <p>Transient: errors labelled {@code RetryableWriteError} or {@code TransientTransactionError} by
 * the server or driver, socket errors, timeouts (server selection, connection pool, socket reads),
 * "not primary" and "node is recovering" (an election in progress), and the server codes for
 * interrupted, shutting-down or unreachable nodes. Everything else — duplicate keys, validation,
 * bad queries, authorization — is permanent: retrying would fail the same way.
 */
public final class MongoRetryPolicy {
    private static final Predicate<Throwable> TRANSIENT = MongoRetryPolicy::isTransient;

    /** Server error codes of transient conditions (network, elections, shutdown, exceeded time). */
    private static final int[] TRANSIENT_CODES = {
        6, // HostUnreachable
        7, // HostNotFound
        89, // NetworkTimeout
        91, // ShutdownInProgress
        189, // PrimarySteppedDown
        262, // ExceededTimeLimit
        9001, // SocketException
        10107, // NotWritablePrimary
        11600, // InterruptedAtShutdown
        11602, // InterruptedDueToReplStateChange
        13435, // NotPrimaryNoSecondaryOk
        13436, // NotPrimaryOrSecondary
    };

    private MongoRetryPolicy() {}

    /** Returns the predicate form of {@link #isTransient(Throwable)}. */
    public static Predicate<Throwable> transientErrors() {
        return TRANSIENT;
    }

    /**
     * Tells whether a failure is transient. Looks through {@link CompletionException} wrappers and
     * causes.
     *
     * @param failure the failure
     * @return true when retrying may succeed
     */
    public static boolean isTransient(Throwable failure) {
        Throwable current = failure;
        for (int depth = 0; current != null && depth < 8; depth++, current = current.getCause()) {
            if (current instanceof MongoSocketException
                    || current instanceof MongoTimeoutException
                    || current instanceof MongoNotPrimaryException
                    || current instanceof MongoNodeIsRecoveringException) {
                return true;
            }
            if (current instanceof MongoException mongo) {
                if (mongo.hasErrorLabel("RetryableWriteError")
                        || mongo.hasErrorLabel(MongoException.TRANSIENT_TRANSACTION_ERROR_LABEL)) {
                    return true;
                }
                for (int code : TRANSIENT_CODES) {
                    if (mongo.getCode() == code) {
                        return true;
                    }
                }
                return false;
            }
            if (!(current instanceof CompletionException)) {
                return false;
            }
        }
        return false;
    }
}
