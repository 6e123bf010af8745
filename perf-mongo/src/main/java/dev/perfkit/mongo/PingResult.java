package dev.perfkit.mongo;

import java.time.Duration;

/**
 * The outcome of {@link MongoPerf#ping}.
 *
 * @param reachable whether the server answered {@code ping}
 * @param latency how long the attempt took
 * @param message "ok" with the server version, or why it failed
 */
public record PingResult(boolean reachable, Duration latency, String message) {}
