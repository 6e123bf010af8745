package dev.perfkit.memory;

import java.time.Duration;
import java.util.function.Supplier;

/**
 * Watches and manages the memory of the current process: resident memory (RSS) and heap figures,
 * trends, garbage collection on request, leak tracking and memory-pressure relief.
 *
 * <pre>{@code
 * MemoryManager memory = Perf.getMemoryManager();
 * double rssMb = memory.getMemoryUsage();
 * memory.trackObject(session, "session");           // weakly; a leak suspect if alive past its lifetime
 * LeakReport leaks = memory.checkTrackedObjects();
 * Leaderboard board = memory.memoryIntensive("leaderboard", () -> buildLeaderboard(guild));
 * }</pre>
 *
 * <p>Implementations are thread-safe. Nothing here calls {@link System#gc()} on a hot path by
 * itself: only {@link #forceCollection()} and, above its threshold and at most once per configured
 * interval, {@link #optimizeMemoryUsage(long)} collect. {@link #close()} stops background sampling.
 */
public interface MemoryManager extends AutoCloseable {

    /**
     * Returns the resident memory (RSS) of this process in MB, as the operating system reports it.
     * Cheap enough to call per request: implementations cache the reading for a short interval.
     *
     * @return the resident set size in megabytes
     */
    double getMemoryUsage();

    /**
     * Takes a snapshot of the process and system memory figures.
     *
     * @return the current figures
     */
    MemorySnapshot snapshot();

    /**
     * Returns the recent memory samples and their growth rate.
     *
     * @return the trend; empty samples and zero growth until the sampler has run
     */
    MemoryTrend trend();

    /**
     * Runs a full garbage collection ({@link System#gc()}) now and reports what it freed. Call it
     * from maintenance tasks, never on a hot path.
     *
     * @return the heap freed and the time taken
     */
    CollectionResult forceCollection();

    /**
     * Tracks an object weakly with the default expected lifetime from the configuration. Tracking
     * never keeps the object alive.
     *
     * @param object the object to watch
     * @param name a name that groups objects of one kind in the leak report, e.g. {@code "session"}
     * @throws NullPointerException if {@code object} or {@code name} is null
     */
    void trackObject(Object object, String name);

    /**
     * Tracks an object weakly. If it is still reachable once {@code expectedLifetime} has passed,
     * its name becomes a leak suspect.
     *
     * @param object the object to watch
     * @param name a name that groups objects of one kind in the leak report
     * @param expectedLifetime how long the object is expected to live
     * @throws NullPointerException if an argument is null
     * @throws IllegalArgumentException if {@code expectedLifetime} is negative
     */
    void trackObject(Object object, String name, Duration expectedLifetime);

    /**
     * Reports the names whose tracked objects are still alive past their expected lifetime.
     *
     * @return the leak report
     */
    LeakReport checkTrackedObjects();

    /**
     * Relieves memory pressure when RSS is above a threshold: first asks the registered {@link
     * MemoryPressureListener}s (caches) to shrink, then collects if still above. Under the threshold
     * it does nothing.
     *
     * @param thresholdMb the RSS threshold in MB
     * @return whether it acted and what it did
     * @throws IllegalArgumentException if {@code thresholdMb} is negative
     */
    MemoryOptimizationResult optimizeMemoryUsage(long thresholdMb);

    /**
     * Runs memory-hungry work and measures it: bytes allocated by the current thread, RSS and heap
     * before and after. Logs calls that allocate a lot and relieves pressure afterwards when the
     * process is above its memory limit. The seed's {@code @memory_intensive} decorator.
     *
     * @param name the name of the work, for logs
     * @param work the work
     * @param <T> the result type
     * @return what {@code work} returned
     * @throws NullPointerException if an argument is null
     */
    <T> T memoryIntensive(String name, Supplier<T> work);

    /**
     * Opens a measuring scope, the try-with-resources form of {@link #memoryIntensive}:
     *
     * <pre>{@code
     * try (MemoryScope scope = memory.profile("import")) {
     *     importEverything();
     * }
     * log.info("{}", scope.report());
     * }</pre>
     *
     * @param name the name of the scope
     * @return an open scope, to be closed on the same thread
     * @throws NullPointerException if {@code name} is null
     */
    MemoryScope profile(String name);

    /**
     * Returns everything the manager knows at once: the current snapshot, the trend, tracked objects
     * and suspects, and the last collection. For reports and health checks.
     *
     * @return the report
     */
    MemoryReport getMemoryReport();

    /** Stops background sampling and releases resources. Idempotent. */
    @Override
    void close();
}
