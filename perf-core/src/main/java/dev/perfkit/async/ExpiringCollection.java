package dev.perfkit.async;

import static java.util.Objects.requireNonNull;

import dev.perfkit.internal.Durations;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.PriorityQueue;
import java.util.function.LongSupplier;

/**
 * A bounded collection whose items expire by themselves, each after its own lifetime — the seeds'
 * {@code MemoryEfficiencientEffects(max_effects=100)}: active effects, cooldowns, pending
 * confirmations.
 *
 * <pre>{@code
 * ExpiringCollection<Effect> effects = ExpiringCollection.create(100);
 * effects.add(new Effect("coin_earned", 50), Duration.ofSeconds(3));
 * List<Effect> active = effects.active();        // only the live ones, oldest first
 * }</pre>
 *
 * <p><b>No thread.</b> Expired items are dropped on the next call that touches the collection, so
 * a collection costs no thread and nothing to stop; {@link #close()} only empties it.
 *
 * <p><b>Bound.</b> At most {@code maxItems} live items. Adding to a full collection first drops
 * what has expired; if it is still full, the item that would expire soonest is evicted (of two
 * that expire together, the older), and {@link #evictions()} counts it.
 *
 * <p>Thread-safe (one lock; every operation is O(log n) or, for {@link #active()}, O(n log n)).
 * After {@link #close()}, {@code add} throws {@link IllegalStateException} and the collection
 * reads as empty.
 *
 * @param <T> the item type
 */
public final class ExpiringCollection<T> implements AutoCloseable {
    private record Entry<T>(T item, long expiresAtNanos, long sequence) {}

    private static final Comparator<Entry<?>> SOONEST_FIRST =
            Comparator.<Entry<?>>comparingLong(Entry::expiresAtNanos).thenComparingLong(Entry::sequence);

    private final int maxItems;
    private final LongSupplier nanoClock;
    private final PriorityQueue<Entry<T>> entries = new PriorityQueue<>(SOONEST_FIRST);
    private long nextSequence;
    private long evictions;
    private boolean closed;

    private ExpiringCollection(int maxItems, LongSupplier nanoClock) {
        this.maxItems = maxItems;
        this.nanoClock = nanoClock;
    }

    /**
     * Creates a collection holding at most {@code maxItems} live items.
     *
     * @param maxItems the bound, positive
     * @param <T> the item type
     * @return an empty collection
     * @throws IllegalArgumentException if {@code maxItems} is not positive
     */
    public static <T> ExpiringCollection<T> create(int maxItems) {
        return create(maxItems, System::nanoTime);
    }

    /**
     * Creates a collection on another clock (tests pass a fake one).
     *
     * @param maxItems the bound, positive
     * @param nanoClock a monotonic clock in nanoseconds, like {@link System#nanoTime()}
     * @param <T> the item type
     * @return an empty collection
     * @throws IllegalArgumentException if {@code maxItems} is not positive
     * @throws NullPointerException if {@code nanoClock} is null
     */
    public static <T> ExpiringCollection<T> create(int maxItems, LongSupplier nanoClock) {
        if (maxItems <= 0) {
            throw new IllegalArgumentException("maxItems must be positive: " + maxItems);
        }
        return new ExpiringCollection<>(maxItems, requireNonNull(nanoClock, "nanoClock"));
    }

    /**
     * Adds an item that expires after {@code lifetime}.
     *
     * @param item the item
     * @param lifetime how long it stays, positive, at most 365 days
     * @throws NullPointerException if an argument is null
     * @throws IllegalArgumentException if {@code lifetime} is not positive or too long
     * @throws IllegalStateException if closed
     */
    public void add(T item, Duration lifetime) {
        requireNonNull(item, "item");
        long nanos = Durations.checkPositive("lifetime", lifetime).toNanos();
        synchronized (entries) {
            if (closed) {
                throw new IllegalStateException("expiring collection is closed");
            }
            long now = nanoClock.getAsLong();
            purge(now);
            if (entries.size() >= maxItems) {
                entries.poll();
                evictions++;
            }
            entries.add(new Entry<>(item, now + nanos, nextSequence++));
        }
    }

    /** Returns the live items, oldest first (a copy). */
    public List<T> active() {
        List<Entry<T>> live;
        synchronized (entries) {
            purge(nanoClock.getAsLong());
            live = new ArrayList<>(entries);
        }
        live.sort(Comparator.comparingLong(Entry::sequence));
        List<T> items = new ArrayList<>(live.size());
        live.forEach(entry -> items.add(entry.item()));
        return items;
    }

    /** Returns the number of live items. */
    public int size() {
        synchronized (entries) {
            purge(nanoClock.getAsLong());
            return entries.size();
        }
    }

    /** Returns the bound on live items. */
    public int maxItems() {
        return maxItems;
    }

    /** Returns how many live items were evicted to make room. */
    public long evictions() {
        synchronized (entries) {
            return evictions;
        }
    }

    /** Empties the collection; later adds throw {@link IllegalStateException}. Idempotent. */
    @Override
    public void close() {
        synchronized (entries) {
            closed = true;
            entries.clear();
        }
    }

    /** Called with the lock held. Overflow-safe: compares the difference, as nanoTime requires. */
    private void purge(long now) {
        while (!entries.isEmpty() && now - entries.peek().expiresAtNanos() >= 0) {
            entries.poll();
        }
    }
}
