package dev.perfkit.async;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.function.Supplier;

/**
 * Runs tasks of one kind of operation ("database", "api", "cpu", ...) with at most {@code
 * maxConcurrency} running at once — the seeds' {@code task_pool.execute_with_semaphore(coro,
 * operation_type="database")}. A task that finds every slot taken waits in a bounded queue; one that
 * finds the queue full, or waits longer than the pool's wait timeout, is rejected with a {@link
 * TaskRejectedException} in its future and never runs.
 *
 * <pre>{@code
 * TaskPool database = Perf.getTaskPools().pool("database");
 * CompletableFuture<Document> user = database.submit(() -> users.find(eq("_id", id)).first());
 *
 * List<Outcome<Receipt>> receipts = Perf.getTaskPools().pool("api")
 *         .gatherSettled(requests, Duration.ofSeconds(10))     // return_exceptions=True
 *         .join();
 * }</pre>
 *
 * <p>Thread-safe. Submitting to a closed pool throws {@link IllegalStateException}.
 */
public interface TaskPool {

    /** Returns the pool's name. */
    String name();

    /**
     * Runs a task when a slot is free.
     *
     * @param task the task
     * @param <T> the result type
     * @return its result; exceptionally with what it threw, or with {@link TaskRejectedException}
     *     when it was not run. Cancelling the future removes a waiting task, or interrupts a running one.
     * @throws NullPointerException if {@code task} is null
     * @throws IllegalStateException if the pool is closed
     */
    <T> CompletableFuture<T> submit(Callable<T> task);

    /**
     * Starts an asynchronous task when a slot is free; the slot stays taken until its stage
     * completes.
     *
     * @param task starts the work and returns its stage
     * @param <T> the result type
     * @return the stage's result, or its failure, or {@link TaskRejectedException}
     * @throws NullPointerException if {@code task} is null
     * @throws IllegalStateException if the pool is closed
     */
    <T> CompletableFuture<T> submitAsync(Supplier<? extends CompletionStage<T>> task);

    /**
     * Runs every task through this pool and returns their results in input order. The first failure
     * fails the whole result and cancels the tasks still waiting or running; so does the timeout.
     *
     * @param tasks the tasks
     * @param timeout the longest the whole gather may take, positive, at most 365 days
     * @param <T> the result type
     * @return the results, in input order
     * @throws NullPointerException if an argument or a task is null
     * @throws IllegalArgumentException if {@code timeout} is not positive or too long
     * @throws IllegalStateException if the pool is closed
     */
    <T> CompletableFuture<List<T>> gather(List<? extends Callable<T>> tasks, Duration timeout);

    /**
     * Runs every task through this pool and returns one {@link Outcome} per task, in input order,
     * failures included — the seeds' {@code return_exceptions=True}. Tasks still unfinished at the
     * timeout are cancelled and their outcome is a {@link java.util.concurrent.TimeoutException}.
     *
     * @param tasks the tasks
     * @param timeout the longest the whole gather may take, positive, at most 365 days
     * @param <T> the result type
     * @return the outcomes, in input order; never completes exceptionally
     * @throws NullPointerException if an argument or a task is null
     * @throws IllegalArgumentException if {@code timeout} is not positive or too long
     * @throws IllegalStateException if the pool is closed
     */
    <T> CompletableFuture<List<Outcome<T>>> gatherSettled(List<? extends Callable<T>> tasks, Duration timeout);

    /** Returns the pool's counters. */
    TaskPoolStats stats();
}
