/**
 * Query profiling: per-shape statistics, the slow-query log, N+1 detection per bot command and
 * index advice, all built on {@link dev.perfkit.profile.QueryShape}. Shapes keep operators and field
 * names but never literal values, so nothing here leaks user data into logs or reports. The
 * implementation lives in {@code dev.perfkit:perf-db}.
 */
package dev.perfkit.profile;
