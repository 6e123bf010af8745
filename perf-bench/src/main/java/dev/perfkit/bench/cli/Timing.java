package dev.perfkit.bench.cli;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.function.LongConsumer;

/*
 * A small timing harness for the perf-test suite (JMH is the precise tool; this one fits a suite
 * into a minute). An operation runs in rounds of at least ROUND_NANOS; the first third of the time
 * budget warms up, the rest is measured, and the median round wins, which shrugs off the odd GC
 * pause or noisy neighbour. compare() alternates the rounds of two operations so that drifting
 * machine load hits both alike, which is what a ratio needs.
 */
final class Timing {
    private static final long ROUND_NANOS = 5_000_000;
    private static long sequence;

    private Timing() {}

    /** Median nanoseconds per operation. */
    static double nanosPerOp(LongConsumer op, long budgetNanos) {
        return compare(op, null, budgetNanos)[0];
    }

    /** Median nanoseconds per operation of {@code a} and of {@code b}, rounds interleaved. */
    static double[] compare(LongConsumer a, LongConsumer b, long budgetNanos) {
        int opsA = calibrate(a);
        int opsB = b == null ? 0 : calibrate(b);
        // At least a second of warm-up: the suite starts in a fresh JVM whose compiler is busy.
        long warmEnd = System.nanoTime() + Math.max(budgetNanos / 3, 1_000_000_000L);
        while (System.nanoTime() < warmEnd) {
            round(a, opsA);
            if (b != null) {
                round(b, opsB);
            }
        }
        List<Double> roundsA = new ArrayList<>();
        List<Double> roundsB = new ArrayList<>();
        long end = System.nanoTime() + budgetNanos * 2 / 3;
        do {
            roundsA.add(round(a, opsA));
            if (b != null) {
                roundsB.add(round(b, opsB));
            }
        } while (System.nanoTime() < end);
        return new double[] {median(roundsA), b == null ? Double.NaN : median(roundsB)};
    }

    /** Operations per round, so that a round lasts at least ROUND_NANOS. */
    private static int calibrate(LongConsumer op) {
        int ops = 1;
        while (true) {
            long start = System.nanoTime();
            for (int i = 0; i < ops; i++) {
                op.accept(sequence++);
            }
            long elapsed = System.nanoTime() - start;
            if (elapsed >= ROUND_NANOS / 4 || ops >= 1 << 24) {
                return (int) Math.max(1, Math.min(1 << 24, (long) ops * ROUND_NANOS / Math.max(1, elapsed)));
            }
            ops *= 4;
        }
    }

    private static double round(LongConsumer op, int ops) {
        long start = System.nanoTime();
        for (int i = 0; i < ops; i++) {
            op.accept(sequence++);
        }
        return (double) (System.nanoTime() - start) / ops;
    }

    static double median(List<Double> values) {
        List<Double> sorted = new ArrayList<>(values);
        Collections.sort(sorted);
        int n = sorted.size();
        return n % 2 == 1 ? sorted.get(n / 2) : (sorted.get(n / 2 - 1) + sorted.get(n / 2)) / 2;
    }
}
