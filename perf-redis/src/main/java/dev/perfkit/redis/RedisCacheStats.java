package dev.perfkit.redis;

/**
 * The counters of a {@link RedisQueryCache}'s two levels.
 *
 * @param memoryHits lookups answered by the in-process level
 * @param redisHits lookups answered by Redis after the in-process level missed
 * @param misses lookups neither level answered
 * @param redisAvailable whether Redis is in use now (false: memory only, degraded)
 * @param invalidation how invalidations travel: {@code tracking}, {@code pubsub}, or {@code auto}
 *     before the first connection; {@code memory} at level memory
 * @param invalidationsReceived invalidation messages received from Redis or other instances
 * @param redisFailures Redis commands that failed or timed out
 */
public record RedisCacheStats(
        long memoryHits,
        long redisHits,
        long misses,
        boolean redisAvailable,
        String invalidation,
        long invalidationsReceived,
        long redisFailures) {}
