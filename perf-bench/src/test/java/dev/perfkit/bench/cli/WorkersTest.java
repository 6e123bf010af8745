package dev.perfkit.bench.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/** A simulation never reports figures for a run whose workers failed or did not finish. */
class WorkersTest {

    @Test
    void everyWorkerRuns_withItsOwnIndex() {
        AtomicInteger sum = new AtomicInteger();
        Workers.run(4, "test", Duration.ofSeconds(30), worker -> sum.addAndGet(1 << worker));

        assertThat(sum).hasValue(0b1111);
    }

    @Test
    void aFailingWorker_failsTheRun_afterTheOthersFinished() {
        AtomicInteger finished = new AtomicInteger();
        IllegalArgumentException failure = new IllegalArgumentException("command 17 failed");

        assertThatThrownBy(() -> Workers.run(3, "test", Duration.ofSeconds(30), worker -> {
                    if (worker == 1) {
                        throw failure;
                    }
                    finished.incrementAndGet();
                }))
                .isInstanceOf(IllegalStateException.class)
                .hasCause(failure);
        assertThat(finished).hasValue(2);
    }

    @Test
    void workersStillRunningAfterTheTimeout_failTheRun() {
        CountDownLatch release = new CountDownLatch(1);
        try {
            assertThatThrownBy(() -> Workers.run(2, "stuck", Duration.ofMillis(50), worker -> {
                        try {
                            release.await();
                        } catch (InterruptedException e) {
                            Thread.currentThread().interrupt();
                        }
                    }))
                    .isInstanceOf(IllegalStateException.class)
                    .hasMessageContaining("still running");
        } finally {
            release.countDown();
        }
    }
}
