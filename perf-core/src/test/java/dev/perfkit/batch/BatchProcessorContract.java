package dev.perfkit.batch;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.perfkit.Concurrently;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The contract of {@link BatchProcessor} (DESIGN.md §3), run by every implementation. Processors
 * built through {@link #track} are closed after each test.
 */
public abstract class BatchProcessorContract {
    private final List<BatchProcessor<?>> opened = new CopyOnWriteArrayList<>();

    /**
     * Starts a builder for a synchronous handler with the implementation's factory.
     *
     * @param handler the handler
     * @param <T> the item type
     * @return a builder
     */
    protected abstract <T> BatchProcessorBuilder<T> builder(BatchHandler<T> handler);

    /**
     * Starts a builder for an asynchronous handler with the implementation's factory.
     *
     * @param handler the handler
     * @param <T> the item type
     * @return a builder
     */
    protected abstract <T> BatchProcessorBuilder<T> asyncBuilder(AsyncBatchHandler<T> handler);

    /** Registers a processor to be closed after the test. */
    protected <T> BatchProcessor<T> track(BatchProcessor<T> processor) {
        opened.add(processor);
        return processor;
    }

    @AfterEach
    void closeProcessors() {
        opened.forEach(BatchProcessor::close);
    }

    private static Duration hour() {
        return Duration.ofHours(1);
    }

    @Test
    void add_batchSizeReached_flushesFullBatches() {
        List<List<Integer>> batches = new CopyOnWriteArrayList<>();
        BatchProcessor<Integer> processor = track(builder((List<Integer> batch) -> batches.add(List.copyOf(batch)))
                .batchSize(5)
                .maxDelay(hour())
                .build());

        for (int i = 0; i < 10; i++) {
            processor.add(i);
        }

        await().untilAsserted(() -> assertThat(batches).hasSize(2));
        assertThat(batches).containsExactly(List.of(0, 1, 2, 3, 4), List.of(5, 6, 7, 8, 9));
    }

    @Test
    void add_maxDelayPassed_flushesPartialBatch() throws Exception {
        List<Integer> processed = new CopyOnWriteArrayList<>();
        BatchProcessor<Integer> processor = track(builder((List<Integer> batch) -> processed.addAll(batch))
                .batchSize(1_000)
                .maxDelay(Duration.ofMillis(50))
                .build());

        CompletableFuture<Void> future = processor.add(1);
        processor.add(2);

        future.get(10, TimeUnit.SECONDS);
        await().untilAsserted(() -> assertThat(processed).containsExactly(1, 2));
    }

    @Test
    void flush_processesEverythingPendingNow() throws Exception {
        List<Integer> processed = new CopyOnWriteArrayList<>();
        BatchProcessor<Integer> processor = track(builder((List<Integer> batch) -> processed.addAll(batch))
                .batchSize(1_000)
                .maxDelay(hour())
                .build());
        processor.add(1);
        processor.add(2);

        processor.flush().get(10, TimeUnit.SECONDS);

        assertThat(processed).containsExactly(1, 2);
        assertThat(processor.stats().processed()).isEqualTo(2);
    }

    @Test
    void close_drainsEverythingAccepted() {
        List<Integer> processed = new CopyOnWriteArrayList<>();
        BatchProcessor<Integer> processor = builder((List<Integer> batch) -> processed.addAll(batch))
                .batchSize(7)
                .maxDelay(hour())
                .build();
        List<CompletableFuture<Void>> futures = new ArrayList<>();
        for (int i = 0; i < 100; i++) {
            futures.add(processor.add(i));
        }

        processor.close();

        assertThat(processed).hasSize(100);
        assertThat(futures).allMatch(f -> f.isDone() && !f.isCompletedExceptionally());
        assertThatThrownBy(() -> processor.add(1)).isInstanceOf(IllegalStateException.class);
        processor.close(); // idempotent
    }

    @Test
    void add_failingBatch_failsItsFuturesAndReachesDeadLetters() {
        List<List<Integer>> deadLetters = new CopyOnWriteArrayList<>();
        IllegalArgumentException failure = new IllegalArgumentException("bad batch");
        BatchProcessor<Integer> processor = track(builder((List<Integer> batch) -> {
                    throw failure;
                })
                .batchSize(2)
                .maxDelay(hour())
                .deadLetterHandler((batch, cause) -> deadLetters.add(List.copyOf(batch)))
                .build());

        CompletableFuture<Void> first = processor.add(1);
        CompletableFuture<Void> second = processor.add(2);

        assertThatThrownBy(() -> first.get(10, TimeUnit.SECONDS))
                .isInstanceOf(ExecutionException.class)
                .hasRootCause(failure);
        assertThatThrownBy(() -> second.get(10, TimeUnit.SECONDS)).isInstanceOf(ExecutionException.class);
        assertThat(deadLetters).containsExactly(List.of(1, 2));
        await().untilAsserted(() -> assertThat(processor.stats().failed()).isEqualTo(2));
    }

    @Test
    void add_transientFailure_isRetriedThenSucceeds() throws Exception {
        AtomicInteger attempts = new AtomicInteger();
        BatchProcessor<Integer> processor = track(builder((List<Integer> batch) -> {
                    if (attempts.incrementAndGet() == 1) {
                        throw new java.io.IOException("connection reset");
                    }
                })
                .batchSize(1)
                .maxDelay(hour())
                .retry(3, Duration.ofMillis(1), 2.0, Duration.ofMillis(5))
                .build());

        processor.add(1).get(10, TimeUnit.SECONDS);

        assertThat(attempts).hasValue(2);
        assertThat(processor.stats().retried()).isEqualTo(1);
        assertThat(processor.stats().processed()).isEqualTo(1);
    }

    @Test
    void add_badInputOrClosed_throws() {
        BatchProcessor<Integer> processor =
                builder((List<Integer> batch) -> {}).maxDelay(hour()).build();

        assertThatThrownBy(() -> processor.add(null))
                .isInstanceOf(NullPointerException.class)
                .hasMessageContaining("item");
        processor.close();
        assertThatThrownBy(() -> processor.add(1))
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining(processor.name());
    }

    @Test
    void add_queueFull_rejectPolicy_rejectsWithoutLosingAccepted() throws Exception {
        CountDownLatch release = new CountDownLatch(1);
        List<Integer> processed = new CopyOnWriteArrayList<>();
        BatchProcessor<Integer> processor = track(builder((List<Integer> batch) -> {
                    release.await();
                    processed.addAll(batch);
                })
                .batchSize(2)
                .maxPending(4)
                .maxDelay(hour())
                .overflowPolicy(OverflowPolicy.REJECT)
                .build());

        List<CompletableFuture<Void>> accepted = new ArrayList<>();
        int rejected = 0;
        for (int i = 0; i < 50; i++) {
            try {
                accepted.add(processor.add(i));
            } catch (BatchRejectedException e) {
                rejected++;
                assertThat(e).hasMessageContaining(processor.name());
            }
        }
        release.countDown();
        // An odd number accepted leaves one item short of a batch, waiting for maxDelay (an hour):
        // flush it rather than depend on how many the race let in.
        Object unused = processor.flush().get(10, TimeUnit.SECONDS);
        CompletableFuture.allOf(accepted.toArray(CompletableFuture[]::new)).get(10, TimeUnit.SECONDS);

        assertThat(rejected).isPositive();
        assertThat(processed).hasSize(accepted.size());
        assertThat(processor.stats().rejected()).isEqualTo(rejected);
    }

    /**
     * Producers blocked on a full queue race close(): whatever add() accepted (returned a future
     * for) completes by the time close() returns; nothing is enqueued behind close()'s drain.
     */
    @Test
    void add_blockedProducersRacingClose_everyAcceptedFutureCompletes() throws Exception {
        for (int round = 0; round < 150; round++) {
            CountDownLatch release = new CountDownLatch(1);
            BatchProcessor<Integer> processor = builder((List<Integer> batch) -> release.await(10, TimeUnit.SECONDS))
                    .batchSize(1)
                    .maxPending(1)
                    .maxDelay(hour())
                    .overflowPolicy(OverflowPolicy.BLOCK)
                    .offerTimeout(Duration.ofSeconds(10))
                    .closeTimeout(Duration.ofSeconds(10))
                    .build();
            List<CompletableFuture<Void>> accepted = new CopyOnWriteArrayList<>();
            accepted.add(processor.add(-1)); // in flight, held by the latch
            await().pollDelay(Duration.ZERO)
                    .pollInterval(Duration.ofMillis(1))
                    .until(() -> processor.stats().pending() == 1);
            accepted.add(processor.add(-2)); // queued: the queue is full now
            List<Thread> producers = new ArrayList<>();
            for (int p = 0; p < 3; p++) {
                int item = p;
                Thread producer = new Thread(() -> {
                    try {
                        accepted.add(processor.add(item));
                    } catch (IllegalStateException | BatchRejectedException refused) {
                        // refused is fine: it was never accepted
                    }
                });
                producer.start();
                producers.add(producer);
            }
            await().pollDelay(Duration.ZERO).pollInterval(Duration.ofMillis(1)).until(() -> producers.stream()
                    .allMatch(t -> t.getState() == Thread.State.TIMED_WAITING || t.getState() == Thread.State.WAITING));
            Thread closer = new Thread(processor::close);
            closer.start();
            release.countDown();
            closer.join(TimeUnit.SECONDS.toMillis(30));
            for (Thread producer : producers) {
                producer.join(TimeUnit.SECONDS.toMillis(30));
            }
            assertThat(closer.isAlive()).isFalse();
            assertThat(accepted)
                    .as("round %d: every accepted item completed once close() returned", round)
                    .allMatch(CompletableFuture::isDone);
        }
    }

    @Test
    void deadLetterHandlerThrowingError_failsTheFutures_andTheProcessorGoesOn() throws Exception {
        AtomicInteger calls = new AtomicInteger();
        BatchProcessor<Integer> processor = track(builder((List<Integer> batch) -> {
                    if (batch.contains(1)) {
                        throw new IllegalArgumentException("bad item");
                    }
                })
                .batchSize(1)
                .maxDelay(hour())
                .deadLetterHandler((batch, cause) -> {
                    calls.incrementAndGet();
                    throw new AssertionError("broken dead-letter handler");
                })
                .build());

        CompletableFuture<Void> bad = processor.add(1);
        CompletableFuture<Void> good = processor.add(2);

        assertThatThrownBy(() -> bad.get(10, TimeUnit.SECONDS))
                .isInstanceOf(ExecutionException.class)
                .hasRootCauseInstanceOf(IllegalArgumentException.class);
        good.get(10, TimeUnit.SECONDS);
        assertThat(calls).hasValue(1);
        assertThat(processor.stats().failed()).isEqualTo(1);
        assertThat(processor.stats().processed()).isEqualTo(1);
        assertThat(processor.stats().pending()).isZero();
    }

    @Test
    void close_timeoutWithStuckBatch_failsItsFuturesAsUnknown() {
        CountDownLatch release = new CountDownLatch(1);
        BatchProcessor<Integer> processor = builder((List<Integer> batch) -> release.await(30, TimeUnit.SECONDS))
                .batchSize(1)
                .maxDelay(hour())
                .closeTimeout(Duration.ofMillis(100))
                .build();
        CompletableFuture<Void> stuck = processor.add(1);
        await().until(() -> processor.stats().pending() == 1);
        CompletableFuture<Void> queued = processor.add(2);

        processor.close();

        assertThat(stuck).isCompletedExceptionally();
        assertThatThrownBy(stuck::join).hasMessageContaining("unknown");
        assertThat(queued).isCompletedExceptionally();
        assertThatThrownBy(queued::join).hasMessageContaining("not processed");
        assertThat(processor.stats().failed()).isEqualTo(2);
        release.countDown();
    }

    @Test
    void add_queueFull_blockPolicy_timesOutWithRejection() throws Exception {
        CountDownLatch release = new CountDownLatch(1);
        BatchProcessor<Integer> processor = track(builder((List<Integer> batch) -> release.await())
                .batchSize(1)
                .maxPending(1)
                .maxDelay(hour())
                .overflowPolicy(OverflowPolicy.BLOCK)
                .offerTimeout(Duration.ofMillis(50))
                .build());

        List<CompletableFuture<Void>> accepted = new ArrayList<>();
        assertThatThrownBy(() -> {
                    for (int i = 0; i < 10; i++) {
                        accepted.add(processor.add(i));
                    }
                })
                .isInstanceOf(BatchRejectedException.class);
        release.countDown();
        CompletableFuture.allOf(accepted.toArray(CompletableFuture[]::new)).get(10, TimeUnit.SECONDS);
        assertThat(accepted).isNotEmpty().allMatch(f -> !f.isCompletedExceptionally());
    }

    @Test
    void maxInFlightOne_keepsOrder() {
        List<Integer> processed = Collections.synchronizedList(new ArrayList<>());
        BatchProcessor<Integer> processor = builder((List<Integer> batch) -> processed.addAll(batch))
                .batchSize(3)
                .maxDelay(Duration.ofMillis(5))
                .maxInFlight(1)
                .build();
        List<Integer> expected = new ArrayList<>();
        for (int i = 0; i < 1_000; i++) {
            processor.add(i);
            expected.add(i);
        }

        processor.close();

        assertThat(processed).containsExactlyElementsOf(expected);
    }

    @Test
    void add_concurrentProducers_everyItemProcessedExactlyOnce() throws Exception {
        int producers = 4;
        int perProducer = 5_000;
        List<Integer> processed = new CopyOnWriteArrayList<>();
        BatchProcessor<Integer> processor = builder((List<Integer> batch) -> processed.addAll(batch))
                .batchSize(64)
                .maxPending(100_000)
                .maxDelay(Duration.ofMillis(10))
                .build();
        List<CompletableFuture<Void>> futures = new CopyOnWriteArrayList<>();
        Concurrently.run(producers, 60, producer -> {
            for (int i = 0; i < perProducer; i++) {
                futures.add(processor.add(producer * perProducer + i));
            }
        });
        processor.close();

        assertThat(futures).hasSize(producers * perProducer).allMatch(f -> f.isDone() && !f.isCompletedExceptionally());
        assertThat(processed).hasSize(producers * perProducer).doesNotHaveDuplicates();
        BatchStats stats = processor.stats();
        assertThat(stats.added()).isEqualTo(producers * perProducer);
        assertThat(stats.processed()).isEqualTo(producers * perProducer);
        assertThat(stats.pending()).isZero();
    }

    @Test
    void asyncHandler_completesFuturesWhenItsStageCompletes() throws Exception {
        List<Integer> processed = new CopyOnWriteArrayList<>();
        BatchProcessor<Integer> processor = track(asyncBuilder((List<Integer> batch) -> {
                    List<Integer> copy = List.copyOf(batch);
                    return CompletableFuture.runAsync(() -> processed.addAll(copy));
                })
                .batchSize(2)
                .maxDelay(hour())
                .build());

        CompletableFuture<Void> first = processor.add(1);
        processor.add(2);

        first.get(10, TimeUnit.SECONDS);
        assertThat(processed).containsExactly(1, 2);
    }

    @Test
    void asyncHandler_failedStage_failsTheFutures() {
        BatchProcessor<Integer> processor = track(asyncBuilder(
                        (List<Integer> batch) -> CompletableFuture.failedFuture(new IllegalArgumentException("nope")))
                .batchSize(1)
                .maxDelay(hour())
                .build());

        assertThatThrownBy(() -> processor.add(1).get(10, TimeUnit.SECONDS)).isInstanceOf(ExecutionException.class);
    }
}
