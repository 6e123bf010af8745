package dev.perfkit.profile;

import java.time.Duration;
import java.time.Instant;

/**
 * One entry of the slow-query log. Holds the query's {@link QueryShape shape}, never its literal
 * values.
 *
 * @param collection the collection
 * @param operation the operation
 * @param shape the query shape, e.g. {@code {"user_id":"?string"}}
 * @param duration how long it took
 * @param time when it was recorded
 * @param success whether it succeeded
 * @param resultSize documents returned or affected, -1 when unknown
 */
public record SlowQuery(
        String collection,
        String operation,
        String shape,
        Duration duration,
        Instant time,
        boolean success,
        long resultSize) {}
