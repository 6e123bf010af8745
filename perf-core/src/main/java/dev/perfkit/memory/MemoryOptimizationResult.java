package dev.perfkit.memory;

import java.util.List;

/**
 * What {@link MemoryManager#optimizeMemoryUsage(long)} did.
 *
 * @param acted whether anything was done (false under the threshold)
 * @param actions one human-readable line per action, in order
 * @param rssBeforeMb RSS in MB before
 * @param rssAfterMb RSS in MB after
 */
public record MemoryOptimizationResult(boolean acted, List<String> actions, double rssBeforeMb, double rssAfterMb) {
    /** Copies the action list. */
    public MemoryOptimizationResult {
        actions = List.copyOf(actions);
    }
}
