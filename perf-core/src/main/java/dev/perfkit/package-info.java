/**
 * perfkit's entry points: the {@link dev.perfkit.Perf} facade with the process-wide default
 * components, and {@link dev.perfkit.PerfConfig}, the configuration by {@link
 * dev.perfkit.PerformanceMode} and environment variables.
 */
package dev.perfkit;
