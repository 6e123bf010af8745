package dev.perfkit.profile;

import java.time.Duration;
import java.util.List;

/**
 * Aggregate statistics of a {@link QueryProfiler}.
 *
 * @param totalQueries queries recorded
 * @param slowQueries queries at or above the slow threshold
 * @param avgQueryTime mean duration
 * @param errorRate failed / total, 0 when nothing was recorded
 * @param p50 median duration (approximate, from a histogram)
 * @param p95 95th percentile duration
 * @param p99 99th percentile duration
 * @param operations the breakdown per collection and operation, most total time first
 */
public record ProfilerStats(
        long totalQueries,
        long slowQueries,
        Duration avgQueryTime,
        double errorRate,
        Duration p50,
        Duration p95,
        Duration p99,
        List<OperationStats> operations) {
    /** Copies the breakdown. */
    public ProfilerStats {
        operations = List.copyOf(operations);
    }
}
