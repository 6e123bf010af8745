package dev.perfkit.mongo;

import java.time.Duration;

/**
 * A connection-pool preset of a {@link dev.perfkit.PerformanceMode}, applied by {@link
 * MongoPerf#poolSettings}.
 *
 * @param maxSize most connections per server
 * @param minSize connections kept open when idle
 * @param maxConnecting connections being established at once
 * @param maxIdleTime how long an idle connection is kept
 * @param maxWaitTime how long an operation waits for a connection before failing
 */
public record PoolPreset(int maxSize, int minSize, int maxConnecting, Duration maxIdleTime, Duration maxWaitTime) {}
