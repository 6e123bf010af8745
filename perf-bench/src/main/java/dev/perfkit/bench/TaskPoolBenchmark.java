package dev.perfkit.bench;

import dev.perfkit.PerfConfig;
import dev.perfkit.async.TaskPool;
import dev.perfkit.async.bulkhead.BulkheadTaskPools;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * What a task pool costs per task: submit a burst of 100 trivial tasks and wait for all of them,
 * through a perf-async {@code TaskPool} (bulkhead permit, queue bookkeeping, timers, meters,
 * future) versus a bare {@code ExecutorService} of as many threads as the pool's limit. Scores are
 * per task; their ratio is the overhead a bot pays for per-operation limits. (A single submit and
 * wait measures thread wake-up latency, tens of microseconds and noisy, rather than the pool.)
 *
 * <pre>
 * mvn -B -q install -DskipTests
 * java -jar perf-bench/target/perfkit.jar jmh TaskPoolBenchmark
 * </pre>
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
public class TaskPoolBenchmark {
    /** What runs the task. */
    public enum Impl {
        TASK_POOL,
        BARE_EXECUTOR
    }

    @Param
    Impl impl;

    private BulkheadTaskPools pools;
    private TaskPool pool;
    private ExecutorService executor;

    @Setup(Level.Trial)
    public void setUp() {
        pools = BulkheadTaskPools.create(PerfConfig.builder()
                .meterRegistry(new SimpleMeterRegistry())
                .asyncVirtualThreads(false)
                .build());
        pool = pools.define("bench", 4, 10_000, Duration.ofMinutes(1));
        executor = Executors.newFixedThreadPool(4);
    }

    private static final int BURST = 100;
    private final CompletableFuture<?>[] poolFutures = new CompletableFuture<?>[BURST];
    private final Future<?>[] executorFutures = new Future<?>[BURST];

    @Benchmark
    @OperationsPerInvocation(BURST)
    public void submitBurstAndWait() throws Exception {
        if (impl == Impl.TASK_POOL) {
            for (int i = 0; i < BURST; i++) {
                poolFutures[i] = pool.submit(() -> 42);
            }
            CompletableFuture.allOf(poolFutures).get();
        } else {
            for (int i = 0; i < BURST; i++) {
                executorFutures[i] = executor.submit(() -> 42);
            }
            for (Future<?> future : executorFutures) {
                future.get();
            }
        }
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        pools.close();
        executor.shutdownNow();
    }
}
