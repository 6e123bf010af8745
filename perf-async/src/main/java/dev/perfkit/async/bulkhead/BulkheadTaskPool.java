package dev.perfkit.async.bulkhead;

import static java.util.Objects.requireNonNull;

import dev.perfkit.async.Outcome;
import dev.perfkit.async.TaskPool;
import dev.perfkit.async.TaskPoolStats;
import dev.perfkit.async.TaskRejectedException;
import dev.perfkit.internal.Durations;
import io.github.resilience4j.bulkhead.Bulkhead;
import io.github.resilience4j.bulkhead.BulkheadConfig;
import io.micrometer.core.instrument.Timer;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.LongAdder;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Supplier;

/*
 * One task pool.
 *
 * Concurrency: a Resilience4j semaphore Bulkhead (maxConcurrentCalls = the pool's limit, no wait)
 * holds the slots. One lock guards the queue and every permit hand-over: a submitter takes a
 * permit only when nobody is queued (no overtaking), and a finishing task releases its permit and
 * takes one for the next queued task under the same lock, so a permit is never free while a task
 * waits. Tasks start outside the lock.
 *
 * Waiting: every task of a pool waits at most the same wait timeout and the queue is FIFO, so the
 * head always has the earliest deadline: one timer per pool, set for the head's deadline, expires
 * every overdue task at the head and re-arms for the new head (no timer per task). Whichever of
 * "started" and "expired" removes a task from the queue first wins. Cancelling a task's future
 * removes it from the queue, or interrupts it if it runs.
 *
 * Running: a task runs on an executor thread which, when it finishes a synchronous task and
 * another waits, runs that one too (handing it to another thread would cost a wake-up per task).
 */
final class BulkheadTaskPool implements TaskPool {
    private final String name;
    private final int maxConcurrency;
    private final int queueCapacity;
    private final Duration waitTimeout;
    private final Bulkhead bulkhead;
    private final ExecutorService executor;
    private final ScheduledExecutorService timer;
    private final Timer waitTimes;
    private final Timer runTimes;

    private final ReentrantLock lock = new ReentrantLock();
    private final ArrayDeque<Job<?>> queue = new ArrayDeque<>();
    private final List<Job<?>> running = new ArrayList<>();
    private ScheduledFuture<?> expiryCheck; // guarded by lock: armed while tasks wait
    private boolean closed;

    private final LongAdder completed = new LongAdder();
    private final LongAdder failed = new LongAdder();
    private final LongAdder rejected = new LongAdder();

    /** A submitted task: how to start it, and its future. */
    private final class Job<T> {
        final CompletableFuture<T> future = new CompletableFuture<>();
        final Callable<T> callable; // one of the two
        final Supplier<? extends CompletionStage<T>> async;
        final long submittedNanos = System.nanoTime();
        private Thread runner; // guarded by this job's monitor: the thread running it, if it runs

        synchronized void running(Thread thread) {
            runner = thread;
        }

        synchronized void interrupt() {
            if (runner != null) {
                runner.interrupt();
            }
        }

        Job(Callable<T> callable, Supplier<? extends CompletionStage<T>> async) {
            this.callable = callable;
            this.async = async;
        }
    }

    BulkheadTaskPool(
            String name,
            int maxConcurrency,
            int queueCapacity,
            Duration waitTimeout,
            ExecutorService executor,
            ScheduledExecutorService timer,
            Timer waitTimes,
            Timer runTimes) {
        this.name = name;
        this.maxConcurrency = maxConcurrency;
        this.queueCapacity = queueCapacity;
        this.waitTimeout = waitTimeout;
        this.executor = executor;
        this.timer = timer;
        this.waitTimes = waitTimes;
        this.runTimes = runTimes;
        this.bulkhead = Bulkhead.of(
                "perfkit-" + name,
                BulkheadConfig.custom()
                        .maxConcurrentCalls(maxConcurrency)
                        .maxWaitDuration(Duration.ZERO)
                        .build());
    }

    @Override
    public String name() {
        return name;
    }

    @Override
    public <T> CompletableFuture<T> submit(Callable<T> task) {
        return offer(new Job<T>(requireNonNull(task, "task"), null));
    }

    @Override
    public <T> CompletableFuture<T> submitAsync(Supplier<? extends CompletionStage<T>> task) {
        return offer(new Job<T>(null, requireNonNull(task, "task")));
    }

    private <T> CompletableFuture<T> offer(Job<T> job) {
        boolean startNow = false;
        boolean full = false;
        lock.lock();
        try {
            checkOpen();
            if (queue.isEmpty() && bulkhead.tryAcquirePermission()) {
                startNow = true;
                running.add(job);
            } else if (queue.size() < queueCapacity) {
                queue.addLast(job);
                if (expiryCheck == null) {
                    expiryCheck = timer.schedule(this::expireOverdue, waitTimeout.toNanos(), TimeUnit.NANOSECONDS);
                }
            } else {
                full = true;
            }
        } finally {
            lock.unlock();
        }
        job.future.whenComplete((value, failure) -> {
            if (job.future.isCancelled()) {
                cancelled(job);
            }
        });
        if (startNow) {
            start(job);
        } else if (full) {
            rejected.increment();
            job.future.completeExceptionally(new TaskRejectedException("task pool '" + name + "' is full: "
                    + maxConcurrency + " tasks running and " + queueCapacity + " waiting (queue capacity)"));
        }
        return job.future;
    }

    private void checkOpen() {
        if (closed) {
            throw new IllegalStateException("task pool '" + name + "' is closed");
        }
    }

    /** Rejects every waiting task past its wait timeout, then re-arms for the new head. */
    private void expireOverdue() {
        List<Job<?>> overdue = new ArrayList<>();
        lock.lock();
        try {
            expiryCheck = null;
            long timeoutNanos = waitTimeout.toNanos();
            long now = System.nanoTime();
            while (!queue.isEmpty() && now - queue.peekFirst().submittedNanos >= timeoutNanos) {
                overdue.add(queue.pollFirst());
            }
            if (!queue.isEmpty() && !closed) {
                long due = queue.peekFirst().submittedNanos + timeoutNanos - now;
                expiryCheck = timer.schedule(this::expireOverdue, Math.max(0, due), TimeUnit.NANOSECONDS);
            }
        } finally {
            lock.unlock();
        }
        for (Job<?> job : overdue) {
            rejected.increment();
            job.future.completeExceptionally(new TaskRejectedException("task waited " + waitTimeout
                    + " (the wait timeout) for a free slot in task pool '" + name + "'; it was not run"));
        }
    }

    private void cancelled(Job<?> job) {
        lock.lock();
        try {
            queue.remove(job);
        } finally {
            lock.unlock();
        }
        job.interrupt();
    }

    private void start(Job<?> job) {
        waitTimes.record(System.nanoTime() - job.submittedNanos, TimeUnit.NANOSECONDS);
        try {
            executor.execute(() -> run(job));
        } catch (RejectedExecutionException e) { // closed under us
            job.future.completeExceptionally(new IllegalStateException("task pool '" + name + "' is closed", e));
            Job<?> next = release(job);
            while (next != null) {
                next.future.completeExceptionally(new IllegalStateException("task pool '" + name + "' is closed", e));
                next = release(next);
            }
        }
    }

    /**
     * Runs a job on an executor thread and then, while tasks wait and this one was synchronous,
     * the next ones on the same thread: handing each to another thread would cost a wake-up per
     * task (measured: most of a pool's per-task cost).
     */
    private void run(Job<?> first) {
        Job<?> job = first;
        while (job != null) {
            job = runOne(job);
        }
    }

    /** Runs one job; returns the next job to run on this thread, holding its permit, or null. */
    private <T> Job<?> runOne(Job<T> job) {
        if (job.future.isDone()) { // cancelled before it started
            return release(job);
        }
        long start = System.nanoTime();
        if (job.callable != null) {
            T value;
            Throwable failure = null;
            job.running(Thread.currentThread());
            try {
                value = job.callable.call();
            } catch (Throwable thrown) {
                value = null;
                failure = thrown;
            } finally {
                job.running(null);
                // A cancel that raced the task's end must not interrupt the next task on this thread.
                boolean ignored = Thread.interrupted();
            }
            return finish(job, value, failure, start);
        }
        CompletionStage<T> stage;
        try {
            stage = requireNonNull(job.async.get(), "the task returned a null CompletionStage");
        } catch (Throwable failure) {
            return finish(job, null, failure, start);
        }
        // The stage completes on some other thread (or this one): start the next task from there
        // through the executor, never inline on a thread that is not ours.
        stage.whenComplete((value, failure) -> startLater(finish(job, value, unwrap(failure), start)));
        return null;
    }

    private void startLater(Job<?> next) {
        if (next != null) {
            start(next);
        }
    }

    /** Settles a finished job; returns the next job, holding its permit, or null. */
    private <T> Job<?> finish(Job<T> job, T value, Throwable failure, long start) {
        runTimes.record(System.nanoTime() - start, TimeUnit.NANOSECONDS);
        if (failure == null) {
            completed.increment();
        } else {
            failed.increment();
        }
        Job<?> next = release(job);
        if (failure == null) {
            job.future.complete(value);
        } else {
            job.future.completeExceptionally(failure);
        }
        if (next != null) {
            waitTimes.record(System.nanoTime() - next.submittedNanos, TimeUnit.NANOSECONDS);
        }
        return next;
    }

    /** Frees the job's slot and hands it to the next waiting task, returned holding the permit. */
    private Job<?> release(Job<?> job) {
        Job<?> next = null;
        lock.lock();
        try {
            running.remove(job);
            bulkhead.onComplete();
            while (!queue.isEmpty() && next == null) {
                Job<?> candidate = queue.pollFirst();
                if (!candidate.future.isDone() && bulkhead.tryAcquirePermission()) {
                    next = candidate;
                    running.add(candidate);
                }
            }
        } finally {
            lock.unlock();
        }
        return next;
    }

    // ---- gather

    @Override
    public <T> CompletableFuture<List<T>> gather(List<? extends Callable<T>> tasks, Duration timeout) {
        List<CompletableFuture<T>> futures = submitAll(tasks, timeout);
        CompletableFuture<List<T>> result = new CompletableFuture<>();
        for (CompletableFuture<T> future : futures) {
            future.whenComplete((value, failure) -> {
                if (failure != null && result.completeExceptionally(unwrap(failure))) {
                    futures.forEach(other -> other.cancel(true));
                }
            });
        }
        CompletableFuture.allOf(futures.toArray(CompletableFuture[]::new)).whenComplete((ignored, failure) -> {
            if (failure == null) {
                List<T> values = new ArrayList<>(futures.size());
                futures.forEach(future -> values.add(future.join()));
                result.complete(values);
            }
        });
        ScheduledFuture<?> deadline = timer.schedule(
                () -> {
                    if (result.completeExceptionally(new TimeoutException("gather of " + futures.size()
                            + " tasks in task pool '" + name + "' did not finish within " + timeout))) {
                        futures.forEach(future -> future.cancel(true));
                    }
                },
                timeout.toNanos(),
                TimeUnit.NANOSECONDS);
        result.whenComplete((values, failure) -> deadline.cancel(false));
        return result;
    }

    @Override
    public <T> CompletableFuture<List<Outcome<T>>> gatherSettled(List<? extends Callable<T>> tasks, Duration timeout) {
        List<CompletableFuture<T>> futures = submitAll(tasks, timeout);
        CompletableFuture<List<Outcome<T>>> result = new CompletableFuture<>();
        CompletableFuture.allOf(futures.toArray(CompletableFuture[]::new))
                .whenComplete((ignored, failure) -> result.complete(outcomes(futures, null)));
        ScheduledFuture<?> deadline = timer.schedule(
                () -> {
                    TimeoutException late = new TimeoutException("task of a gather in task pool '" + name
                            + "' did not finish within " + timeout + "; it was cancelled");
                    // Settle first, cancel second: cancelling completes the futures, which would
                    // otherwise let the all-done path report plain cancellations.
                    if (result.complete(outcomes(futures, late))) {
                        futures.forEach(future -> future.cancel(true));
                    }
                },
                timeout.toNanos(),
                TimeUnit.NANOSECONDS);
        result.whenComplete((values, failure) -> deadline.cancel(false));
        return result;
    }

    private <T> List<CompletableFuture<T>> submitAll(List<? extends Callable<T>> tasks, Duration timeout) {
        requireNonNull(tasks, "tasks");
        Durations.checkPositive("timeout", timeout);
        for (int i = 0; i < tasks.size(); i++) {
            requireNonNull(tasks.get(i), "tasks[" + i + "]");
        }
        List<CompletableFuture<T>> futures = new ArrayList<>(tasks.size());
        tasks.forEach(task -> futures.add(submit(task)));
        return futures;
    }

    /** One outcome per future; one not done yet (at the deadline) gets {@code late} as its failure. */
    private static <T> List<Outcome<T>> outcomes(List<CompletableFuture<T>> futures, Throwable late) {
        List<Outcome<T>> outcomes = new ArrayList<>(futures.size());
        for (CompletableFuture<T> future : futures) {
            if (late != null && !future.isDone()) {
                outcomes.add(Outcome.failure(late));
                continue;
            }
            try {
                outcomes.add(Outcome.success(future.getNow(null)));
            } catch (CancellationException e) {
                outcomes.add(Outcome.failure(e));
            } catch (CompletionException e) {
                outcomes.add(Outcome.failure(unwrap(e)));
            }
        }
        return outcomes;
    }

    private static Throwable unwrap(Throwable failure) {
        Throwable current = failure;
        while ((current instanceof CompletionException || current instanceof ExecutionException)
                && current.getCause() != null) {
            current = current.getCause();
        }
        return current;
    }

    // ---- state

    @Override
    public TaskPoolStats stats() {
        int queued;
        lock.lock();
        try {
            queued = queue.size();
        } finally {
            lock.unlock();
        }
        return new TaskPoolStats(
                name, maxConcurrency, queueCapacity, active(), queued, completed.sum(), failed.sum(), rejected.sum());
    }

    int active() {
        return maxConcurrency - bulkhead.getMetrics().getAvailableConcurrentCalls();
    }

    int queued() {
        lock.lock();
        try {
            return queue.size();
        } finally {
            lock.unlock();
        }
    }

    long rejectedCount() {
        return rejected.sum();
    }

    /** Fails waiting tasks, cancels (interrupts) running ones; later submits throw. */
    void close() {
        List<Job<?>> waiting;
        List<Job<?>> started;
        lock.lock();
        try {
            if (closed) {
                return;
            }
            closed = true;
            waiting = new ArrayList<>(queue);
            queue.clear();
            if (expiryCheck != null) {
                expiryCheck.cancel(false);
                expiryCheck = null;
            }
            started = new ArrayList<>(running);
        } finally {
            lock.unlock();
        }
        IllegalStateException closing =
                new IllegalStateException("task pool '" + name + "' was closed before the task started");
        for (Job<?> job : waiting) {
            job.future.completeExceptionally(closing);
        }
        started.forEach(job -> job.future.cancel(true));
    }

    @Override
    public String toString() {
        return "TaskPool{" + stats() + "}";
    }
}
