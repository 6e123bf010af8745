package dev.perfkit.mongo;

import com.mongodb.connection.ServerId;
import com.mongodb.event.ConnectionCheckOutFailedEvent;
import com.mongodb.event.ConnectionCheckedInEvent;
import com.mongodb.event.ConnectionCheckedOutEvent;
import com.mongodb.event.ConnectionPoolClosedEvent;
import com.mongodb.event.ConnectionPoolCreatedEvent;
import com.mongodb.event.ConnectionPoolListener;
import dev.perfkit.internal.WarnThenDebug;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/*
 * What Micrometer's MongoMetricsConnectionPoolListener lacks: pool utilization (connections checked
 * out / maximum pool size) and the time a checkout waited, successful or not. One small state per
 * server, created when the driver creates the server's pool and dropped when it closes it. Never
 * throws into the driver.
 */
final class PoolMetricsListener implements ConnectionPoolListener {
    private static final Logger log = LoggerFactory.getLogger(PoolMetricsListener.class);
    private final WarnThenDebug failures = new WarnThenDebug(log);

    private static final class Pool {
        final AtomicInteger checkedOut = new AtomicInteger();
        final int maxSize;
        Gauge utilization;
        Timer waitSuccess;
        Timer waitFailed;

        Pool(int maxSize) {
            this.maxSize = maxSize;
        }
    }

    private final MeterRegistry registry;
    private final ConcurrentHashMap<ServerId, Pool> pools = new ConcurrentHashMap<>();

    PoolMetricsListener(MeterRegistry registry) {
        this.registry = registry;
    }

    private static String server(ServerId serverId) {
        return serverId.getAddress().toString();
    }

    /**
     * The client's cluster id, unique per MongoClient (as in Micrometer's pool listener): two clients
     * of one server on one registry never share, or remove, each other's meters.
     */
    private static String cluster(ServerId serverId) {
        return serverId.getClusterId().getValue();
    }

    @Override
    public void connectionPoolCreated(ConnectionPoolCreatedEvent event) {
        try {
            Pool pool = new Pool(Math.max(1, event.getSettings().getMaxSize()));
            pool.utilization = Gauge.builder(
                            "perfkit.mongo.pool.utilization", pool, p -> (double) p.checkedOut.get() / p.maxSize)
                    .description("Connections checked out / maximum pool size")
                    .tag("server", server(event.getServerId()))
                    .tag("cluster.id", cluster(event.getServerId()))
                    .register(registry);
            pool.waitSuccess = waitTimer(event.getServerId(), "success");
            pool.waitFailed = waitTimer(event.getServerId(), "failed");
            pools.put(event.getServerId(), pool);
        } catch (RuntimeException | LinkageError e) {
            failures.log("Could not register pool metrics", e);
        }
    }

    @Override
    public void connectionCheckedOut(ConnectionCheckedOutEvent event) {
        try {
            Pool pool = pools.get(event.getConnectionId().getServerId());
            if (pool != null) {
                pool.checkedOut.incrementAndGet();
                pool.waitSuccess.record(event.getElapsedTime(TimeUnit.NANOSECONDS), TimeUnit.NANOSECONDS);
            }
        } catch (RuntimeException | LinkageError e) {
            failures.log("Could not record a checkout", e);
        }
    }

    @Override
    public void connectionCheckOutFailed(ConnectionCheckOutFailedEvent event) {
        try {
            Pool pool = pools.get(event.getServerId());
            if (pool != null) {
                pool.waitFailed.record(event.getElapsedTime(TimeUnit.NANOSECONDS), TimeUnit.NANOSECONDS);
            }
        } catch (RuntimeException | LinkageError e) {
            failures.log("Could not record a failed checkout", e);
        }
    }

    @Override
    public void connectionCheckedIn(ConnectionCheckedInEvent event) {
        Pool pool = pools.get(event.getConnectionId().getServerId());
        if (pool != null) {
            pool.checkedOut.updateAndGet(n -> Math.max(0, n - 1));
        }
    }

    @Override
    public void connectionPoolClosed(ConnectionPoolClosedEvent event) {
        Pool pool = pools.remove(event.getServerId());
        if (pool != null && pool.utilization != null) {
            try {
                registry.remove(pool.utilization);
                registry.remove(pool.waitSuccess);
                registry.remove(pool.waitFailed);
            } catch (RuntimeException | LinkageError e) {
                failures.log("Could not remove pool metrics", e);
            }
        }
    }

    private Timer waitTimer(ServerId serverId, String status) {
        return Timer.builder("perfkit.mongo.pool.checkout.wait")
                .description("Time a connection checkout waited for a pooled connection")
                .tag("server", server(serverId))
                .tag("cluster.id", cluster(serverId))
                .tag("status", status)
                .register(registry);
    }

    double utilization(ServerId serverId) {
        Pool pool = pools.get(serverId);
        return pool == null ? Double.NaN : (double) pool.checkedOut.get() / pool.maxSize;
    }
}
