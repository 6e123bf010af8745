package dev.perfkit.memory;

import static java.util.Objects.requireNonNull;

import java.lang.ref.WeakReference;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The listeners a memory manager asks to give memory back, held weakly: registering a cache never
 * keeps it alive, and a collected listener silently leaves the registry. Keep a strong reference to
 * a listener for as long as it should be asked (a lambda held nowhere else is collected at once).
 *
 * <p>{@link #shared()} is the registry that {@code Perf}'s default components use. Hosts that wire
 * components themselves can create their own with {@link #create()} and hand it to both sides.
 *
 * <p>Thread-safe. Registration is rare and relief is rarer, so a copy-on-write list suffices.
 */
public final class MemoryPressureRegistry {
    private static final Logger log = LoggerFactory.getLogger(MemoryPressureRegistry.class);
    private static final MemoryPressureRegistry SHARED = new MemoryPressureRegistry();

    private final CopyOnWriteArrayList<WeakReference<MemoryPressureListener>> listeners = new CopyOnWriteArrayList<>();

    private MemoryPressureRegistry() {}

    /** Returns the process-wide registry used by the {@code Perf} defaults. */
    public static MemoryPressureRegistry shared() {
        return SHARED;
    }

    /** Returns a new, empty registry for hosts that wire components themselves. */
    public static MemoryPressureRegistry create() {
        return new MemoryPressureRegistry();
    }

    /**
     * Registers a listener, weakly.
     *
     * @param listener the listener
     * @return a handle whose {@code close()} unregisters it
     * @throws NullPointerException if {@code listener} is null
     */
    public Registration register(MemoryPressureListener listener) {
        requireNonNull(listener, "listener");
        WeakReference<MemoryPressureListener> reference = new WeakReference<>(listener);
        listeners.add(reference);
        listeners.removeIf(ref -> ref.get() == null);
        return () -> listeners.remove(reference);
    }

    /** Returns the number of registered listeners that are still alive. */
    public int size() {
        int alive = 0;
        for (WeakReference<MemoryPressureListener> reference : listeners) {
            if (reference.get() != null) {
                alive++;
            }
        }
        return alive;
    }

    /**
     * Asks every live listener to give memory back. A listener that throws is logged and skipped.
     *
     * @param level how much to give back
     * @return one description per listener that answered, in registration order
     * @throws NullPointerException if {@code level} is null
     */
    public List<String> relieve(MemoryPressureLevel level) {
        requireNonNull(level, "level");
        List<String> actions = new ArrayList<>();
        for (WeakReference<MemoryPressureListener> reference : listeners) {
            MemoryPressureListener listener = reference.get();
            if (listener == null) {
                listeners.remove(reference);
                continue;
            }
            try {
                actions.add(listener.relieveMemoryPressure(level));
            } catch (RuntimeException e) {
                log.warn("Memory pressure listener {} failed; continuing with the others", listener, e);
            }
        }
        return actions;
    }

    /** The handle of one registration. */
    @FunctionalInterface
    public interface Registration extends AutoCloseable {
        /** Unregisters the listener. Idempotent. */
        @Override
        void close();
    }
}
