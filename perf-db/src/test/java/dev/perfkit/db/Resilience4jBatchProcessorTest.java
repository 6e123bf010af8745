package dev.perfkit.db;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.perfkit.Concurrently;
import dev.perfkit.PerfConfig;
import dev.perfkit.batch.AsyncBatchHandler;
import dev.perfkit.batch.BatchHandler;
import dev.perfkit.batch.BatchProcessor;
import dev.perfkit.batch.BatchProcessorBuilder;
import dev.perfkit.batch.BatchProcessorContract;
import dev.perfkit.batch.BatchStats;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

class Resilience4jBatchProcessorTest extends BatchProcessorContract {
    private final SimpleMeterRegistry meters = new SimpleMeterRegistry();
    private final PerfConfig config = PerfConfig.builder().meterRegistry(meters).build();

    @Override
    protected <T> BatchProcessorBuilder<T> builder(BatchHandler<T> handler) {
        return BatchProcessors.builder(config, handler);
    }

    @Override
    protected <T> BatchProcessorBuilder<T> asyncBuilder(AsyncBatchHandler<T> handler) {
        return BatchProcessors.asyncBuilder(config, handler);
    }

    /**
     * Four producers × 25k items; the handler fails one attempt in five before touching the batch.
     * Every item ends either processed exactly once with a normal future, or never processed with a
     * failed future; no future is left pending after close().
     */
    @Test
    void fourProducers_flakyHandler_everyItemExactlyOnceOrFailed() throws Exception {
        long seed = System.nanoTime();
        System.out.println("Resilience4jBatchProcessorTest.flakyHandler seed=" + seed);
        SplittableRandom handlerRandom = new SplittableRandom(seed);
        Map<Integer, AtomicInteger> processedCount = new ConcurrentHashMap<>();
        int producers = 4;
        int perProducer = 25_000;
        BatchProcessor<Integer> processor = builder((List<Integer> batch) -> {
                    boolean fail;
                    synchronized (handlerRandom) {
                        fail = handlerRandom.nextInt(5) == 0;
                    }
                    if (fail) {
                        throw new java.io.IOException("transient failure before touching the batch");
                    }
                    for (Integer item : batch) {
                        processedCount
                                .computeIfAbsent(item, k -> new AtomicInteger())
                                .incrementAndGet();
                    }
                })
                .name("flaky")
                .batchSize(100)
                .maxPending(5_000)
                .maxDelay(Duration.ofMillis(20))
                .retry(2, Duration.ofMillis(1), 2.0, Duration.ofMillis(4))
                .build();

        List<CompletableFuture<Void>>[] futures = futureLists(producers);
        Concurrently.run(producers, 120, producer -> {
            for (int i = 0; i < perProducer; i++) {
                futures[producer].add(processor.add(producer * perProducer + i));
            }
        });
        processor.close();

        int succeeded = 0;
        int failedItems = 0;
        for (int p = 0; p < producers; p++) {
            for (int i = 0; i < perProducer; i++) {
                int item = p * perProducer + i;
                CompletableFuture<Void> future = futures[p].get(i);
                assertThat(future).as("seed %d item %d", seed, item).isDone();
                AtomicInteger count = processedCount.get(item);
                if (future.isCompletedExceptionally()) {
                    failedItems++;
                    assertThat(count)
                            .as("seed %d: failed item %d was processed", seed, item)
                            .isNull();
                } else {
                    succeeded++;
                    assertThat(count).as("seed %d item %d", seed, item).isNotNull();
                    assertThat(count.get())
                            .as("seed %d: item %d processed once", seed, item)
                            .isEqualTo(1);
                }
            }
        }
        BatchStats stats = processor.stats();
        assertThat(succeeded + failedItems).isEqualTo(producers * perProducer);
        assertThat(failedItems)
                .as("with 2 attempts, about 1 batch in 25 fails for good")
                .isPositive();
        assertThat(stats.processed()).isEqualTo(succeeded);
        assertThat(stats.failed()).isEqualTo(failedItems);
        assertThat(stats.retried()).isPositive();
        assertThat(stats.pending()).isZero();
    }

    @SuppressWarnings("unchecked")
    private static List<CompletableFuture<Void>>[] futureLists(int count) {
        List<CompletableFuture<Void>>[] lists = new List[count];
        for (int i = 0; i < count; i++) {
            lists[i] = new ArrayList<>();
        }
        return lists;
    }

    @Test
    void close_armedDelayTimer_leavesNoThreadBehind() {
        for (int i = 0; i < 200; i++) {
            BatchProcessor<Integer> processor = builder((List<Integer> batch) -> {})
                    .name("leak-" + i)
                    .batchSize(10)
                    .maxDelay(Duration.ofHours(1))
                    .build();
            processor.add(i); // arms the hour-long maxDelay timer
            processor.close();
        }
        await().atMost(Duration.ofSeconds(10))
                .untilAsserted(() -> assertThat(Thread.getAllStackTraces().keySet())
                        .filteredOn(t -> t.getName().startsWith("perfkit-batch-leak-") && t.isAlive())
                        .isEmpty());
    }

    @Test
    void close_calledConcurrently_everyCallerWaitsForTheDrain() throws Exception {
        CountDownLatch release = new CountDownLatch(1);
        List<Integer> processed = new java.util.concurrent.CopyOnWriteArrayList<>();
        BatchProcessor<Integer> processor = builder((List<Integer> batch) -> {
                    release.await();
                    processed.addAll(batch);
                })
                .batchSize(1)
                .maxDelay(Duration.ofHours(1))
                .build();
        processor.add(1);
        Thread first = new Thread(processor::close, "closer-1");
        Thread second = new Thread(processor::close, "closer-2");
        first.start();
        await().until(() -> first.getState() == Thread.State.WAITING || first.getState() == Thread.State.TIMED_WAITING);
        second.start();
        await().until(() ->
                second.getState() == Thread.State.WAITING || second.getState() == Thread.State.TIMED_WAITING);

        assertThat(processed).isEmpty(); // both closers are still waiting for the batch
        release.countDown();
        first.join(TimeUnit.SECONDS.toMillis(30));
        second.join(TimeUnit.SECONDS.toMillis(30));

        assertThat(first.isAlive()).isFalse();
        assertThat(second.isAlive()).isFalse();
        assertThat(processed).containsExactly(1);
    }

    @Test
    void threads_areDaemonsNamedAfterTheProcessor_andStopOnClose() {
        BatchProcessor<Integer> processor =
                builder((List<Integer> batch) -> {}).name("orders").batchSize(1).build();
        processor.add(1).join();

        assertThat(Thread.getAllStackTraces().keySet())
                .filteredOn(t -> t.getName().startsWith("perfkit-batch-orders"))
                .isNotEmpty()
                .allMatch(Thread::isDaemon);

        processor.close();
        await().untilAsserted(() -> assertThat(Thread.getAllStackTraces().keySet())
                .filteredOn(t -> t.getName().startsWith("perfkit-batch-orders") && t.isAlive())
                .isEmpty());
    }

    @Test
    void meters_trackTheCountersTaggedByName() {
        try (BatchProcessor<Integer> processor = builder((List<Integer> batch) -> {})
                .name("metered")
                .batchSize(2)
                .build()) {
            processor.add(1);
            processor.add(2).join();

            await().untilAsserted(() -> assertThat(meters.get("perfkit.batch.processed")
                            .tag("name", "metered")
                            .functionCounter()
                            .count())
                    .isEqualTo(2.0));
            assertThat(meters.get("perfkit.batch.added")
                            .tag("name", "metered")
                            .functionCounter()
                            .count())
                    .isEqualTo(2.0);
        }
        assertThat(meters.find("perfkit.batch.added").tag("name", "metered").functionCounter())
                .isNull();
    }

    @Test
    void stats_averageBatchSize() {
        BatchProcessor<Integer> processor = builder((List<Integer> batch) -> {})
                .batchSize(4)
                .maxDelay(Duration.ofHours(1))
                .build();
        for (int i = 0; i < 10; i++) {
            processor.add(i);
        }
        processor.close();

        BatchStats stats = processor.stats();
        assertThat(stats.batches()).isEqualTo(3); // 4 + 4 + 2
        assertThat(stats.averageBatchSize()).isEqualTo(10 / 3.0);
        assertThat(stats.added()).isEqualTo(10);
    }

    @Test
    void handlerGetsAnUnmodifiableBatch() {
        List<Throwable> seen = new java.util.concurrent.CopyOnWriteArrayList<>();
        try (BatchProcessor<Integer> processor = builder((List<Integer> batch) -> {
                    try {
                        batch.add(99);
                    } catch (UnsupportedOperationException e) {
                        seen.add(e);
                    }
                })
                .batchSize(1)
                .build()) {
            processor.add(1).join();
        }
        assertThat(seen).hasSize(1);
    }

    @Test
    void twoProcessorsOfOneName_oneRegistry_ownTheirMeters() {
        SimpleMeterRegistry shared = new SimpleMeterRegistry();
        PerfConfig sharedConfig = PerfConfig.builder().meterRegistry(shared).build();
        BatchProcessor<Integer> first = BatchProcessors.builder(sharedConfig, (List<Integer> batch) -> {})
                .name("writes")
                .batchSize(1)
                .build();
        BatchProcessor<Integer> second = BatchProcessors.builder(sharedConfig, (List<Integer> batch) -> {})
                .name("writes")
                .batchSize(1)
                .build();
        first.add(1).join();
        second.add(1).join();
        second.add(2).join();

        assertThat(shared.get("perfkit.batch.added")
                        .tag("name", "writes")
                        .functionCounter()
                        .count())
                .isEqualTo(1);
        assertThat(shared.get("perfkit.batch.added")
                        .tag("name", "writes-2")
                        .functionCounter()
                        .count())
                .isEqualTo(2);
        first.close();
        assertThat(shared.get("perfkit.batch.added")
                        .tag("name", "writes-2")
                        .functionCounter()
                        .count())
                .isEqualTo(2);
        second.close();
        assertThat(shared.getMeters()).isEmpty();
    }
}
