/**
 * perf-async's task pools: a Resilience4j {@code Bulkhead} per pool for the concurrency limit, a
 * bounded queue with a wait timeout in front of it, daemon (or, on JDK 21+, virtual) threads. See
 * {@link dev.perfkit.async.bulkhead.BulkheadTaskPools}.
 */
package dev.perfkit.async.bulkhead;
