package dev.perfkit.async.bulkhead;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.perfkit.Concurrently;
import dev.perfkit.Perf;
import dev.perfkit.PerfConfig;
import dev.perfkit.async.Outcome;
import dev.perfkit.async.TaskPool;
import dev.perfkit.async.TaskPools;
import dev.perfkit.async.TaskRejectedException;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class BulkheadTaskPoolsTest {
    private final SimpleMeterRegistry meters = new SimpleMeterRegistry();
    private final BulkheadTaskPools pools = BulkheadTaskPools.create(PerfConfig.builder()
            .meterRegistry(meters)
            .asyncDatabaseConcurrency(3)
            .asyncQueueCapacity(1_000)
            .build());

    @AfterEach
    void close() {
        pools.close();
    }

    /**
     * 16 threads submit 800 tasks to a pool of 3: the tasks themselves count how many run at once,
     * and it is never more than 3; all 3 slots do fill; every task completes.
     */
    @Test
    void submit_sixteenThreads_neverMoreThanTheLimitRun() throws Exception {
        TaskPool database = pools.pool(TaskPools.DATABASE);
        AtomicInteger running = new AtomicInteger();
        AtomicInteger mostAtOnce = new AtomicInteger();
        CountDownLatch gate = new CountDownLatch(1);
        List<CompletableFuture<Integer>> futures = new CopyOnWriteArrayList<>();
        Concurrently.run(16, 30, thread -> {
            for (int i = 0; i < 50; i++) {
                int id = thread * 50 + i;
                futures.add(database.submit(() -> {
                    mostAtOnce.accumulateAndGet(running.incrementAndGet(), Math::max);
                    try {
                        gate.await();
                        return id;
                    } finally {
                        running.decrementAndGet();
                    }
                }));
            }
        });
        await().until(() -> database.stats().active() == 3 && database.stats().queued() == 797);
        assertThat(mostAtOnce).hasValue(3);
        gate.countDown();

        CompletableFuture.allOf(futures.toArray(CompletableFuture[]::new)).get(30, TimeUnit.SECONDS);
        assertThat(mostAtOnce).hasValue(3);
        assertThat(database.stats().completed()).isEqualTo(800);
        assertThat(database.stats().active()).isZero();
        assertThat(meters.get("perfkit.async.pool.run")
                        .tag("pool", "database")
                        .timer()
                        .count())
                .isEqualTo(800);
    }

    @Test
    void submit_queueFull_orWaitTimeout_isRejectedAndNeverRuns() throws Exception {
        TaskPool tiny = pools.define("tiny", 1, 1, Duration.ofMillis(100));
        CountDownLatch gate = new CountDownLatch(1);
        AtomicInteger ran = new AtomicInteger();
        CompletableFuture<Integer> first = tiny.submit(() -> {
            gate.await();
            return ran.incrementAndGet();
        });
        CompletableFuture<Integer> waiting = tiny.submit(ran::incrementAndGet);
        CompletableFuture<Integer> overflow = tiny.submit(ran::incrementAndGet);

        assertThatThrownBy(() -> overflow.get(5, TimeUnit.SECONDS))
                .hasCauseInstanceOf(TaskRejectedException.class)
                .hasMessageContaining("is full");
        assertThatThrownBy(() -> waiting.get(5, TimeUnit.SECONDS))
                .hasCauseInstanceOf(TaskRejectedException.class)
                .hasMessageContaining("wait timeout");
        gate.countDown();
        assertThat(first.get(5, TimeUnit.SECONDS)).isEqualTo(1);
        assertThat(ran).hasValue(1);
        assertThat(tiny.stats().rejected()).isEqualTo(2);
        assertThat(meters.get("perfkit.async.pool.rejected")
                        .tag("pool", "tiny")
                        .functionCounter()
                        .count())
                .isEqualTo(2);
    }

    @Test
    void submitAsync_holdsItsSlotUntilTheStageCompletes() throws Exception {
        TaskPool one = pools.define("one", 1, 10, Duration.ofSeconds(30));
        CompletableFuture<String> stage = new CompletableFuture<>();
        CompletableFuture<String> async = one.submitAsync(() -> stage);
        CompletableFuture<String> next = one.submit(() -> "next");

        await().until(() -> one.stats().active() == 1 && one.stats().queued() == 1);
        assertThat(next).isNotDone();
        stage.complete("async");

        assertThat(async.get(5, TimeUnit.SECONDS)).isEqualTo("async");
        assertThat(next.get(5, TimeUnit.SECONDS)).isEqualTo("next");
    }

    @Test
    void cancellingAWaitingTask_freesItsPlace_andItNeverRuns() throws Exception {
        TaskPool one = pools.define("one", 1, 1, Duration.ofSeconds(30));
        CountDownLatch gate = new CountDownLatch(1);
        AtomicInteger ran = new AtomicInteger();
        CompletableFuture<Integer> blocking = one.submit(() -> {
            gate.await();
            return 0;
        });
        CompletableFuture<Integer> waiting = one.submit(ran::incrementAndGet);
        waiting.cancel(true);
        CompletableFuture<Integer> replacement = one.submit(() -> 7);

        gate.countDown();
        assertThat(replacement.get(5, TimeUnit.SECONDS)).isEqualTo(7);
        assertThat(blocking.get(5, TimeUnit.SECONDS)).isZero();
        assertThat(ran).hasValue(0);
    }

    @Test
    void gather_keepsInputOrder_whateverOrderTasksFinishIn() throws Exception {
        TaskPool api = pools.pool(TaskPools.API);
        CountDownLatch[] latches = {new CountDownLatch(1), new CountDownLatch(1), new CountDownLatch(1)};
        List<Callable<Integer>> tasks = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            int index = i;
            tasks.add(() -> {
                latches[index].await();
                return index * 10;
            });
        }
        CompletableFuture<List<Integer>> all = api.gather(tasks, Duration.ofSeconds(30));
        latches[2].countDown();
        latches[0].countDown();
        latches[1].countDown();

        assertThat(all.get(10, TimeUnit.SECONDS)).containsExactly(0, 10, 20);
    }

    @Test
    void gather_firstFailureFailsAll_andInterruptsTheRest() throws Exception {
        TaskPool api = pools.pool(TaskPools.API);
        CountDownLatch started = new CountDownLatch(1);
        AtomicInteger interrupted = new AtomicInteger();
        Callable<Integer> slow = () -> {
            started.countDown();
            try {
                new CountDownLatch(1).await();
                return 1;
            } catch (InterruptedException e) {
                interrupted.incrementAndGet();
                throw e;
            }
        };
        Callable<Integer> failing = () -> {
            started.await();
            throw new IOException("api down");
        };

        CompletableFuture<List<Integer>> all = api.gather(List.of(slow, failing), Duration.ofSeconds(30));

        assertThatThrownBy(() -> all.get(10, TimeUnit.SECONDS))
                .isInstanceOf(ExecutionException.class)
                .hasCauseInstanceOf(IOException.class);
        await().until(() -> interrupted.get() == 1);
        await().until(() -> api.stats().active() == 0);
    }

    @Test
    void gather_timeout_failsWithTimeout_andCancels() {
        TaskPool api = pools.pool(TaskPools.API);
        AtomicInteger interrupted = new AtomicInteger();
        Callable<Integer> forever = () -> {
            try {
                new CountDownLatch(1).await();
                return 1;
            } catch (InterruptedException e) {
                interrupted.incrementAndGet();
                throw e;
            }
        };

        CompletableFuture<List<Integer>> all = api.gather(List.of(() -> 1, forever), Duration.ofMillis(200));

        assertThatThrownBy(() -> all.get(10, TimeUnit.SECONDS))
                .hasCauseInstanceOf(TimeoutException.class)
                .hasMessageContaining("did not finish within PT0.2S");
        await().until(() -> interrupted.get() == 1);
    }

    @Test
    void gatherSettled_keepsEveryFailure_inOrder_andTimesOutTheLate() throws Exception {
        TaskPool api = pools.pool(TaskPools.API);
        Callable<String> forever = () -> {
            new CountDownLatch(1).await();
            return "never";
        };
        List<Callable<String>> tasks = List.of(
                () -> "a",
                () -> {
                    throw new IllegalStateException("b failed");
                },
                forever,
                () -> "d");

        List<Outcome<String>> outcomes =
                api.gatherSettled(tasks, Duration.ofMillis(300)).get(10, TimeUnit.SECONDS);

        assertThat(outcomes).hasSize(4);
        assertThat(outcomes.get(0)).isEqualTo(Outcome.success("a"));
        assertThat(outcomes.get(1).isSuccess()).isFalse();
        assertThat(outcomes.get(1).error())
                .isInstanceOf(IllegalStateException.class)
                .hasMessage("b failed");
        assertThat(outcomes.get(2).error()).isInstanceOf(TimeoutException.class);
        assertThat(outcomes.get(3)).isEqualTo(Outcome.success("d"));
    }

    @Test
    void badInput_isRefusedNamingIt() {
        TaskPool api = pools.pool(TaskPools.API);
        assertThatThrownBy(() -> pools.pool("images"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("no task pool named 'images'")
                .hasMessageContaining("database");
        assertThatThrownBy(() -> pools.define("api", 1, 1, Duration.ofSeconds(1)))
                .hasMessageContaining("already exists");
        assertThatThrownBy(() -> pools.define("x", 0, 1, Duration.ofSeconds(1)))
                .hasMessage("maxConcurrency must be positive: 0");
        assertThatThrownBy(() -> pools.define("x", 1, -1, Duration.ofSeconds(1)))
                .hasMessage("queueCapacity must not be negative: -1");
        assertThatThrownBy(() -> pools.define("x", 1, 1, Duration.ZERO))
                .hasMessage("waitTimeout must be positive: PT0S");
        assertThatThrownBy(() -> api.submit(null)).hasMessage("task");
        assertThatThrownBy(() -> api.gather(List.of(() -> 1), Duration.ofDays(400)))
                .hasMessageContaining("at most 365 days");
        List<Callable<Integer>> withNull = new ArrayList<>();
        withNull.add(null);
        assertThatThrownBy(() -> api.gather(withNull, Duration.ofSeconds(1))).hasMessage("tasks[0]");
        assertThat(pools.names()).containsExactly("api", "cpu", "database");
    }

    @Test
    void close_failsWaiting_interruptsRunning_refusesNew_andLeavesNoThread() throws Exception {
        TaskPool one = pools.define("one", 1, 5, Duration.ofSeconds(30));
        AtomicInteger interrupted = new AtomicInteger();
        CompletableFuture<Integer> running = one.submit(() -> {
            try {
                new CountDownLatch(1).await();
                return 1;
            } catch (InterruptedException e) {
                interrupted.incrementAndGet();
                throw e;
            }
        });
        await().until(() -> one.stats().active() == 1);
        CompletableFuture<Integer> waiting = one.submit(() -> 2);

        pools.close();

        assertThatThrownBy(waiting::join).hasCauseInstanceOf(IllegalStateException.class);
        assertThatThrownBy(running::join).isInstanceOf(CancellationException.class);
        await().until(() -> interrupted.get() == 1);
        assertThatThrownBy(() -> one.submit(() -> 3))
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("closed");
        assertThatThrownBy(() -> pools.pool("api")).isInstanceOf(IllegalStateException.class);
        await().untilAsserted(() -> assertThat(Thread.getAllStackTraces().keySet())
                .filteredOn(t -> t.getName().startsWith("perfkit-async") && t.isAlive())
                .isEmpty());
        assertThat(meters.getMeters()).isEmpty();
    }

    @Test
    void twoInstancesOnOneRegistry_ownTheirMeters() throws Exception {
        BulkheadTaskPools second = BulkheadTaskPools.create(
                PerfConfig.builder().meterRegistry(meters).build());
        try {
            second.pool(TaskPools.CPU).submit(() -> 1).get(5, TimeUnit.SECONDS);
            assertThat(second.meterTag()).isNotEqualTo(pools.meterTag());
            assertThat(meters.get("perfkit.async.pool.run")
                            .tag("pool", "cpu")
                            .tag("name", second.meterTag())
                            .timer()
                            .count())
                    .isEqualTo(1);
            assertThat(meters.get("perfkit.async.pool.run")
                            .tag("pool", "cpu")
                            .tag("name", pools.meterTag())
                            .timer()
                            .count())
                    .isZero();
        } finally {
            second.close();
        }
        assertThat(meters.find("perfkit.async.pool.run")
                        .tag("name", pools.meterTag())
                        .timers())
                .hasSize(3);
    }

    @Test
    void perf_getTaskPools_andRateLimiter_comeFromThisModule() throws Exception {
        Perf.reset();
        Perf.configure(
                PerfConfig.builder().meterRegistry(new SimpleMeterRegistry()).build());
        try {
            assertThat(Perf.getTaskPools())
                    .isInstanceOf(BulkheadTaskPools.class)
                    .isSameAs(Perf.getTaskPools());
            assertThat(Perf.getTaskPools().pool("cpu").submit(() -> 42).get(5, TimeUnit.SECONDS))
                    .isEqualTo(42);
            assertThat(Perf.rateLimiter("receipt", 10, Duration.ofMinutes(1)))
                    .isSameAs(Perf.rateLimiter("receipt", 10, Duration.ofMinutes(1)));
            assertThatThrownBy(() -> Perf.rateLimiter("receipt", 20, Duration.ofMinutes(1)))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("already exists with 10 per PT1M");
            TaskPools before = Perf.getTaskPools();
            Perf.reset();
            assertThatThrownBy(() -> before.pool("cpu")).isInstanceOf(IllegalStateException.class);
        } finally {
            Perf.reset();
        }
    }

    @Test
    void virtualThreads_usedExactlyWhenTheJdkHasThem() throws Exception {
        assertThat(pools.usesVirtualThreads()).isEqualTo(Runtime.version().feature() >= 21);
        String thread = pools.pool(TaskPools.CPU)
                .submit(() -> Thread.currentThread().getName())
                .get(5, TimeUnit.SECONDS);
        assertThat(thread).startsWith(pools.usesVirtualThreads() ? "perfkit-async-virtual-" : "perfkit-async-");
        try (BulkheadTaskPools platform = BulkheadTaskPools.create(PerfConfig.builder()
                .meterRegistry(new SimpleMeterRegistry())
                .asyncVirtualThreads(false)
                .build())) {
            assertThat(platform.usesVirtualThreads()).isFalse();
            assertThat(platform.pool(TaskPools.CPU)
                            .submit(() -> Thread.currentThread().isDaemon())
                            .get(5, TimeUnit.SECONDS))
                    .isTrue();
        }
    }
}
