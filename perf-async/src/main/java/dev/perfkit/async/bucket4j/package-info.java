/**
 * perf-async's keyed rate limits: a Bucket4j token bucket per key, the keys in a Caffeine cache that
 * forgets idle ones. See {@link dev.perfkit.async.bucket4j.Bucket4jRateLimiter}.
 */
package dev.perfkit.async.bucket4j;
