package dev.perfkit.memory;

import java.time.Duration;

/**
 * What a {@link MemoryScope} or a {@link MemoryManager#memoryIntensive} call measured.
 *
 * @param name the scope's name
 * @param allocatedBytes bytes allocated by the scope's thread, or -1 where the JVM cannot tell
 * @param rssDeltaMb RSS after minus before, in MB
 * @param heapDeltaBytes heap in use after minus before
 * @param duration wall-clock time of the scope
 */
public record MemoryScopeReport(
        String name, long allocatedBytes, double rssDeltaMb, long heapDeltaBytes, Duration duration) {}
