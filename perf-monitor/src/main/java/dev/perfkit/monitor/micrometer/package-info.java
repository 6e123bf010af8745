/**
 * perf-monitor: {@link dev.perfkit.monitor.micrometer.MicrometerPerfMonitor}, the {@link
 * dev.perfkit.monitor.PerfMonitor} behind {@code Perf.getMonitor()}, with its alert engine and HTTP
 * server. See {@code docs/monitoring.md}.
 */
package dev.perfkit.monitor.micrometer;
