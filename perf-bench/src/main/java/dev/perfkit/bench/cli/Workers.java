package dev.perfkit.bench.cli;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * The worker threads of a simulation: started together as daemons, awaited, and the first failure
 * rethrown, so that a run with a failed command never reports figures as if it had completed.
 */
final class Workers {
    /** The work of one worker. */
    @FunctionalInterface
    interface Body {
        void run(int worker);
    }

    private Workers() {}

    /**
     * Runs {@code count} workers named {@code name-<n>} and waits for all of them.
     *
     * @throws IllegalStateException with the first failure as its cause, or when the workers are
     *     not done within {@code timeout} or the wait is interrupted
     */
    static void run(int count, String name, Duration timeout, Body body) {
        CountDownLatch done = new CountDownLatch(count);
        List<Throwable> failures = new CopyOnWriteArrayList<>();
        for (int w = 0; w < count; w++) {
            int worker = w;
            Thread thread = new Thread(
                    () -> {
                        try {
                            body.run(worker);
                        } catch (RuntimeException | Error e) {
                            failures.add(e);
                        } finally {
                            done.countDown();
                        }
                    },
                    name + "-" + w);
            thread.setDaemon(true);
            thread.start();
        }
        try {
            if (!done.await(timeout.toNanos(), TimeUnit.NANOSECONDS)) {
                throw new IllegalStateException(name + ": workers still running after " + timeout);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(name + ": interrupted while the workers ran", e);
        }
        if (!failures.isEmpty()) {
            throw new IllegalStateException("a simulated command failed: " + failures.get(0), failures.get(0));
        }
    }

    /** A generous bound for a run meant to last {@code duration}: twenty times it, plus a minute. */
    static Duration patience(Duration duration) {
        return duration.multipliedBy(20).plusMinutes(1);
    }
}
