package dev.perfkit.profile;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.function.Supplier;

/**
 * Records database queries and turns them into statistics, a slow-query log, N+1 warnings and index
 * recommendations.
 *
 * <pre>{@code
 * QueryProfiler profiler = Perf.getQueryProfiler();
 * Document user = profiler.profile("users", "find_one", Map.of("user_id", id),
 *         () -> users.find(eq("user_id", id)).first());
 *
 * try (ProfilerScope command = profiler.scope("leaderboard")) {   // one bot command
 *     ...                                                        // N+1 is judged per scope
 * }
 * profiler.getSlowQueries().forEach(q -> log.info("{}", q));
 * profiler.recommendIndexes().forEach(r -> log.info("{}", r));
 * }</pre>
 *
 * <p>Queries are grouped by (collection, operation, {@link QueryShape shape}); only shapes are kept,
 * never literal values. Implementations are thread-safe and cheap on the recording path.
 */
public interface QueryProfiler extends AutoCloseable {

    /**
     * Records one query.
     *
     * @param collection the collection (or table) queried
     * @param operation the operation, e.g. {@code find}, {@code update}, {@code aggregate}
     * @param query the filter; only its shape is kept
     * @param duration how long it took
     * @param success whether it succeeded
     * @param resultSize documents returned or affected, or -1 when unknown
     * @throws NullPointerException if an argument is null
     * @throws IllegalArgumentException if {@code duration} is negative
     */
    void recordQuery(
            String collection,
            String operation,
            Map<String, ?> query,
            Duration duration,
            boolean success,
            long resultSize);

    /**
     * Records one query together with its sort, which index advice places between the equality and
     * range fields.
     *
     * @param collection the collection (or table) queried
     * @param operation the operation
     * @param query the filter; only its shape is kept
     * @param sort the sort specification ({@code {"balance": -1}}), empty for none
     * @param duration how long it took
     * @param success whether it succeeded
     * @param resultSize documents returned or affected, or -1 when unknown
     * @throws NullPointerException if an argument is null
     * @throws IllegalArgumentException if {@code duration} is negative
     */
    void recordQuery(
            String collection,
            String operation,
            Map<String, ?> query,
            Map<String, ?> sort,
            Duration duration,
            boolean success,
            long resultSize);

    /**
     * Records one query whose shape the caller has computed already (instrumentation computes it
     * once per command while the command document is readable). Implementations that keep shapes
     * override it; the default records the query without its shape.
     *
     * @param collection the collection queried
     * @param operation the operation
     * @param shape the query's shape (filter and sort)
     * @param nanos how long it took, in nanoseconds, zero or more
     * @param success whether it succeeded
     * @param resultSize documents returned or affected, or -1 when unknown
     * @throws NullPointerException if an argument is null
     * @throws IllegalArgumentException if {@code nanos} is negative
     */
    default void recordShape(
            String collection, String operation, QueryShape shape, long nanos, boolean success, long resultSize) {
        if (nanos < 0) {
            throw new IllegalArgumentException("nanos must not be negative: " + nanos);
        }
        Objects.requireNonNull(shape, "shape");
        recordQuery(collection, operation, Map.of(), Duration.ofNanos(nanos), success, resultSize);
    }

    /**
     * Tells whether a query that took {@code nanos} will use its result size, so that a caller for
     * whom counting costs something (instrumentation counting a reply's documents) may pass -1
     * instead. The default says yes; a profiler that keeps sizes only in its slow-query log says so
     * only for slow queries.
     *
     * @param nanos how long the query took, in nanoseconds
     * @return whether {@code resultSize} matters for it
     */
    default boolean usesResultSize(long nanos) {
        return true;
    }

    /**
     * Times a call and records it: success or failure, and the result size when the result is a
     * collection or a number. The call's exception is rethrown unchanged.
     *
     * @param collection the collection queried
     * @param operation the operation
     * @param query the filter; only its shape is kept
     * @param call the database call
     * @param <T> the result type
     * @return what the call returned
     * @throws NullPointerException if an argument is null
     */
    <T> T profile(String collection, String operation, Map<String, ?> query, Supplier<T> call);

    /** Returns the aggregate statistics and the breakdown per collection and operation. */
    ProfilerStats getStats();

    /** Returns the recent slow queries, newest first; bounded. */
    List<SlowQuery> getSlowQueries();

    /** Returns index recommendations from the observed shapes, most time spent first. */
    List<IndexRecommendation> recommendIndexes();

    /** Returns the N+1 warnings seen so far, deduplicated per scope name, collection and shape. */
    List<NPlusOneWarning> getNPlusOneWarnings();

    /**
     * Opens a scope on the current thread that marks one bot command; scopes nest. Within a scope,
     * the same (collection, shape) run at least the configured number of times yields an {@link
     * NPlusOneWarning}.
     *
     * @param name the command's name, e.g. {@code "leaderboard"}
     * @return the open scope; close it on the same thread
     * @throws NullPointerException if {@code name} is null
     */
    ProfilerScope scope(String name);

    /** Returns the duration from which a query counts as slow. */
    Duration getSlowThreshold();

    /**
     * Changes the slow-query threshold.
     *
     * @param threshold the new threshold
     * @throws NullPointerException if {@code threshold} is null
     * @throws IllegalArgumentException if {@code threshold} is negative
     */
    void setSlowThreshold(Duration threshold);

    /** Forgets every statistic, slow query and warning. */
    void reset();

    /** Releases resources such as registered meters. Idempotent. */
    @Override
    void close();
}
