/**
 * Database-neutral implementations of the {@link dev.perfkit.profile.QueryProfiler} and the
 * {@link dev.perfkit.batch.BatchProcessor}, with retries, N+1 detection and index advice.
 */
package dev.perfkit.db;
