package dev.perfkit.spi;

import dev.perfkit.PerfConfig;
import dev.perfkit.async.KeyedRateLimiter;
import dev.perfkit.async.TaskPools;
import dev.perfkit.cache.QueryCache;
import dev.perfkit.memory.MemoryManager;
import dev.perfkit.monitor.PerfMonitor;
import dev.perfkit.profile.QueryProfiler;
import java.time.Duration;
import java.util.Optional;

/**
 * Supplies implementations to the {@code Perf} facade. Each implementation module registers one in
 * {@code META-INF/services/dev.perfkit.spi.PerfProvider}; {@code Perf} finds them with {@link
 * java.util.ServiceLoader} and, for each component, uses the provider with the highest {@link
 * #priority()} that offers it.
 *
 * <p>Every method has a default that offers nothing, so a provider implements only what its module
 * provides. Factory methods are called at most once per component between {@code Perf.reset()}
 * calls, under a lock.
 */
public interface PerfProvider {

    /** Returns the priority among providers of the same component; higher wins. Default 0. */
    default int priority() {
        return 0;
    }

    /**
     * Creates the default query cache.
     *
     * @param config the configuration
     * @return the cache, or empty when this provider has none
     */
    default Optional<QueryCache> createQueryCache(PerfConfig config) {
        return Optional.empty();
    }

    /**
     * Creates the default memory manager.
     *
     * @param config the configuration
     * @return the manager, or empty when this provider has none
     */
    default Optional<MemoryManager> createMemoryManager(PerfConfig config) {
        return Optional.empty();
    }

    /**
     * Creates the default query profiler.
     *
     * @param config the configuration
     * @return the profiler, or empty when this provider has none
     */
    default Optional<QueryProfiler> createQueryProfiler(PerfConfig config) {
        return Optional.empty();
    }

    /**
     * Returns the factory of batch processors.
     *
     * @return the factory, or empty when this provider has none
     */
    default Optional<BatchProcessorFactory> batchProcessorFactory() {
        return Optional.empty();
    }

    /**
     * Creates the default task pools.
     *
     * @param config the configuration
     * @return the pools, or empty when this provider has none
     */
    default Optional<TaskPools> createTaskPools(PerfConfig config) {
        return Optional.empty();
    }

    /**
     * Creates a keyed rate limiter.
     *
     * @param config the configuration
     * @param name the limiter's name
     * @param permits permits per window per key, positive
     * @param window the window, positive
     * @return the limiter, or empty when this provider has none
     */
    default Optional<KeyedRateLimiter> createRateLimiter(PerfConfig config, String name, int permits, Duration window) {
        return Optional.empty();
    }

    /**
     * Creates the default monitor. The monitor reads the other default components through the
     * {@code Perf} facade; it must not create them while it is being created.
     *
     * @param config the configuration
     * @return the monitor, or empty when this provider has none
     */
    default Optional<PerfMonitor> createMonitor(PerfConfig config) {
        return Optional.empty();
    }
}
