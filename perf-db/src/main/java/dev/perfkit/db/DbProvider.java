package dev.perfkit.db;

import dev.perfkit.PerfConfig;
import dev.perfkit.profile.QueryProfiler;
import dev.perfkit.spi.BatchProcessorFactory;
import dev.perfkit.spi.PerfProvider;
import java.util.Optional;

/**
 * Supplies {@link MicrometerQueryProfiler} as {@code Perf.getQueryProfiler()} and the batch
 * processors of {@code Perf.batchProcessor(...)}. Registered in {@code META-INF/services}; hosts
 * never call it.
 */
public final class DbProvider implements PerfProvider {

    /** Creates the provider; called by {@link java.util.ServiceLoader}. */
    public DbProvider() {}

    @Override
    public Optional<QueryProfiler> createQueryProfiler(PerfConfig config) {
        return Optional.of(MicrometerQueryProfiler.create(config));
    }

    @Override
    public Optional<BatchProcessorFactory> batchProcessorFactory() {
        return Optional.of(BatchProcessors.factory());
    }
}
