package dev.perfkit.monitor;

/** How serious a firing alert is. */
public enum Severity {
    /** Worth a look: a value has passed its target. */
    WARNING,
    /** Act now: a value has passed its critical threshold. */
    CRITICAL
}
