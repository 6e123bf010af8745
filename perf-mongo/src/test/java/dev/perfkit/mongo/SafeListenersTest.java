package dev.perfkit.mongo;

import static org.assertj.core.api.Assertions.assertThatCode;

import com.mongodb.ServerAddress;
import com.mongodb.connection.ClusterId;
import com.mongodb.connection.ConnectionId;
import com.mongodb.connection.ConnectionPoolSettings;
import com.mongodb.connection.ServerId;
import com.mongodb.event.ConnectionCheckedOutEvent;
import com.mongodb.event.ConnectionPoolCreatedEvent;
import com.mongodb.event.ConnectionPoolListener;
import java.util.concurrent.atomic.AtomicInteger;
import org.bson.BsonDocument;
import org.junit.jupiter.api.Test;

/** Instrumentation never breaks the host: listeners that fail are contained. */
class SafeListenersTest {
    private final ServerId server = new ServerId(new ClusterId(), new ServerAddress());

    @Test
    void poolListener_thatThrows_neverReachesTheDriver() {
        AtomicInteger calls = new AtomicInteger();
        ConnectionPoolListener broken = new ConnectionPoolListener() {
            @Override
            public void connectionPoolCreated(ConnectionPoolCreatedEvent event) {
                calls.incrementAndGet();
                throw new IllegalStateException("metrics backend down");
            }

            @Override
            public void connectionCheckedOut(ConnectionCheckedOutEvent event) {
                calls.incrementAndGet();
                throw new IllegalStateException("metrics backend down");
            }
        };
        SafeConnectionPoolListener safe = new SafeConnectionPoolListener(broken);

        assertThatCode(() -> {
                    safe.connectionPoolCreated(new ConnectionPoolCreatedEvent(
                            server, ConnectionPoolSettings.builder().build()));
                    safe.connectionCheckedOut(new ConnectionCheckedOutEvent(new ConnectionId(server), 1, 1_000));
                })
                .doesNotThrowAnyException();
        org.assertj.core.api.Assertions.assertThat(calls).hasValue(2);
    }

    @Test
    void profilingListener_withAProfilerThatThrows_neverReachesTheDriver() {
        ProfilingCommandListener listener = new ProfilingCommandListener(
                () -> {
                    throw new IllegalStateException("no profiler");
                },
                null);
        BsonDocument command = BsonDocument.parse("{find: 'users', filter: {a: 1}}");

        assertThatCode(() -> {
                    listener.commandStarted(
                            new com.mongodb.event.CommandStartedEvent(null, 1, 7, null, "db", "find", command));
                    listener.commandSucceeded(new com.mongodb.event.CommandSucceededEvent(
                            null, 1, 7, null, "db", "find", BsonDocument.parse("{ok: 1}"), 1_000));
                })
                .doesNotThrowAnyException();
        org.assertj.core.api.Assertions.assertThat(listener.inFlightCount()).isZero();
    }

    @Test
    void listeners_thatThrowLinkageErrors_neverReachTheDriver() {
        ConnectionPoolListener mismatched = new ConnectionPoolListener() {
            @Override
            public void connectionCheckedOut(ConnectionCheckedOutEvent event) {
                throw new NoSuchMethodError("com.mongodb.event.ConnectionCheckedOutEvent.getElapsedTime");
            }
        };
        SafeConnectionPoolListener safe = new SafeConnectionPoolListener(mismatched);
        assertThatCode(() -> safe.connectionCheckedOut(new ConnectionCheckedOutEvent(new ConnectionId(server), 1, 1)))
                .doesNotThrowAnyException();

        ProfilingCommandListener listener = new ProfilingCommandListener(
                () -> {
                    throw new NoClassDefFoundError("dev/perfkit/profile/QueryProfiler");
                },
                null);
        BsonDocument command = BsonDocument.parse("{find: 'users', filter: {a: 1}}");
        assertThatCode(() -> {
                    listener.commandStarted(
                            new com.mongodb.event.CommandStartedEvent(null, 1, 7, null, "db", "find", command));
                    listener.commandSucceeded(new com.mongodb.event.CommandSucceededEvent(
                            null, 1, 7, null, "db", "find", BsonDocument.parse("{ok: 1}"), 1_000));
                })
                .doesNotThrowAnyException();
    }

    /** A meter registry that fails (a broken filter, a backend error) breaks neither the driver nor profiling. */
    @Test
    void profilingListener_withARegistryThatThrows_stillProfiles_andNeverReachesTheDriver() {
        io.micrometer.core.instrument.simple.SimpleMeterRegistry broken =
                new io.micrometer.core.instrument.simple.SimpleMeterRegistry();
        broken.config().meterFilter(new io.micrometer.core.instrument.config.MeterFilter() {
            @Override
            public io.micrometer.core.instrument.Meter.Id map(io.micrometer.core.instrument.Meter.Id id) {
                throw new IllegalStateException("metrics backend down");
            }
        });
        dev.perfkit.db.MicrometerQueryProfiler profiler =
                dev.perfkit.db.MicrometerQueryProfiler.create(dev.perfkit.PerfConfig.builder()
                        .meterRegistry(new io.micrometer.core.instrument.simple.SimpleMeterRegistry())
                        .build());
        ProfilingCommandListener listener = new ProfilingCommandListener(() -> profiler, broken);
        BsonDocument command = BsonDocument.parse("{find: 'users', filter: {a: 1}}");

        assertThatCode(() -> {
                    listener.commandStarted(
                            new com.mongodb.event.CommandStartedEvent(null, 1, 7, null, "db", "find", command));
                    listener.commandSucceeded(new com.mongodb.event.CommandSucceededEvent(
                            null, 1, 7, null, "db", "find", BsonDocument.parse("{ok: 1}"), 1_000));
                })
                .doesNotThrowAnyException();
        org.assertj.core.api.Assertions.assertThat(profiler.getStats().totalQueries())
                .as("the command is profiled though its timer could not be recorded")
                .isEqualTo(1);
        profiler.close();
    }
}
