/**
 * The query cache: TTL'd, size-bounded caching of query results with stampede-safe loading,
 * prefix invalidation and hit-ratio statistics. The implementation lives in {@code
 * dev.perfkit:perf-cache}.
 */
package dev.perfkit.cache;
