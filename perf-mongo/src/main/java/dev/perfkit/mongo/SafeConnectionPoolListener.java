package dev.perfkit.mongo;

import com.mongodb.event.ConnectionCheckOutFailedEvent;
import com.mongodb.event.ConnectionCheckOutStartedEvent;
import com.mongodb.event.ConnectionCheckedInEvent;
import com.mongodb.event.ConnectionCheckedOutEvent;
import com.mongodb.event.ConnectionClosedEvent;
import com.mongodb.event.ConnectionCreatedEvent;
import com.mongodb.event.ConnectionPoolClearedEvent;
import com.mongodb.event.ConnectionPoolClosedEvent;
import com.mongodb.event.ConnectionPoolCreatedEvent;
import com.mongodb.event.ConnectionPoolListener;
import com.mongodb.event.ConnectionPoolReadyEvent;
import com.mongodb.event.ConnectionReadyEvent;
import dev.perfkit.internal.WarnThenDebug;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Shields the driver from a pool listener that throws — a {@code LinkageError} from a mismatched
 * library version included: the failure is logged once at WARN, then at DEBUG, and the driver goes
 * on.
 */
final class SafeConnectionPoolListener implements ConnectionPoolListener {
    private static final Logger log = LoggerFactory.getLogger(SafeConnectionPoolListener.class);
    private final ConnectionPoolListener delegate;
    private final WarnThenDebug failures = new WarnThenDebug(log);

    SafeConnectionPoolListener(ConnectionPoolListener delegate) {
        this.delegate = delegate;
    }

    private <E> void safely(Consumer<E> call, E event) {
        try {
            call.accept(event);
        } catch (RuntimeException | LinkageError | StackOverflowError e) {
            failures.log("Connection pool listener " + delegate.getClass().getName() + " failed", e);
        }
    }

    @Override
    public void connectionPoolCreated(ConnectionPoolCreatedEvent event) {
        safely(delegate::connectionPoolCreated, event);
    }

    @Override
    public void connectionPoolCleared(ConnectionPoolClearedEvent event) {
        safely(delegate::connectionPoolCleared, event);
    }

    @Override
    public void connectionPoolReady(ConnectionPoolReadyEvent event) {
        safely(delegate::connectionPoolReady, event);
    }

    @Override
    public void connectionPoolClosed(ConnectionPoolClosedEvent event) {
        safely(delegate::connectionPoolClosed, event);
    }

    @Override
    public void connectionCheckOutStarted(ConnectionCheckOutStartedEvent event) {
        safely(delegate::connectionCheckOutStarted, event);
    }

    @Override
    public void connectionCheckedOut(ConnectionCheckedOutEvent event) {
        safely(delegate::connectionCheckedOut, event);
    }

    @Override
    public void connectionCheckOutFailed(ConnectionCheckOutFailedEvent event) {
        safely(delegate::connectionCheckOutFailed, event);
    }

    @Override
    public void connectionCheckedIn(ConnectionCheckedInEvent event) {
        safely(delegate::connectionCheckedIn, event);
    }

    @Override
    public void connectionCreated(ConnectionCreatedEvent event) {
        safely(delegate::connectionCreated, event);
    }

    @Override
    public void connectionReady(ConnectionReadyEvent event) {
        safely(delegate::connectionReady, event);
    }

    @Override
    public void connectionClosed(ConnectionClosedEvent event) {
        safely(delegate::connectionClosed, event);
    }
}
