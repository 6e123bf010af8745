package dev.perfkit.monitor;

import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.List;
import java.util.function.Supplier;

/**
 * Watches a running bot: records requests (seed 004 {@code PerformanceMonitor}), evaluates alert
 * rules over every perfkit component, and serves a dashboard, JSON and Prometheus endpoints.
 *
 * <pre>{@code
 * PerfMonitor monitor = Perf.getMonitor();
 * monitor.recordRequest("daily", Duration.ofMillis(12), true);
 * Reply reply = monitor.timeRequest("transfer", () -> bank.transfer(from, to, amount));
 * RequestReport report = monitor.requestReport();      // requests/s, p50/p95/p99, error rate, per name
 * List<Alert> firing = monitor.activeAlerts();
 * }</pre>
 *
 * <p>Built-in alert rules: {@code pool_utilization}, {@code cache_hit_ratio}, {@code memory_usage},
 * {@code memory_rss}, {@code slow_queries}, {@code error_rate}, {@code response_time}, {@code
 * cache_degraded}, with thresholds from {@code PerfConfig}. Request names are bounded ({@code MONITOR_MAX_REQUEST_NAMES}):
 * later names, and names longer than 64 characters, are counted as {@code other}, so names made
 * from user input cannot exhaust memory or meters.
 *
 * <p>Thread-safe. Recording a request does not allocate and never throws into the host except for
 * invalid arguments. {@link #close()} stops the evaluation thread and every server it started.
 */
public interface PerfMonitor extends AutoCloseable {

    /** The request name that collects every name past the cap. */
    String OTHER = "other";

    /**
     * Records one request (seed 004 {@code record_request}).
     *
     * @param name what was requested, e.g. a command name
     * @param duration how long it took, zero or positive
     * @param success whether it succeeded
     * @throws NullPointerException if {@code name} or {@code duration} is null
     * @throws IllegalArgumentException if {@code duration} is negative
     */
    void recordRequest(String name, Duration duration, boolean success);

    /**
     * Records one request given in nanoseconds, for callers that time with {@link System#nanoTime()}.
     *
     * @param name what was requested
     * @param nanos how long it took, zero or positive
     * @param success whether it succeeded
     * @throws NullPointerException if {@code name} is null
     * @throws IllegalArgumentException if {@code nanos} is negative
     */
    void recordRequestNanos(String name, long nanos, boolean success);

    /**
     * Runs and times a request; it fails when {@code work} throws, and the exception is rethrown
     * unchanged.
     *
     * @param name what is requested
     * @param work the request
     * @param <T> the result type
     * @return what {@code work} returned
     */
    <T> T timeRequest(String name, Supplier<T> work);

    /**
     * Runs and times a request without a result.
     *
     * @param name what is requested
     * @param work the request
     */
    void timeRequest(String name, Runnable work);

    /**
     * Returns the report over the sliding window (seed 004 {@code get_performance_report}).
     *
     * @return the report, overall and per name
     */
    RequestReport requestReport();

    /**
     * Returns the alerts firing as of the last evaluation, critical first.
     *
     * @return the firing alerts
     */
    List<Alert> activeAlerts();

    /**
     * Evaluates every rule now (delivering any transitions to the listeners) and returns the
     * alerts firing afterwards.
     *
     * @return the firing alerts, critical first
     */
    List<Alert> evaluateNow();

    /**
     * Adds a rule, evaluated from the next evaluation on.
     *
     * @param rule the rule
     * @throws IllegalArgumentException if a rule of that name exists
     */
    void addAlertRule(AlertRule rule);

    /**
     * Removes a rule; its firing alerts resolve (listeners are told).
     *
     * @param name the rule's name
     * @return whether a rule of that name existed
     */
    boolean removeAlertRule(String name);

    /**
     * Returns every rule, built-in and added, in evaluation order.
     *
     * @return the rules
     */
    List<AlertRule> alertRules();

    /**
     * Adds a listener of alert transitions.
     *
     * @param listener the listener
     */
    void addAlertListener(AlertListener listener);

    /**
     * Returns the health of each monitored component, as {@code GET /health} serves it.
     *
     * @return the health
     */
    Health health();

    /**
     * Starts a server at the configured address: {@code PERF_MONITOR_HOST} (default {@code
     * 127.0.0.1}) and {@code PERF_MONITOR_PORT} (0 or unset: any free port).
     *
     * @return the running server; the monitor closes it on {@link #close()}
     * @throws dev.perfkit.PerfException if the port cannot be bound, or the address is not a
     *     loopback address and no {@code PERF_ADMIN_TOKEN} is configured
     */
    MonitorServer startServer();

    /**
     * Starts a server at an address.
     *
     * @param address where to listen; port 0 picks a free port
     * @return the running server; the monitor closes it on {@link #close()}
     * @throws dev.perfkit.PerfException if the port cannot be bound, or the address is not a
     *     loopback address and no {@code PERF_ADMIN_TOKEN} is configured
     */
    MonitorServer startServer(InetSocketAddress address);

    /**
     * Returns the servers this monitor runs, oldest first: the one {@code PERF_MONITOR_PORT} started
     * and those started by {@link #startServer}, minus the closed ones.
     *
     * @return the running servers
     */
    List<MonitorServer> servers();

    /** Stops evaluating, closes every server this monitor started and removes its meters. */
    @Override
    void close();
}
