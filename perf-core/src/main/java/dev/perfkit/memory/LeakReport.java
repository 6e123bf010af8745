package dev.perfkit.memory;

import java.util.List;

/**
 * The result of {@link MemoryManager#checkTrackedObjects()}.
 *
 * @param suspects names with objects alive past their lifetime, most alive first
 * @param trackedCount objects currently tracked (alive, not yet reclaimed)
 * @param sampling whether tracking is sampling because the cap on tracked objects was reached; the
 *     counts then cover the sampled objects only
 * @param samplingRate the share of {@code trackObject} calls actually tracked, 1.0 when not sampling
 */
public record LeakReport(List<LeakSuspect> suspects, long trackedCount, boolean sampling, double samplingRate) {
    /** Copies the suspect list. */
    public LeakReport {
        suspects = List.copyOf(suspects);
    }

    /** Returns whether any name is suspected of leaking. */
    public boolean hasSuspects() {
        return !suspects.isEmpty();
    }
}
