package dev.perfkit;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

/** Runs a body on several threads released at the same moment, for the concurrency tests of every module. */
public final class Concurrently {
    /** The work of one thread. */
    @FunctionalInterface
    public interface Body {
        /**
         * Runs on one thread.
         *
         * @param thread the thread's index, 0 to threads - 1
         * @throws Exception to fail the run
         */
        void run(int thread) throws Exception;
    }

    private Concurrently() {}

    /**
     * Starts {@code threads} threads together and waits for all of them; the first failure is
     * rethrown (wrapped in an {@code ExecutionException}).
     *
     * @param threads how many
     * @param timeoutSeconds how long each may take
     * @param body the work
     * @throws Exception a failure of the body, or a timeout
     */
    public static void run(int threads, long timeoutSeconds, Body body) throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(threads);
        CountDownLatch start = new CountDownLatch(1);
        try {
            List<Future<?>> done = new ArrayList<>();
            for (int t = 0; t < threads; t++) {
                int thread = t;
                done.add(pool.submit(() -> {
                    start.await();
                    body.run(thread);
                    return null;
                }));
            }
            start.countDown();
            for (Future<?> future : done) {
                future.get(timeoutSeconds, TimeUnit.SECONDS);
            }
        } finally {
            pool.shutdownNow();
        }
    }
}
