package dev.perfkit.batch;

import static java.util.Objects.requireNonNull;

import dev.perfkit.PerfConfig;
import dev.perfkit.internal.Durations;
import dev.perfkit.spi.BatchProcessorFactory;
import dev.perfkit.spi.BatchProcessorSpec;
import io.micrometer.core.instrument.MeterRegistry;
import java.time.Duration;
import java.util.concurrent.CancellationException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Predicate;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Configures a {@link BatchProcessor}. Obtain one from {@code Perf.batchProcessor(handler)} or
 * {@code Perf.asyncBatchProcessor(handler)}; unset values come from the {@link PerfConfig} ({@code
 * BATCH_SIZE}, {@code BATCH_MAX_DELAY_MS}, {@code BATCH_MAX_PENDING}) and the defaults below. Each
 * setter checks its value at once, {@link #build()} checks the combination. Not thread-safe.
 *
 * <table>
 *   <caption>Defaults</caption>
 *   <tr><th>option</th><th>default</th></tr>
 *   <tr><td>name</td><td>{@code batch-1}, {@code batch-2}, ...</td></tr>
 *   <tr><td>overflowPolicy / offerTimeout</td><td>{@link OverflowPolicy#BLOCK} / 30 s</td></tr>
 *   <tr><td>maxInFlight</td><td>1 (keeps order)</td></tr>
 *   <tr><td>retry</td><td>3 attempts, 100 ms, ×2, capped at 2 s, with jitter</td></tr>
 *   <tr><td>retryOn</td><td>{@link #DEFAULT_RETRY_ON}: all but programming errors</td></tr>
 *   <tr><td>deadLetterHandler</td><td>logs the batch size and the cause</td></tr>
 *   <tr><td>closeTimeout</td><td>30 s</td></tr>
 *   <tr><td>drainOnShutdown</td><td>false</td></tr>
 * </table>
 *
 * @param <T> the item type
 */
public final class BatchProcessorBuilder<T> {
    private static final Logger log = LoggerFactory.getLogger(BatchProcessorBuilder.class);
    private static final AtomicInteger SEQUENCE = new AtomicInteger();

    /**
     * The default retry predicate: retries every failure except programming errors ({@link
     * IllegalArgumentException}, {@link NullPointerException}, {@link ClassCastException}, {@link
     * IllegalStateException}, {@link UnsupportedOperationException}, {@link
     * IndexOutOfBoundsException}, {@link ArithmeticException}, cancellation and {@link Error}s),
     * which would fail again.
     */
    public static final Predicate<Throwable> DEFAULT_RETRY_ON = failure -> !(failure instanceof IllegalArgumentException
            || failure instanceof NullPointerException
            || failure instanceof ClassCastException
            || failure instanceof IllegalStateException
            || failure instanceof UnsupportedOperationException
            || failure instanceof IndexOutOfBoundsException
            || failure instanceof ArithmeticException
            || failure instanceof CancellationException
            || failure instanceof Error);

    private final BatchProcessorFactory factory;
    private final BatchHandler<T> handler;
    private final AsyncBatchHandler<T> asyncHandler;
    private String name;
    private int batchSize;
    private Duration maxDelay;
    private int maxPending;
    private OverflowPolicy overflowPolicy = OverflowPolicy.BLOCK;
    private Duration offerTimeout = Duration.ofSeconds(30);
    private int maxInFlight = 1;
    private int maxAttempts = 3;
    private Duration initialBackoff = Duration.ofMillis(100);
    private double backoffMultiplier = 2.0;
    private Duration maxBackoff = Duration.ofSeconds(2);
    private Predicate<Throwable> retryOn = DEFAULT_RETRY_ON;
    private DeadLetterHandler<T> deadLetterHandler;
    private Duration closeTimeout = Duration.ofSeconds(30);
    private boolean drainOnShutdown;
    private MeterRegistry meterRegistry;

    private BatchProcessorBuilder(
            BatchProcessorFactory factory,
            PerfConfig config,
            BatchHandler<T> handler,
            AsyncBatchHandler<T> asyncHandler) {
        this.factory = requireNonNull(factory, "factory");
        requireNonNull(config, "config");
        this.handler = handler;
        this.asyncHandler = asyncHandler;
        this.batchSize = config.batchSize();
        this.maxDelay = config.batchMaxDelay();
        this.maxPending = config.batchMaxPending();
        this.meterRegistry = config.meterRegistry();
    }

    /**
     * Starts a builder for a synchronous handler. Hosts normally call {@code
     * Perf.batchProcessor(handler)}; implementation modules call this with their factory.
     *
     * @param factory creates the processor at {@link #build()}
     * @param config supplies defaults
     * @param handler processes each batch
     * @param <T> the item type
     * @return a new builder
     * @throws NullPointerException if an argument is null
     */
    public static <T> BatchProcessorBuilder<T> of(
            BatchProcessorFactory factory, PerfConfig config, BatchHandler<T> handler) {
        return new BatchProcessorBuilder<>(factory, config, requireNonNull(handler, "handler"), null);
    }

    /**
     * Starts a builder for an asynchronous handler.
     *
     * @param factory creates the processor at {@link #build()}
     * @param config supplies defaults
     * @param handler starts processing each batch
     * @param <T> the item type
     * @return a new builder
     * @throws NullPointerException if an argument is null
     */
    public static <T> BatchProcessorBuilder<T> ofAsync(
            BatchProcessorFactory factory, PerfConfig config, AsyncBatchHandler<T> handler) {
        return new BatchProcessorBuilder<>(factory, config, null, requireNonNull(handler, "handler"));
    }

    /**
     * Names the processor (thread name {@code perfkit-batch-<name>}, logs, metric tag).
     *
     * @param name a non-blank name
     * @return this builder
     * @throws IllegalArgumentException if blank
     */
    public BatchProcessorBuilder<T> name(String name) {
        requireNonNull(name, "name");
        if (name.isBlank()) {
            throw new IllegalArgumentException("name must not be blank: '" + name + "'");
        }
        this.name = name;
        return this;
    }

    /**
     * Sets the number of items that triggers a flush, and the largest batch.
     *
     * @param batchSize a positive number
     * @return this builder
     * @throws IllegalArgumentException if not positive
     */
    public BatchProcessorBuilder<T> batchSize(int batchSize) {
        this.batchSize = positive("batchSize", batchSize);
        return this;
    }

    /**
     * Sets the longest time the oldest pending item waits before its batch is flushed.
     *
     * @param maxDelay a positive duration, at most 365 days
     * @return this builder
     * @throws IllegalArgumentException if zero, negative or longer than 365 days
     */
    public BatchProcessorBuilder<T> maxDelay(Duration maxDelay) {
        this.maxDelay = positive("maxDelay", maxDelay);
        return this;
    }

    /**
     * Sets how many accepted items may wait (queued, not yet in a batch being processed) before the
     * overflow policy applies.
     *
     * @param maxPending a positive number, at least {@code batchSize}
     * @return this builder
     * @throws IllegalArgumentException if not positive
     */
    public BatchProcessorBuilder<T> maxPending(int maxPending) {
        this.maxPending = positive("maxPending", maxPending);
        return this;
    }

    /**
     * Sets what a full queue does.
     *
     * @param overflowPolicy the policy
     * @return this builder
     */
    public BatchProcessorBuilder<T> overflowPolicy(OverflowPolicy overflowPolicy) {
        this.overflowPolicy = requireNonNull(overflowPolicy, "overflowPolicy");
        return this;
    }

    /**
     * Sets how long {@code add} waits for room under {@link OverflowPolicy#BLOCK}.
     *
     * @param offerTimeout zero or more
     * @return this builder
     * @throws IllegalArgumentException if negative
     */
    public BatchProcessorBuilder<T> offerTimeout(Duration offerTimeout) {
        this.offerTimeout = nonNegative("offerTimeout", offerTimeout);
        return this;
    }

    /**
     * Sets how many batches may be processed at once. 1 (the default) keeps items in order.
     *
     * @param maxInFlight a positive number
     * @return this builder
     * @throws IllegalArgumentException if not positive
     */
    public BatchProcessorBuilder<T> maxInFlight(int maxInFlight) {
        this.maxInFlight = positive("maxInFlight", maxInFlight);
        return this;
    }

    /**
     * Sets the retry of failed batches: exponential backoff with jitter, capped.
     *
     * @param maxAttempts attempts per batch, the first included; 1 disables retries
     * @param initialBackoff wait before the first retry, positive
     * @param multiplier growth per retry, at least 1
     * @param maxBackoff cap on the wait, at least {@code initialBackoff}
     * @return this builder
     * @throws IllegalArgumentException for a value out of range
     */
    public BatchProcessorBuilder<T> retry(
            int maxAttempts, Duration initialBackoff, double multiplier, Duration maxBackoff) {
        positive("maxAttempts", maxAttempts);
        positive("initialBackoff", initialBackoff);
        if (!(multiplier >= 1.0) || Double.isInfinite(multiplier)) {
            throw new IllegalArgumentException("multiplier must be at least 1: " + multiplier);
        }
        positive("maxBackoff", maxBackoff);
        if (maxBackoff.compareTo(initialBackoff) < 0) {
            throw new IllegalArgumentException(
                    "maxBackoff must be at least initialBackoff (" + initialBackoff + "): " + maxBackoff);
        }
        this.maxAttempts = maxAttempts;
        this.initialBackoff = initialBackoff;
        this.backoffMultiplier = multiplier;
        this.maxBackoff = maxBackoff;
        return this;
    }

    /**
     * Sets which failures are retried; others dead-letter the batch at once.
     *
     * @param retryOn the predicate, e.g. MongoDB's transient-error test
     * @return this builder
     */
    public BatchProcessorBuilder<T> retryOn(Predicate<Throwable> retryOn) {
        this.retryOn = requireNonNull(retryOn, "retryOn");
        return this;
    }

    /**
     * Sets who receives batches that failed for good.
     *
     * @param deadLetterHandler the handler
     * @return this builder
     */
    public BatchProcessorBuilder<T> deadLetterHandler(DeadLetterHandler<T> deadLetterHandler) {
        this.deadLetterHandler = requireNonNull(deadLetterHandler, "deadLetterHandler");
        return this;
    }

    /**
     * Sets how long {@code close()} waits for the drain.
     *
     * @param closeTimeout zero or more
     * @return this builder
     * @throws IllegalArgumentException if negative
     */
    public BatchProcessorBuilder<T> closeTimeout(Duration closeTimeout) {
        this.closeTimeout = nonNegative("closeTimeout", closeTimeout);
        return this;
    }

    /**
     * Registers a JVM shutdown hook that closes (drains) the processor.
     *
     * @param drainOnShutdown whether to register it
     * @return this builder
     */
    public BatchProcessorBuilder<T> drainOnShutdown(boolean drainOnShutdown) {
        this.drainOnShutdown = drainOnShutdown;
        return this;
    }

    /**
     * Sets where the processor's meters go (default: the configuration's registry).
     *
     * @param meterRegistry the registry
     * @return this builder
     */
    public BatchProcessorBuilder<T> meterRegistry(MeterRegistry meterRegistry) {
        this.meterRegistry = requireNonNull(meterRegistry, "meterRegistry");
        return this;
    }

    /**
     * Checks the combination and starts the processor.
     *
     * @return a running processor
     * @throws IllegalArgumentException if {@code maxPending < batchSize}
     */
    public BatchProcessor<T> build() {
        if (maxPending < batchSize) {
            throw new IllegalArgumentException(
                    "maxPending (" + maxPending + ") must be at least batchSize (" + batchSize + ")");
        }
        String processorName = name != null ? name : "batch-" + SEQUENCE.incrementAndGet();
        DeadLetterHandler<T> deadLetters = deadLetterHandler != null
                ? deadLetterHandler
                : (batch, cause) -> log.error(
                        "Batch processor '{}' gave up on a batch of {} items", processorName, batch.size(), cause);
        return factory.create(new Spec<>(
                processorName,
                handler,
                asyncHandler,
                batchSize,
                maxDelay,
                maxPending,
                overflowPolicy,
                offerTimeout,
                maxInFlight,
                maxAttempts,
                initialBackoff,
                backoffMultiplier,
                maxBackoff,
                retryOn,
                deadLetters,
                closeTimeout,
                drainOnShutdown,
                meterRegistry));
    }

    /** The immutable settings handed to the factory; private, so options can grow freely. */
    private record Spec<T>(
            String name,
            BatchHandler<T> handler,
            AsyncBatchHandler<T> asyncHandler,
            int batchSize,
            Duration maxDelay,
            int maxPending,
            OverflowPolicy overflowPolicy,
            Duration offerTimeout,
            int maxInFlight,
            int maxAttempts,
            Duration initialBackoff,
            double backoffMultiplier,
            Duration maxBackoff,
            Predicate<Throwable> retryOn,
            DeadLetterHandler<T> deadLetterHandler,
            Duration closeTimeout,
            boolean drainOnShutdown,
            MeterRegistry meterRegistry)
            implements BatchProcessorSpec<T> {}

    private static int positive(String parameter, int value) {
        if (value <= 0) {
            throw new IllegalArgumentException(parameter + " must be positive: " + value);
        }
        return value;
    }

    private static Duration positive(String parameter, Duration value) {
        return Durations.checkPositive(parameter, value);
    }

    private static Duration nonNegative(String parameter, Duration value) {
        return Durations.checkNonNegative(parameter, value);
    }
}
