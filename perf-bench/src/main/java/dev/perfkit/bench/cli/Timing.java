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
 *
 * Noise: besides the median, each measurement keeps the round-to-round spread — half the range
 * between the 10th and 90th percentile of its rounds. Two runs of the same code differ by about
 * that much, so a comparison of reports only calls a change a regression when it is larger than
 * both runs' spreads together (see Comparison).
 */
final class Timing {
    private static final long ROUND_NANOS = 5_000_000;
    private static final long MAX_WARM_UP_FLOOR_NANOS = 1_000_000_000L;
    private static long sequence;

    /**
     * A median and its round-to-round spread, in one unit: nanoseconds per operation as measured,
     * or whatever unit a conversion below gives.
     */
    record Measurement(double value, double noise) {
        /** The same measurement in another unit: {@code value / divisor}. */
        Measurement in(double divisor) {
            return new Measurement(value / divisor, noise / divisor);
        }

        /** Nanoseconds per operation turned into {@code amount} per second, with its spread. */
        Measurement perSecond(double amount) {
            double rate = amount / (value / 1e9);
            return new Measurement(rate, rate * noise / value);
        }

        /** The ratio {@code this / other}, its spread from both relative spreads. */
        Measurement over(Measurement other) {
            double ratio = value / other.value;
            return new Measurement(ratio, ratio * (noise / value + other.noise / other.value));
        }
    }

    private Timing() {}

    /** Median nanoseconds per operation, with its spread. */
    static Measurement measure(LongConsumer op, long budgetNanos) {
        return compare(op, null, budgetNanos)[0];
    }

    /** Median nanoseconds per operation of {@code a} and of {@code b}, rounds interleaved. */
    static Measurement[] compare(LongConsumer a, LongConsumer b, long budgetNanos) {
        int opsA = calibrate(a);
        int opsB = b == null ? 0 : calibrate(b);
        // At least a second of warm-up (less only for tiny test budgets): the suite starts in a
        // fresh JVM whose compiler is busy.
        long warmEnd = System.nanoTime() + Math.max(budgetNanos / 3, Math.min(MAX_WARM_UP_FLOOR_NANOS, budgetNanos));
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
        return new Measurement[] {summarize(roundsA), b == null ? null : summarize(roundsB)};
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

    /** Median and spread (half the 10th-90th percentile range) of some values. */
    static Measurement summarize(List<Double> values) {
        List<Double> sorted = new ArrayList<>(values);
        Collections.sort(sorted);
        return new Measurement(median(sorted), (percentile(sorted, 0.9) - percentile(sorted, 0.1)) / 2);
    }

    static double median(List<Double> values) {
        List<Double> sorted = new ArrayList<>(values);
        Collections.sort(sorted);
        int n = sorted.size();
        return n % 2 == 1 ? sorted.get(n / 2) : (sorted.get(n / 2 - 1) + sorted.get(n / 2)) / 2;
    }

    /** Linear interpolation between the closest ranks of sorted values. */
    private static double percentile(List<Double> sorted, double p) {
        if (sorted.size() == 1) {
            return sorted.get(0);
        }
        double rank = p * (sorted.size() - 1);
        int low = (int) Math.floor(rank);
        int high = (int) Math.ceil(rank);
        return sorted.get(low) + (sorted.get(high) - sorted.get(low)) * (rank - low);
    }
}
