/**
 * Batch processing: group writes by size or delay, with bounded queues, retries and dead letters,
 * so that no accepted item is ever silently lost. Build processors with {@code
 * Perf.batchProcessor(handler)}; the implementation lives in {@code dev.perfkit:perf-db}.
 */
package dev.perfkit.batch;
