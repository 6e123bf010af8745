package dev.perfkit.memory.oshi;

import dev.perfkit.memory.LeakReport;
import dev.perfkit.memory.LeakSuspect;
import java.lang.ref.WeakReference;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.LongAdder;
import java.util.concurrent.locks.ReentrantLock;

/*
 * Weak-reference leak tracking. Each tracked object gets a TrackedRef (a WeakReference carrying its
 * name, start time and expected lifetime) appended to a lock-free queue. There is no
 * ReferenceQueue: enqueueing every cleared reference costs the JVM's reference handler and our
 * polling far more than it saves (measured: ~2 µs per tracked short-lived object with one, a
 * fraction of that without). Instead, cleared references are swept out in one pass when the count
 * reaches the cap, and by every report. A sweep costs O(cap) and happens at most once per cap/4
 * calls at the cap, so it is O(1) per call amortized.
 *
 * Bound: at most `cap` references after a sweep. When a sweep cannot get under the cap (the
 * objects are alive: the leak case), calls are sampled one in SAMPLE_ONE_IN (like Netty's leak
 * detector), up to a hard ceiling of cap + cap / 4; the report says that it is sampling and at
 * which rate, so its counts are read as a sample.
 */
final class LeakTracker {
    static final int SAMPLE_ONE_IN = 64;

    private final int cap;
    private final int hardCap;
    private final ConcurrentLinkedQueue<TrackedRef> tracked = new ConcurrentLinkedQueue<>();
    private final AtomicInteger count = new AtomicInteger();
    private final AtomicInteger callsSinceSweep = new AtomicInteger();
    private final ReentrantLock sweepLock = new ReentrantLock();
    private final LongAdder callsAtCap = new LongAdder();
    private final LongAdder trackedAtCap = new LongAdder();

    private static final class TrackedRef extends WeakReference<Object> {
        final String name;
        final long startNanos;
        final long lifetimeNanos;

        TrackedRef(Object referent, String name, long lifetimeNanos) {
            super(referent);
            this.name = name;
            this.startNanos = System.nanoTime();
            this.lifetimeNanos = lifetimeNanos;
        }
    }

    LeakTracker(int cap) {
        this.cap = cap;
        this.hardCap = cap + Math.max(1, cap / 4);
    }

    void track(Object object, String name, Duration lifetime) {
        int current = count.get();
        if (current >= cap) {
            current = sweepAtCap(current);
            if (current >= cap) {
                callsAtCap.increment();
                if (current >= hardCap || ThreadLocalRandom.current().nextInt(SAMPLE_ONE_IN) != 0) {
                    return;
                }
                trackedAtCap.increment();
            }
        }
        long lifetimeNanos;
        try {
            lifetimeNanos = lifetime.toNanos();
        } catch (ArithmeticException tooLong) {
            lifetimeNanos = Long.MAX_VALUE;
        }
        tracked.add(new TrackedRef(object, name, lifetimeNanos));
        count.incrementAndGet();
    }

    /** At the cap: sweep, unless another thread is sweeping or one swept within the last cap/4 calls. */
    private int sweepAtCap(int current) {
        if (callsSinceSweep.incrementAndGet() < Math.max(1, cap / 4)) {
            return current;
        }
        if (!sweepLock.tryLock()) {
            return current;
        }
        try {
            callsSinceSweep.set(0);
            sweep();
            return count.get();
        } finally {
            sweepLock.unlock();
        }
    }

    /** Removes references whose objects were collected. */
    private void sweep() {
        for (Iterator<TrackedRef> refs = tracked.iterator(); refs.hasNext(); ) {
            if (refs.next().refersTo(null)) {
                refs.remove();
                count.decrementAndGet();
            }
        }
    }

    int trackedCount() {
        sweepLock.lock();
        try {
            sweep();
        } finally {
            sweepLock.unlock();
        }
        return count.get();
    }

    LeakReport report() {
        long now = System.nanoTime();
        Map<String, long[]> byName = new HashMap<>(); // name -> {alive, oldest age, lifetime of oldest}
        sweepLock.lock();
        try {
            for (Iterator<TrackedRef> refs = tracked.iterator(); refs.hasNext(); ) {
                TrackedRef ref = refs.next();
                if (ref.refersTo(null)) {
                    refs.remove();
                    count.decrementAndGet();
                    continue;
                }
                long age = now - ref.startNanos;
                if (age > ref.lifetimeNanos) {
                    long[] stats = byName.computeIfAbsent(ref.name, name -> new long[3]);
                    stats[0]++;
                    if (age > stats[1]) {
                        stats[1] = age;
                        stats[2] = ref.lifetimeNanos;
                    }
                }
            }
        } finally {
            sweepLock.unlock();
        }
        List<LeakSuspect> suspects = new ArrayList<>();
        byName.forEach((name, stats) -> suspects.add(new LeakSuspect(
                name,
                (int) Math.min(Integer.MAX_VALUE, stats[0]),
                Duration.ofNanos(stats[1]),
                Duration.ofNanos(stats[2]))));
        suspects.sort(
                Comparator.comparingInt(LeakSuspect::aliveCount).reversed().thenComparing(LeakSuspect::name));
        long atCap = callsAtCap.sum();
        boolean sampling = atCap > 0;
        double rate = sampling ? (double) trackedAtCap.sum() / atCap : 1.0;
        return new LeakReport(suspects, count.get(), sampling, rate);
    }
}
