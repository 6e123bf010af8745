package dev.perfkit.db;

import dev.perfkit.PerfConfig;
import dev.perfkit.batch.AsyncBatchHandler;
import dev.perfkit.batch.BatchHandler;
import dev.perfkit.batch.BatchProcessor;
import dev.perfkit.batch.BatchProcessorBuilder;
import dev.perfkit.spi.BatchProcessorFactory;
import dev.perfkit.spi.BatchProcessorSpec;

/**
 * Builds perf-db's batch processors without the {@code Perf} facade, for hosts that inject:
 *
 * <pre>{@code
 * BatchProcessor<WriteModel<Document>> writes = BatchProcessors.builder(config, batch -> users.bulkWrite(batch))
 *         .name("user-writes")
 *         .batchSize(100)
 *         .build();
 * }</pre>
 *
 * <p>{@code Perf.batchProcessor(handler)} returns the same builder with {@code Perf.getConfig()}.
 */
public final class BatchProcessors {
    private static final BatchProcessorFactory FACTORY = new BatchProcessorFactory() {
        @Override
        public <T> BatchProcessor<T> create(BatchProcessorSpec<T> spec) {
            return Resilience4jBatchProcessor.start(spec);
        }
    };

    private BatchProcessors() {}

    /** Returns the factory that creates perf-db's processors from a specification. */
    public static BatchProcessorFactory factory() {
        return FACTORY;
    }

    /**
     * Starts a builder for a synchronous handler.
     *
     * @param config supplies the defaults (batch size, delay, pending bound, meter registry)
     * @param handler processes each batch
     * @param <T> the item type
     * @return a builder
     */
    public static <T> BatchProcessorBuilder<T> builder(PerfConfig config, BatchHandler<T> handler) {
        return BatchProcessorBuilder.of(FACTORY, config, handler);
    }

    /**
     * Starts a builder for an asynchronous handler.
     *
     * @param config supplies the defaults
     * @param handler starts processing each batch
     * @param <T> the item type
     * @return a builder
     */
    public static <T> BatchProcessorBuilder<T> asyncBuilder(PerfConfig config, AsyncBatchHandler<T> handler) {
        return BatchProcessorBuilder.ofAsync(FACTORY, config, handler);
    }
}
