/**
 * The Caffeine-backed {@link dev.perfkit.cache.QueryCache} implementation.
 */
package dev.perfkit.cache.caffeine;
