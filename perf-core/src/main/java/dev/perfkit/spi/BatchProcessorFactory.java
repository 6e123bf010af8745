package dev.perfkit.spi;

import dev.perfkit.batch.BatchProcessor;
import dev.perfkit.batch.BatchProcessorBuilder;

/**
 * Creates batch processors from a finished specification; the service an implementation module
 * provides to {@link BatchProcessorBuilder}. Hosts never implement or call it.
 */
@FunctionalInterface
public interface BatchProcessorFactory {

    /**
     * Creates and starts a processor.
     *
     * @param spec the checked settings
     * @param <T> the item type
     * @return a running processor
     */
    <T> BatchProcessor<T> create(BatchProcessorSpec<T> spec);
}
