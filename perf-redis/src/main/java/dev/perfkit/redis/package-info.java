/**
 * perf-redis: {@link dev.perfkit.redis.RedisQueryCache}, a two-level query cache (in-process in
 * front of a shared Redis) kept coherent across bot instances. See {@code docs/redis.md}.
 */
package dev.perfkit.redis;
