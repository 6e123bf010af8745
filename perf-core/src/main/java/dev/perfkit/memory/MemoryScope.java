package dev.perfkit.memory;

/**
 * A measuring scope opened by {@link MemoryManager#profile(String)}; close it on the thread that
 * opened it (try-with-resources), then read {@link #report()}.
 */
public interface MemoryScope extends AutoCloseable {

    /** Returns the scope's name. */
    String name();

    /**
     * Returns the measurement.
     *
     * @return what the scope measured
     * @throws IllegalStateException if the scope is still open
     */
    MemoryScopeReport report();

    /** Ends the measurement. Idempotent. */
    @Override
    void close();
}
