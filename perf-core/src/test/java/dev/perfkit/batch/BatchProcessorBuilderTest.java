package dev.perfkit.batch;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.perfkit.PerfConfig;
import dev.perfkit.PerformanceMode;
import dev.perfkit.spi.BatchProcessorFactory;
import dev.perfkit.spi.BatchProcessorSpec;
import java.io.IOException;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CancellationException;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

class BatchProcessorBuilderTest {
    private final AtomicReference<BatchProcessorSpec<?>> built = new AtomicReference<>();
    private final BatchProcessorFactory capturing = new BatchProcessorFactory() {
        @Override
        public <T> BatchProcessor<T> create(BatchProcessorSpec<T> spec) {
            built.set(spec);
            return null;
        }
    };

    @Test
    void build_defaultsComeFromTheConfig() {
        PerfConfig config = PerfConfig.preset(PerformanceMode.HIGH);

        BatchProcessorBuilder.of(capturing, config, (List<String> batch) -> {}).build();

        BatchProcessorSpec<?> spec = built.get();
        assertThat(spec.batchSize()).isEqualTo(config.batchSize());
        assertThat(spec.maxDelay()).isEqualTo(config.batchMaxDelay());
        assertThat(spec.maxPending()).isEqualTo(config.batchMaxPending());
        assertThat(spec.overflowPolicy()).isEqualTo(OverflowPolicy.BLOCK);
        assertThat(spec.maxInFlight()).isEqualTo(1);
        assertThat(spec.maxAttempts()).isEqualTo(3);
        assertThat(spec.name()).startsWith("batch-");
        assertThat(spec.isAsync()).isFalse();
        assertThat(spec.deadLetterHandler()).isNotNull();
        assertThat(spec.meterRegistry()).isSameAs(config.meterRegistry());
    }

    @Test
    void build_explicitValuesWin() {
        BatchProcessorBuilder.ofAsync(capturing, PerfConfig.builder().build(), (List<String> batch) -> null)
                .name("orders")
                .batchSize(10)
                .maxDelay(Duration.ofMillis(5))
                .maxPending(20)
                .overflowPolicy(OverflowPolicy.REJECT)
                .maxInFlight(4)
                .retry(5, Duration.ofMillis(10), 3.0, Duration.ofSeconds(1))
                .closeTimeout(Duration.ZERO)
                .drainOnShutdown(true)
                .build();

        BatchProcessorSpec<?> spec = built.get();
        assertThat(spec.name()).isEqualTo("orders");
        assertThat(spec.batchSize()).isEqualTo(10);
        assertThat(spec.maxPending()).isEqualTo(20);
        assertThat(spec.overflowPolicy()).isEqualTo(OverflowPolicy.REJECT);
        assertThat(spec.maxInFlight()).isEqualTo(4);
        assertThat(spec.maxAttempts()).isEqualTo(5);
        assertThat(spec.backoffMultiplier()).isEqualTo(3.0);
        assertThat(spec.isAsync()).isTrue();
        assertThat(spec.drainOnShutdown()).isTrue();
    }

    @Test
    void setters_rejectBadValuesWithTheValue() {
        BatchProcessorBuilder<String> builder =
                BatchProcessorBuilder.of(capturing, PerfConfig.builder().build(), batch -> {});

        assertThatThrownBy(() -> builder.batchSize(0)).hasMessage("batchSize must be positive: 0");
        assertThatThrownBy(() -> builder.maxPending(-2)).hasMessage("maxPending must be positive: -2");
        assertThatThrownBy(() -> builder.maxInFlight(0)).hasMessage("maxInFlight must be positive: 0");
        assertThatThrownBy(() -> builder.maxDelay(Duration.ZERO)).hasMessage("maxDelay must be positive: PT0S");
        assertThatThrownBy(() -> builder.offerTimeout(Duration.ofSeconds(-1)))
                .hasMessage("offerTimeout must not be negative: PT-1S");
        assertThatThrownBy(() -> builder.retry(3, Duration.ofMillis(10), 0.5, Duration.ofSeconds(1)))
                .hasMessage("multiplier must be at least 1: 0.5");
        assertThatThrownBy(() -> builder.retry(3, Duration.ofSeconds(2), 2, Duration.ofSeconds(1)))
                .hasMessageContaining("maxBackoff must be at least initialBackoff");
        assertThatThrownBy(() -> builder.name(" ")).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> builder.maxDelay(Duration.ofDays(36_500)))
                .hasMessage("maxDelay must be at most 365 days: PT876000H");
        assertThatThrownBy(() -> builder.closeTimeout(Duration.ofDays(36_500)))
                .hasMessageContaining("closeTimeout must be at most 365 days");
        assertThatThrownBy(() -> builder.retryOn(null)).isInstanceOf(NullPointerException.class);
        assertThatThrownBy(() ->
                        BatchProcessorBuilder.of(capturing, PerfConfig.builder().build(), null))
                .hasMessage("handler");
    }

    @Test
    void build_maxPendingBelowBatchSize_isRejected() {
        BatchProcessorBuilder<String> builder = BatchProcessorBuilder.<String>of(
                        capturing, PerfConfig.builder().build(), batch -> {})
                .batchSize(100)
                .maxPending(10);

        assertThatThrownBy(builder::build).hasMessage("maxPending (10) must be at least batchSize (100)");
    }

    @Test
    void defaultRetryOn_retriesTransientFailuresOnly() {
        assertThat(BatchProcessorBuilder.DEFAULT_RETRY_ON.test(new IOException("reset")))
                .isTrue();
        assertThat(BatchProcessorBuilder.DEFAULT_RETRY_ON.test(new RuntimeException("timeout")))
                .isTrue();
        assertThat(BatchProcessorBuilder.DEFAULT_RETRY_ON.test(new IllegalArgumentException()))
                .isFalse();
        assertThat(BatchProcessorBuilder.DEFAULT_RETRY_ON.test(new NullPointerException()))
                .isFalse();
        assertThat(BatchProcessorBuilder.DEFAULT_RETRY_ON.test(new ClassCastException()))
                .isFalse();
        assertThat(BatchProcessorBuilder.DEFAULT_RETRY_ON.test(new CancellationException()))
                .isFalse();
        assertThat(BatchProcessorBuilder.DEFAULT_RETRY_ON.test(new OutOfMemoryError()))
                .isFalse();
    }
}
