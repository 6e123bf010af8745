package dev.perfkit.monitor;

import static java.util.Objects.requireNonNull;

import java.time.Duration;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The request monitor's report (seed 004 {@code get_performance_report}) over its sliding window
 * ({@code MONITOR_REQUEST_WINDOW}): for all requests together, and per request name.
 *
 * @param requests requests recorded in the window
 * @param requestsPerSecond requests per second over the window (over the time since the monitor
 *     started, while that is shorter than the window)
 * @param averageResponseTime mean duration in the window, zero when there were none
 * @param p50 median duration (approximate, from a histogram decaying over the window)
 * @param p95 95th percentile duration
 * @param p99 99th percentile duration
 * @param errorRate failed / all requests in the window, 0 when there were none
 * @param totalRequests requests recorded since the monitor started
 * @param byName the same report per request name (empty in the per-name reports themselves),
 *     most requests first
 */
public record RequestReport(
        long requests,
        double requestsPerSecond,
        Duration averageResponseTime,
        Duration p50,
        Duration p95,
        Duration p99,
        double errorRate,
        long totalRequests,
        Map<String, RequestReport> byName) {

    /** Copies the per-name map, keeping its order. */
    public RequestReport {
        requireNonNull(averageResponseTime, "averageResponseTime");
        requireNonNull(p50, "p50");
        requireNonNull(p95, "p95");
        requireNonNull(p99, "p99");
        byName = Collections.unmodifiableMap(new LinkedHashMap<>(byName));
    }
}
