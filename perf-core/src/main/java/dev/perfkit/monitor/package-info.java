/**
 * Live monitoring of a running bot: the request monitor, alert rules and the monitor's HTTP server.
 *
 * <pre>{@code
 * PerfMonitor monitor = Perf.getMonitor();
 * String reply = monitor.timeRequest("balance", () -> economy.balance(userId));
 * monitor.addAlertListener(new AlertListener() {
 *     public void onFiring(Alert alert) { ops.page(alert.message()); }
 * });
 * MonitorServer server = monitor.startServer();   // http://127.0.0.1:<port>/ is the dashboard
 * }</pre>
 *
 * <p>The implementation lives in {@code dev.perfkit:perf-monitor}; see {@code docs/monitoring.md}.
 */
package dev.perfkit.monitor;
