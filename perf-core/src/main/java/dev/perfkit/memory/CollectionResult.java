package dev.perfkit.memory;

import java.time.Duration;

/**
 * What a forced garbage collection did.
 *
 * @param freedBytes heap in use before minus after; can be negative when other threads allocated
 * @param duration wall-clock time of the call
 * @param collections collections the JVM's collectors counted during the call
 * @param collectionTime collection time the collectors reported during the call
 * @param heapBeforeBytes heap in use before
 * @param heapAfterBytes heap in use after
 */
public record CollectionResult(
        long freedBytes,
        Duration duration,
        long collections,
        Duration collectionTime,
        long heapBeforeBytes,
        long heapAfterBytes) {}
