package dev.perfkit.memory.oshi;

import dev.perfkit.memory.LeakReport;
import dev.perfkit.memory.LeakSuspect;
import java.lang.ref.Reference;
import java.lang.ref.ReferenceQueue;
import java.lang.ref.WeakReference;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.LongAdder;

/*
 * Weak-reference leak tracking. Each tracked object gets a TrackedRef (a WeakReference carrying its
 * name, start time and expected lifetime) in a concurrent set; the reference queue tells which
 * objects were collected, and every call drains it, so the set holds only live objects (plus the
 * few cleared since the last drain).
 *
 * Bound: at most `cap` references in normal operation. At the cap, calls are sampled one in
 * SAMPLE_ONE_IN (like Netty's leak detector), up to a hard ceiling of cap + cap / 4; the report says
 * that it is sampling and at which rate, so counts are read as a sample.
 *
 * Cost per trackObject: one small allocation, a nanoTime, a set insertion and an (almost always
 * empty) queue poll — well under a microsecond (MemoryManagerBenchmark).
 */
final class LeakTracker {
    static final int SAMPLE_ONE_IN = 64;

    private final int cap;
    private final int hardCap;
    private final ReferenceQueue<Object> queue = new ReferenceQueue<>();
    private final Set<TrackedRef> tracked = ConcurrentHashMap.newKeySet();
    private final AtomicInteger count = new AtomicInteger();
    private final LongAdder callsAtCap = new LongAdder();
    private final LongAdder trackedAtCap = new LongAdder();

    private static final class TrackedRef extends WeakReference<Object> {
        final String name;
        final long startNanos;
        final long lifetimeNanos;

        TrackedRef(Object referent, String name, long lifetimeNanos, ReferenceQueue<Object> queue) {
            super(referent, queue);
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
        drain();
        int current = count.get();
        if (current >= cap) {
            callsAtCap.increment();
            if (current >= hardCap || ThreadLocalRandom.current().nextInt(SAMPLE_ONE_IN) != 0) {
                return;
            }
            trackedAtCap.increment();
        }
        long lifetimeNanos;
        try {
            lifetimeNanos = lifetime.toNanos();
        } catch (ArithmeticException tooLong) {
            lifetimeNanos = Long.MAX_VALUE;
        }
        tracked.add(new TrackedRef(object, name, lifetimeNanos, queue));
        count.incrementAndGet();
    }

    /** Forgets references whose objects were collected. */
    void drain() {
        Reference<?> cleared;
        while ((cleared = queue.poll()) != null) {
            if (tracked.remove(cleared)) {
                count.decrementAndGet();
            }
        }
    }

    int trackedCount() {
        drain();
        return count.get();
    }

    LeakReport report() {
        drain();
        long now = System.nanoTime();
        Map<String, long[]> byName = new HashMap<>(); // name -> {alive, oldest age, lifetime of oldest}
        for (TrackedRef ref : tracked) {
            if (ref.refersTo(null)) {
                if (tracked.remove(ref)) {
                    count.decrementAndGet();
                }
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
