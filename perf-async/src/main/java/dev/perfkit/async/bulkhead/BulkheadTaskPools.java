package dev.perfkit.async.bulkhead;

import static java.util.Objects.requireNonNull;

import dev.perfkit.PerfConfig;
import dev.perfkit.async.TaskPool;
import dev.perfkit.async.TaskPools;
import dev.perfkit.internal.Durations;
import dev.perfkit.internal.MeterOwnership;
import dev.perfkit.internal.Meters;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@link TaskPools} on Resilience4j bulkheads: each pool's concurrency limit is a semaphore {@code
 * Bulkhead}, in front of which perfkit keeps a bounded queue with a wait timeout. Tasks run on one
 * executor shared by the pools — virtual threads on JDK 21 and later (unless {@code
 * ASYNC_VIRTUAL_THREADS=false}), daemon threads {@code perfkit-async-N} on JDK 17 — and one daemon
 * thread, {@code perfkit-async-timer}, runs the wait timeouts and gather deadlines.
 *
 * <pre>{@code
 * TaskPools pools = BulkheadTaskPools.create(PerfConfig.fromEnvironment());   // for injection
 * }</pre>
 *
 * <p>Meters per pool, tagged {@code pool} and {@code name} (this instance's, unique per registry):
 * {@code perfkit.async.pool.active}, {@code .queued} (gauges), {@code .rejected} (counter), {@code
 * .wait} and {@code .run} (timers). Thread-safe.
 */
public final class BulkheadTaskPools implements TaskPools {
    private static final Logger log = LoggerFactory.getLogger(BulkheadTaskPools.class);
    private static final Duration CLOSE_WAIT = Duration.ofSeconds(5);

    private final PerfConfig config;
    private final MeterRegistry meterRegistry;
    private final ExecutorService executor;
    private final ScheduledThreadPoolExecutor timer;
    private final boolean virtualThreads;
    private final Map<String, BulkheadTaskPool> pools = new LinkedHashMap<>();
    private final List<Meter> meters = new ArrayList<>();
    private String meterName;
    private boolean closed;

    private BulkheadTaskPools(PerfConfig config) {
        this.config = config;
        this.meterRegistry = config.meterRegistry();
        this.virtualThreads = config.asyncVirtualThreads() && PoolExecutors.virtualThreadsAvailable();
        this.executor = PoolExecutors.taskExecutor(virtualThreads);
        this.timer = new ScheduledThreadPoolExecutor(1, PoolExecutors.daemons("perfkit-async-timer-"));
        timer.setRemoveOnCancelPolicy(true);
        timer.setExecuteExistingDelayedTasksAfterShutdownPolicy(false);
    }

    /**
     * Creates the pools {@code "database"}, {@code "api"} and {@code "cpu"}, sized by the
     * configuration ({@code ASYNC_*_CONCURRENCY}, {@code ASYNC_QUEUE_CAPACITY}, {@code
     * ASYNC_WAIT_TIMEOUT_MS}), publishing to its meter registry.
     *
     * @param config the configuration
     * @return running pools
     */
    public static BulkheadTaskPools create(PerfConfig config) {
        BulkheadTaskPools pools = new BulkheadTaskPools(requireNonNull(config, "config"));
        pools.meterName = MeterOwnership.claim(pools.meterRegistry, "task-pools", "task-pools");
        pools.define(
                DATABASE, config.asyncDatabaseConcurrency(), config.asyncQueueCapacity(), config.asyncWaitTimeout());
        pools.define(API, config.asyncApiConcurrency(), config.asyncQueueCapacity(), config.asyncWaitTimeout());
        pools.define(CPU, config.asyncCpuConcurrency(), config.asyncQueueCapacity(), config.asyncWaitTimeout());
        return pools;
    }

    /** Returns whether tasks run on virtual threads (JDK 21+ and {@code ASYNC_VIRTUAL_THREADS}). */
    public boolean usesVirtualThreads() {
        return virtualThreads;
    }

    /** Returns the {@code name} tag of this instance's meters. */
    public String meterTag() {
        return meterName;
    }

    @Override
    public synchronized TaskPool pool(String name) {
        requireNonNull(name, "name");
        checkOpen();
        BulkheadTaskPool pool = pools.get(name);
        if (pool == null) {
            throw new IllegalArgumentException(
                    "no task pool named '" + name + "'; pools: " + pools.keySet() + " (add one with define)");
        }
        return pool;
    }

    @Override
    public synchronized TaskPool define(String name, int maxConcurrency, int queueCapacity, Duration waitTimeout) {
        requireNonNull(name, "name");
        if (name.isBlank()) {
            throw new IllegalArgumentException("name must not be blank: '" + name + "'");
        }
        if (maxConcurrency <= 0) {
            throw new IllegalArgumentException("maxConcurrency must be positive: " + maxConcurrency);
        }
        if (queueCapacity < 0) {
            throw new IllegalArgumentException("queueCapacity must not be negative: " + queueCapacity);
        }
        Durations.checkPositive("waitTimeout", waitTimeout);
        checkOpen();
        if (pools.containsKey(name)) {
            throw new IllegalArgumentException("task pool '" + name + "' already exists");
        }
        Timer waits = Timer.builder("perfkit.async.pool.wait")
                .description("Time tasks waited for a slot")
                .tag("pool", name)
                .tag("name", meterName)
                .register(meterRegistry);
        Timer runs = Timer.builder("perfkit.async.pool.run")
                .description("Time tasks ran")
                .tag("pool", name)
                .tag("name", meterName)
                .register(meterRegistry);
        BulkheadTaskPool pool =
                new BulkheadTaskPool(name, maxConcurrency, queueCapacity, waitTimeout, executor, timer, waits, runs);
        meters.add(waits);
        meters.add(runs);
        meters.add(Gauge.builder("perfkit.async.pool.active", pool, BulkheadTaskPool::active)
                .description("Tasks running")
                .tag("pool", name)
                .tag("name", meterName)
                .register(meterRegistry));
        meters.add(Gauge.builder("perfkit.async.pool.queued", pool, BulkheadTaskPool::queued)
                .description("Tasks waiting for a slot")
                .tag("pool", name)
                .tag("name", meterName)
                .register(meterRegistry));
        meters.add(FunctionCounter.builder("perfkit.async.pool.rejected", pool, BulkheadTaskPool::rejectedCount)
                .description("Tasks refused: queue full or waited past the wait timeout")
                .tag("pool", name)
                .tag("name", meterName)
                .register(meterRegistry));
        pools.put(name, pool);
        return pool;
    }

    @Override
    public synchronized Set<String> names() {
        return new TreeSet<>(pools.keySet());
    }

    private void checkOpen() {
        if (closed) {
            throw new IllegalStateException("task pools are closed");
        }
    }

    @Override
    public void close() {
        List<BulkheadTaskPool> toClose;
        synchronized (this) {
            if (closed) {
                return;
            }
            closed = true;
            toClose = new ArrayList<>(pools.values());
        }
        toClose.forEach(BulkheadTaskPool::close);
        timer.shutdownNow();
        executor.shutdownNow();
        try {
            if (!executor.awaitTermination(CLOSE_WAIT.toMillis(), TimeUnit.MILLISECONDS)) {
                log.warn("Task pools closed; some tasks ignored their interrupt and still run");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        Meters.removeQuietly(meterRegistry, meters);
        MeterOwnership.release(meterRegistry, "task-pools", meterName);
    }

    @Override
    public String toString() {
        return "BulkheadTaskPools" + names() + (virtualThreads ? " on virtual threads" : "");
    }

    PerfConfig config() {
        return config;
    }
}
