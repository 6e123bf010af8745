package dev.perfkit.batch;

/**
 * Creates batch processors from a finished specification; the service an implementation module
 * provides to {@link BatchProcessorBuilder}.
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
