package dev.perfkit.bench;

import dev.perfkit.PerfConfig;
import dev.perfkit.batch.BatchProcessor;
import dev.perfkit.db.BatchProcessors;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * Throughput of {@code add} from one producer into a batch processor with a no-op handler: what
 * the processor itself costs per item (queueing, futures, dispatch, completion). The queue bound
 * applies back-pressure, so the figure is sustained end-to-end throughput, not just enqueueing.
 *
 * <pre>
 * mvn -B -q install -DskipTests
 * java -jar perf-bench/target/perfkit.jar jmh BatchProcessorBenchmark -prof gc
 * </pre>
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
public class BatchProcessorBenchmark {
    @Param({"100", "1000"})
    int batchSize;

    private BatchProcessor<Integer> processor;
    private int next;

    @Setup(Level.Iteration)
    public void setUp() {
        processor = BatchProcessors.builder(
                        PerfConfig.builder()
                                .meterRegistry(new SimpleMeterRegistry())
                                .build(),
                        (List<Integer> batch) -> {})
                .name("bench")
                .batchSize(batchSize)
                .maxPending(100_000)
                .maxDelay(Duration.ofMillis(5))
                .build();
    }

    @Benchmark
    public CompletableFuture<Void> add() {
        return processor.add(next++);
    }

    @TearDown(Level.Iteration)
    public void tearDown() {
        processor.close();
    }
}
