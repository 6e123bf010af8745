package dev.perfkit.memory;

import java.util.Optional;

/**
 * Everything a {@link MemoryManager} knows at one moment, for reports and health checks.
 *
 * @param current the current figures
 * @param trend recent samples and growth
 * @param leaks tracked objects and suspects
 * @param lastCollection the last collection the manager ran, if any
 */
public record MemoryReport(
        MemorySnapshot current, MemoryTrend trend, LeakReport leaks, Optional<CollectionResult> lastCollection) {}
