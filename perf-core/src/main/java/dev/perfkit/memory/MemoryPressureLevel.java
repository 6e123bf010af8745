package dev.perfkit.memory;

/** How hard a {@link MemoryPressureListener} is asked to give memory back. */
public enum MemoryPressureLevel {
    /** Above the limit: drop the coldest share of what can be rebuilt (a cache drops its coldest half). */
    MODERATE,
    /** Still above after moderate relief: drop everything that can be rebuilt. */
    CRITICAL
}
