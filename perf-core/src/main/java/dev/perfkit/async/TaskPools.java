package dev.perfkit.async;

import java.time.Duration;
import java.util.Set;

/**
 * The task pools of a process, one per kind of operation, so that a burst of one kind (API calls)
 * cannot starve another (database work). {@code "database"}, {@code "api"} and {@code "cpu"} exist
 * from the start, sized by the configuration ({@code ASYNC_DATABASE_CONCURRENCY}, ...); a host adds
 * its own with {@link #define}.
 *
 * <pre>{@code
 * TaskPools pools = Perf.getTaskPools();
 * TaskPool images = pools.define("images", 2, 50, Duration.ofSeconds(30));
 * pools.pool("database").submit(() -> accounts.find(eq("_id", id)).first());
 * }</pre>
 *
 * <p>Thread-safe. {@link #close()} (and {@code Perf.reset()}) fails the waiting tasks, interrupts
 * the running ones and stops every thread.
 */
public interface TaskPools extends AutoCloseable {

    /** The pool for database work. */
    String DATABASE = "database";

    /** The pool for calls to other services. */
    String API = "api";

    /** The pool for CPU-bound work. */
    String CPU = "cpu";

    /**
     * Returns a pool.
     *
     * @param name a predefined name or one given to {@link #define}
     * @return the pool
     * @throws NullPointerException if {@code name} is null
     * @throws IllegalArgumentException if no pool has that name (the message lists those that do)
     * @throws IllegalStateException if closed
     */
    TaskPool pool(String name);

    /**
     * Adds a pool.
     *
     * @param name its name, not blank, not taken
     * @param maxConcurrency tasks that may run at once, positive
     * @param queueCapacity tasks that may wait for a slot, zero or more
     * @param waitTimeout the longest a task may wait for a slot, positive, at most 365 days
     * @return the new pool
     * @throws IllegalArgumentException for a taken name or a value out of range
     * @throws IllegalStateException if closed
     */
    TaskPool define(String name, int maxConcurrency, int queueCapacity, Duration waitTimeout);

    /** Returns the names of every pool. */
    Set<String> names();

    /**
     * Fails waiting tasks, interrupts running ones, stops every thread and removes the meters.
     * Idempotent.
     */
    @Override
    void close();
}
