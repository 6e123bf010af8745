package dev.perfkit.memory;

/**
 * Something that can give memory back when the process is short of it, typically a cache. The
 * memory manager calls registered listeners before it resorts to a garbage collection, so caches
 * shrink without the memory module depending on the cache module.
 *
 * <pre>{@code
 * MemoryPressureRegistry.shared().register(myCache);   // myCache implements MemoryPressureListener
 * }</pre>
 *
 * <p>Implementations must be thread-safe and quick, and should not throw: an exception is logged
 * and the next listener is asked.
 */
@FunctionalInterface
public interface MemoryPressureListener {

    /**
     * Gives memory back.
     *
     * @param level how much to give back
     * @return a one-line description of what was released, e.g. {@code "query cache 'default':
     *     evicted 5000 of 10000 entries"}, for the memory manager's report
     */
    String relieveMemoryPressure(MemoryPressureLevel level);
}
