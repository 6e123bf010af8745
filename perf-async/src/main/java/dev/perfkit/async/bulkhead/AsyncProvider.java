package dev.perfkit.async.bulkhead;

import dev.perfkit.PerfConfig;
import dev.perfkit.async.KeyedRateLimiter;
import dev.perfkit.async.TaskPools;
import dev.perfkit.async.bucket4j.Bucket4jRateLimiter;
import dev.perfkit.spi.PerfProvider;
import java.time.Duration;
import java.util.Optional;

/**
 * Supplies {@link BulkheadTaskPools} as {@code Perf.getTaskPools()} and {@link Bucket4jRateLimiter}s
 * as {@code Perf.rateLimiter(...)}. Registered in {@code META-INF/services}; hosts never call it.
 */
public final class AsyncProvider implements PerfProvider {

    /** Creates the provider; called by {@link java.util.ServiceLoader}. */
    public AsyncProvider() {}

    @Override
    public Optional<TaskPools> createTaskPools(PerfConfig config) {
        return Optional.of(BulkheadTaskPools.create(config));
    }

    @Override
    public Optional<KeyedRateLimiter> createRateLimiter(PerfConfig config, String name, int permits, Duration window) {
        return Optional.of(Bucket4jRateLimiter.create(config, name, permits, window));
    }
}
