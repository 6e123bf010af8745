package dev.perfkit.profile;

import java.time.Duration;

/**
 * Statistics of one (collection, operation) pair.
 *
 * @param collection the collection
 * @param operation the operation
 * @param count queries recorded
 * @param errors failed queries
 * @param slow slow queries
 * @param totalTime summed duration
 * @param avgTime mean duration
 * @param maxTime longest duration
 */
public record OperationStats(
        String collection,
        String operation,
        long count,
        long errors,
        long slow,
        Duration totalTime,
        Duration avgTime,
        Duration maxTime) {}
