package dev.perfkit.db;

import dev.perfkit.PerfException;
import dev.perfkit.batch.BatchProcessor;
import dev.perfkit.batch.BatchRejectedException;
import dev.perfkit.batch.BatchStats;
import dev.perfkit.batch.OverflowPolicy;
import dev.perfkit.internal.MeterOwnership;
import dev.perfkit.internal.Meters;
import dev.perfkit.spi.BatchProcessorSpec;
import io.github.resilience4j.core.IntervalFunction;
import io.github.resilience4j.retry.Retry;
import io.github.resilience4j.retry.RetryConfig;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.MeterRegistry;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.LongAdder;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/*
 * The batch processor behind Perf.batchProcessor(...).
 *
 * Concurrency: one lock guards the queue, the in-flight set and the flags. add() enqueues under
 * it and, when a batch is full, asks the scheduler thread to dispatch; the first item of an empty
 * queue arms a timer for maxDelay. dispatch() runs only on the scheduler thread, takes due
 * batches (full, old enough, or covered by flush()/close()) while fewer than maxInFlight are in
 * flight, and starts them outside the lock. No thread busy-waits: producers that find the queue
 * full wait on a condition (BLOCK) for at most offerTimeout.
 *
 * Processing: each batch runs through a Resilience4j Retry (exponential backoff with jitter,
 * retries scheduled on the scheduler thread, never sleeping). Synchronous handlers run on a pool of
 * maxInFlight worker threads, asynchronous handlers are called from the scheduler thread. When the
 * retry gives up, the dead-letter handler gets the batch and every item's future fails with the
 * last failure. Counters are updated before futures complete, so stats() never lags behind what a
 * caller has observed.
 *
 * Shutdown: close() stops accepting, marks everything queued as due and waits up to closeTimeout.
 * Items still queued then are removed and failed (never processed). Batches still in flight are
 * abandoned: their futures fail with an "outcome unknown" exception (the handler may yet finish
 * them; we cannot wait forever and must not leave a caller waiting forever), and their late
 * finish changes no counter. add() re-checks "closed" under the lock right before enqueuing, so
 * nothing is accepted after close() took its snapshot of what to drain. The scheduler drops its
 * delayed tasks at shutdown, so an armed maxDelay timer does not keep its thread alive.
 *
 * Lifecycle: the constructor only assigns; start() registers meters and the shutdown hook once
 * the object exists (no "this" escapes a constructor).
 */
final class Resilience4jBatchProcessor<T> implements BatchProcessor<T> {
    private static final Logger log = LoggerFactory.getLogger(Resilience4jBatchProcessor.class);

    private record Pending<T>(T item, CompletableFuture<Void> future, long enqueuedNanos, long sequence) {}

    /** A batch taken off the queue; abandoned once close() gave up waiting for it. */
    private static final class Batch<T> {
        final List<Pending<T>> items;
        boolean abandoned; // guarded by lock

        Batch(List<Pending<T>> items) {
            this.items = items;
        }
    }

    private final BatchProcessorSpec<T> spec;
    private final String name;
    private final long maxDelayNanos;

    private final ReentrantLock lock = new ReentrantLock();
    private final Condition notFull = lock.newCondition();
    private final ArrayDeque<Pending<T>> queue = new ArrayDeque<>();
    private final Set<Batch<T>> inFlight = Collections.newSetFromMap(new IdentityHashMap<>());
    private long nextSequence;
    private long flushUpTo = -1;
    private long inFlightItems;
    private boolean closed;
    private boolean dispatchScheduled;
    private ScheduledFuture<?> delayTimer;
    private final CompletableFuture<Void> terminated = new CompletableFuture<>();

    private final ScheduledThreadPoolExecutor scheduler;
    private final ExecutorService workers;
    private final Retry retry;
    private Thread shutdownHook;

    private final LongAdder added = new LongAdder();
    private final LongAdder processed = new LongAdder();
    private final LongAdder failed = new LongAdder();
    private final LongAdder batches = new LongAdder();
    private final LongAdder retried = new LongAdder();
    private final LongAdder rejected = new LongAdder();
    private final List<Meter> meters = new ArrayList<>();
    private final MeterRegistry meterRegistry;
    private String meterName;

    Resilience4jBatchProcessor(BatchProcessorSpec<T> spec) {
        this.spec = spec;
        this.name = spec.name();
        this.maxDelayNanos = spec.maxDelay().toNanos();
        this.scheduler = new ScheduledThreadPoolExecutor(1, daemonThreads("perfkit-batch-" + name, false));
        scheduler.setRemoveOnCancelPolicy(true);
        scheduler.setExecuteExistingDelayedTasksAfterShutdownPolicy(false);
        this.workers = spec.isAsync()
                ? null
                : Executors.newFixedThreadPool(
                        spec.maxInFlight(), daemonThreads("perfkit-batch-" + name + "-worker", true));
        this.retry = Retry.of(
                "perfkit-batch-" + name,
                RetryConfig.custom()
                        .maxAttempts(spec.maxAttempts())
                        .intervalFunction(IntervalFunction.ofExponentialRandomBackoff(
                                spec.initialBackoff(), spec.backoffMultiplier(), 0.5, spec.maxBackoff()))
                        .retryOnException(failure -> spec.retryOn().test(failure))
                        .build());
        this.meterRegistry = spec.meterRegistry();
    }

    /** Builds a processor and starts what must not start in a constructor. */
    static <T> Resilience4jBatchProcessor<T> start(BatchProcessorSpec<T> spec) {
        Resilience4jBatchProcessor<T> processor = new Resilience4jBatchProcessor<>(spec);
        processor.retry.getEventPublisher().onRetry(event -> processor.retried.increment());
        processor.meterName = MeterOwnership.claim(processor.meterRegistry, "batch", processor.name);
        processor.registerMeters();
        if (spec.drainOnShutdown()) {
            processor.shutdownHook = new Thread(processor::close, "perfkit-batch-" + processor.name + "-shutdown");
            Runtime.getRuntime().addShutdownHook(processor.shutdownHook);
        }
        return processor;
    }

    private static ThreadFactory daemonThreads(String name, boolean numbered) {
        AtomicInteger count = new AtomicInteger();
        return runnable -> {
            Thread thread = new Thread(runnable, numbered ? name + "-" + count.incrementAndGet() : name);
            thread.setDaemon(true);
            return thread;
        };
    }

    @Override
    public String name() {
        return name;
    }

    // ---- accepting

    @Override
    public CompletableFuture<Void> add(T item) {
        if (item == null) {
            throw new NullPointerException("item");
        }
        lock.lock();
        try {
            if (closed) {
                throw new IllegalStateException("batch processor '" + name + "' is closed");
            }
            if (queue.size() >= spec.maxPending()) {
                waitForRoom();
                if (closed) { // closed while we waited: close() has taken its snapshot, we must not enqueue
                    throw new IllegalStateException("batch processor '" + name + "' was closed while add() waited");
                }
            }
            CompletableFuture<Void> future = new CompletableFuture<>();
            queue.addLast(new Pending<>(item, future, System.nanoTime(), nextSequence++));
            added.increment();
            if (queue.size() >= spec.batchSize()) {
                scheduleDispatch();
            } else if (queue.size() == 1) {
                armDelayTimer(maxDelayNanos);
            }
            return future;
        } finally {
            lock.unlock();
        }
    }

    /** Called with the lock held and the queue full. */
    private void waitForRoom() {
        if (spec.overflowPolicy() == OverflowPolicy.REJECT) {
            rejected.increment();
            throw new BatchRejectedException("batch processor '" + name + "' already holds " + spec.maxPending()
                    + " pending items (maxPending) and its overflow policy is REJECT");
        }
        long remaining = spec.offerTimeout().toNanos();
        try {
            while (queue.size() >= spec.maxPending()) {
                if (closed) {
                    throw new IllegalStateException("batch processor '" + name + "' is closed");
                }
                if (remaining <= 0) {
                    rejected.increment();
                    throw new BatchRejectedException("batch processor '" + name + "' still held " + spec.maxPending()
                            + " pending items (maxPending) after waiting " + spec.offerTimeout()
                            + " for room (overflow policy BLOCK)");
                }
                remaining = notFull.awaitNanos(remaining);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            rejected.increment();
            throw new BatchRejectedException(
                    "interrupted while waiting for room in batch processor '" + name + "'; the item was not added");
        }
    }

    // ---- dispatching (scheduler thread)

    /** Called with the lock held. */
    private void scheduleDispatch() {
        if (!dispatchScheduled && !scheduler.isShutdown()) {
            dispatchScheduled = true;
            scheduler.execute(this::dispatch);
        }
    }

    /** Called with the lock held. */
    private void armDelayTimer(long delayNanos) {
        if (delayTimer != null) {
            delayTimer.cancel(false);
        }
        if (!scheduler.isShutdown()) {
            delayTimer = scheduler.schedule(this::dispatch, Math.max(0, delayNanos), TimeUnit.NANOSECONDS);
        }
    }

    private void dispatch() {
        List<Batch<T>> toStart = new ArrayList<>();
        lock.lock();
        try {
            dispatchScheduled = false;
            long now = System.nanoTime();
            while (inFlight.size() < spec.maxInFlight() && !queue.isEmpty()) {
                Pending<T> oldest = queue.peekFirst();
                boolean due = queue.size() >= spec.batchSize()
                        || now - oldest.enqueuedNanos() >= maxDelayNanos
                        || oldest.sequence() <= flushUpTo;
                if (!due) {
                    break;
                }
                int size = Math.min(spec.batchSize(), queue.size());
                List<Pending<T>> items = new ArrayList<>(size);
                for (int i = 0; i < size; i++) {
                    items.add(queue.pollFirst());
                }
                Batch<T> batch = new Batch<>(items);
                inFlight.add(batch);
                inFlightItems += size;
                toStart.add(batch);
            }
            if (!toStart.isEmpty()) {
                notFull.signalAll();
            }
            if (!queue.isEmpty() && inFlight.size() < spec.maxInFlight()) {
                armDelayTimer(maxDelayNanos - (now - queue.peekFirst().enqueuedNanos()));
            }
        } finally {
            lock.unlock();
        }
        toStart.forEach(this::start);
    }

    private void start(Batch<T> batch) {
        List<T> items = new ArrayList<>(batch.items.size());
        for (Pending<T> pending : batch.items) {
            items.add(pending.item());
        }
        List<T> view = Collections.unmodifiableList(items);
        try {
            retry.executeCompletionStage(scheduler, () -> attempt(view))
                    .whenComplete((ignored, failure) -> finish(batch, view, failure));
        } catch (RuntimeException e) {
            finish(batch, view, e); // the scheduler was shut down under us
        }
    }

    private CompletionStage<Void> attempt(List<T> items) {
        CompletableFuture<Void> done = new CompletableFuture<>();
        if (spec.isAsync()) {
            try {
                CompletionStage<?> stage = spec.asyncHandler().process(items);
                if (stage == null) {
                    done.completeExceptionally(new NullPointerException("async batch handler returned null"));
                } else {
                    stage.whenComplete((result, failure) -> {
                        if (failure != null) {
                            done.completeExceptionally(unwrap(failure));
                        } else {
                            done.complete(null);
                        }
                    });
                }
            } catch (Throwable failure) {
                done.completeExceptionally(failure);
            }
        } else {
            workers.execute(() -> {
                try {
                    spec.handler().process(items);
                    done.complete(null);
                } catch (Throwable failure) {
                    done.completeExceptionally(failure);
                }
            });
        }
        return done;
    }

    private void finish(Batch<T> batch, List<T> items, Throwable failure) {
        Throwable cause = failure == null ? null : unwrap(failure);
        try {
            if (cause != null) {
                try {
                    spec.deadLetterHandler().accept(items, cause);
                } catch (Throwable e) { // an Error too: a broken handler must not wedge the processor
                    log.error(
                            "Dead-letter handler of batch processor '{}' failed; {} items are lost to it",
                            name,
                            items.size(),
                            e);
                }
            }
        } finally {
            settle(batch, cause);
        }
    }

    private void settle(Batch<T> batch, Throwable cause) {
        boolean abandoned;
        lock.lock();
        try {
            abandoned = batch.abandoned;
            if (!abandoned) {
                inFlight.remove(batch);
                inFlightItems -= batch.items.size();
                if (cause != null) {
                    failed.add(batch.items.size());
                } else {
                    processed.add(batch.items.size());
                }
                batches.increment();
            }
            if (!queue.isEmpty()) {
                scheduleDispatch();
            }
        } finally {
            lock.unlock();
        }
        if (abandoned) {
            log.warn(
                    "Batch processor '{}': a batch of {} items abandoned at close finished late ({})",
                    name,
                    batch.items.size(),
                    cause == null ? "processed" : "failed: " + cause);
            return;
        }
        for (Pending<T> pending : batch.items) {
            if (cause == null) {
                pending.future().complete(null);
            } else {
                pending.future().completeExceptionally(cause);
            }
        }
    }

    private static Throwable unwrap(Throwable failure) {
        Throwable current = failure;
        while ((current instanceof CompletionException || current instanceof ExecutionException)
                && current.getCause() != null) {
            current = current.getCause();
        }
        return current;
    }

    // ---- flushing and closing

    @Override
    public CompletableFuture<Void> flush() {
        List<CompletableFuture<Void>> pending;
        lock.lock();
        try {
            pending = pendingFutures();
            flushUpTo = nextSequence - 1;
            scheduleDispatch();
        } finally {
            lock.unlock();
        }
        return allFinished(pending);
    }

    /** Called with the lock held. */
    private List<CompletableFuture<Void>> pendingFutures() {
        List<CompletableFuture<Void>> futures = new ArrayList<>(queue.size() + (int) inFlightItems);
        queue.forEach(pending -> futures.add(pending.future()));
        inFlight.forEach(batch -> batch.items.forEach(pending -> futures.add(pending.future())));
        return futures;
    }

    private static CompletableFuture<Void> allFinished(List<CompletableFuture<Void>> futures) {
        return CompletableFuture.allOf(futures.toArray(CompletableFuture[]::new))
                .handle((ignored, failure) -> null);
    }

    @Override
    public void close() {
        List<CompletableFuture<Void>> pending;
        boolean alreadyClosed;
        lock.lock();
        try {
            alreadyClosed = closed;
            closed = true;
            flushUpTo = nextSequence - 1;
            notFull.signalAll();
            pending = alreadyClosed ? List.of() : pendingFutures();
            if (!alreadyClosed) {
                scheduleDispatch();
            }
        } finally {
            lock.unlock();
        }
        if (alreadyClosed) {
            awaitTermination();
            return;
        }
        try {
            drain(pending);
        } finally {
            // Whatever happened above, release the resources and every waiting closer: a second
            // close() must never hang on a first one that failed half-way.
            stopThreadsAndMeters();
            terminated.complete(null);
        }
    }

    private void drain(List<CompletableFuture<Void>> pending) {
        try {
            allFinished(pending).get(spec.closeTimeout().toNanos(), TimeUnit.NANOSECONDS);
        } catch (TimeoutException e) {
            failUnfinished("closed after waiting " + spec.closeTimeout() + " (closeTimeout)");
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            failUnfinished("interrupted while closing");
        } catch (ExecutionException e) {
            throw new IllegalStateException("unreachable: the drain future never fails", e);
        }
    }

    private void stopThreadsAndMeters() {
        lock.lock();
        try {
            if (delayTimer != null) {
                delayTimer.cancel(false);
            }
        } finally {
            lock.unlock();
        }
        scheduler.shutdown();
        if (workers != null) {
            workers.shutdown();
        }
        removeMeters();
        if (shutdownHook != null && Thread.currentThread() != shutdownHook) {
            try {
                Runtime.getRuntime().removeShutdownHook(shutdownHook);
            } catch (IllegalStateException shuttingDown) {
                // the JVM is already shutting down; the hook is running or ran
            }
        }
    }

    /** A second close() waits for the first one's drain (bounded by its close timeout). */
    private void awaitTermination() {
        try {
            terminated.get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (ExecutionException e) {
            throw new IllegalStateException("unreachable: termination never fails", e);
        }
    }

    /** Fails what close() could not drain: queued items (never processed) and in-flight batches. */
    private void failUnfinished(String why) {
        List<Pending<T>> abandonedQueued;
        List<Pending<T>> abandonedInFlight = new ArrayList<>();
        lock.lock();
        try {
            abandonedQueued = new ArrayList<>(queue);
            queue.clear();
            for (Batch<T> batch : inFlight) {
                batch.abandoned = true;
                abandonedInFlight.addAll(batch.items);
            }
            inFlight.clear();
            inFlightItems = 0;
            failed.add(abandonedQueued.size() + abandonedInFlight.size());
        } finally {
            lock.unlock();
        }
        if (!abandonedQueued.isEmpty()) {
            log.warn("Batch processor '{}' {}: {} queued items failed unprocessed", name, why, abandonedQueued.size());
            PerfException notProcessed = new PerfException(
                    "batch processor '" + name + "' " + why + " before the item was processed; it was not processed");
            abandonedQueued.forEach(pending -> pending.future().completeExceptionally(notProcessed));
        }
        if (!abandonedInFlight.isEmpty()) {
            log.warn(
                    "Batch processor '{}' {}: {} items of batches still being processed failed with an unknown"
                            + " outcome",
                    name,
                    why,
                    abandonedInFlight.size());
            PerfException unknown = new PerfException("batch processor '" + name + "' " + why
                    + " while the item's batch was still being processed; whether it was processed is unknown");
            abandonedInFlight.forEach(pending -> pending.future().completeExceptionally(unknown));
        }
    }

    // ---- statistics

    @Override
    public BatchStats stats() {
        long pendingItems;
        lock.lock();
        try {
            pendingItems = queue.size() + inFlightItems;
        } finally {
            lock.unlock();
        }
        long batchCount = batches.sum();
        long finished = processed.sum() + failed.sum();
        return new BatchStats(
                added.sum(),
                processed.sum(),
                failed.sum(),
                batchCount,
                retried.sum(),
                rejected.sum(),
                pendingItems,
                batchCount == 0 ? 0.0 : (double) finished / batchCount);
    }

    private void registerMeters() {
        try {
            counter("perfkit.batch.added", added, "Items accepted");
            counter("perfkit.batch.processed", processed, "Items whose batch succeeded");
            counter("perfkit.batch.failed", failed, "Items whose batch failed for good");
            counter("perfkit.batch.batches", batches, "Batches completed");
            counter("perfkit.batch.retries", retried, "Batch attempts retried");
            counter("perfkit.batch.rejected", rejected, "Items refused by the overflow policy");
            meters.add(Gauge.builder("perfkit.batch.pending", this, processor -> processor
                            .stats()
                            .pending())
                    .description("Items accepted and not yet finished")
                    .tag("name", meterName)
                    .register(meterRegistry));
        } catch (RuntimeException e) {
            log.warn("Could not register the meters of batch processor '{}'; it works without them", name, e);
        }
    }

    private void counter(String id, LongAdder adder, String description) {
        meters.add(FunctionCounter.builder(id, adder, LongAdder::sum)
                .description(description)
                .tag("name", meterName)
                .register(meterRegistry));
    }

    private void removeMeters() {
        Meters.removeQuietly(meterRegistry, meters);
        MeterOwnership.release(meterRegistry, "batch", meterName);
    }

    @Override
    public String toString() {
        return "BatchProcessor{name=" + name + ", " + stats() + "}";
    }
}
