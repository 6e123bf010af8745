package dev.perfkit.memory;

import java.util.List;

/**
 * Recent memory samples and how fast memory grows. A steady positive {@link #growthMbPerMinute()}
 * over a long window is the signature of a slow leak.
 *
 * @param samples the retained samples, oldest first
 * @param growthMbPerMinute least-squares slope of RSS over the samples, in MB per minute; zero with
 *     fewer than two samples
 * @param heapGrowthMbPerMinute the same slope for the heap in use
 */
public record MemoryTrend(List<MemorySample> samples, double growthMbPerMinute, double heapGrowthMbPerMinute) {
    /** Copies the sample list. */
    public MemoryTrend {
        samples = List.copyOf(samples);
    }
}
