package dev.perfkit.monitor.micrometer;

import java.util.concurrent.atomic.AtomicLongArray;

/*
 * Requests, failures and summed nanoseconds over the last N seconds, in one-second buckets, without
 * allocation or locks on the recording path. A bucket holds the second it counts for; the first
 * recorder of a new second claims the bucket (CAS on that second) and zeroes it. A recorder racing
 * that claim may add to the bucket just before it is zeroed, so counts are exact under one thread and
 * may lose a few increments at second boundaries under contention: fine for a rate and a ratio, and
 * why the report calls them approximate. The cumulative totals are kept elsewhere, exactly.
 */
final class SlidingWindow {
    private static final long NANOS_PER_SECOND = 1_000_000_000L;
    private static final int STRIDE = 4; // second, count, errors, nanos

    private final int seconds;
    private final AtomicLongArray buckets;

    SlidingWindow(int seconds) {
        this.seconds = seconds;
        this.buckets = new AtomicLongArray(seconds * STRIDE);
        for (int i = 0; i < seconds; i++) {
            buckets.set(i * STRIDE, Long.MIN_VALUE);
        }
    }

    void record(long nowNanos, long durationNanos, boolean success) {
        long second = Math.floorDiv(nowNanos, NANOS_PER_SECOND);
        int base = (int) Math.floorMod(second, (long) seconds) * STRIDE;
        long held = buckets.get(base);
        if (held != second) {
            if (held < second && buckets.compareAndSet(base, held, second)) {
                buckets.set(base + 1, 0);
                buckets.set(base + 2, 0);
                buckets.set(base + 3, 0);
            } else if (buckets.get(base) != second) {
                return; // a recorder with an older clock reading lost its bucket: drop, it is outside the window
            }
        }
        buckets.incrementAndGet(base + 1);
        if (!success) {
            buckets.incrementAndGet(base + 2);
        }
        buckets.addAndGet(base + 3, durationNanos);
    }

    /** Sums the buckets of the last {@code seconds} seconds, the current one included. */
    Totals totals(long nowNanos) {
        long current = Math.floorDiv(nowNanos, NANOS_PER_SECOND);
        long count = 0;
        long errors = 0;
        long nanos = 0;
        for (int i = 0; i < seconds; i++) {
            int base = i * STRIDE;
            long second = buckets.get(base);
            if (second <= current && second > current - seconds) {
                count += buckets.get(base + 1);
                errors += buckets.get(base + 2);
                nanos += buckets.get(base + 3);
            }
        }
        return new Totals(count, errors, nanos);
    }

    int seconds() {
        return seconds;
    }

    record Totals(long count, long errors, long nanos) {}
}
