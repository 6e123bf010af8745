package dev.perfkit.monitor;

import static java.util.Objects.requireNonNull;

import java.time.Instant;

/**
 * One firing alert: one level of one {@link AlertRule} whose condition has held for the rule's
 * {@link AlertRule#forDuration()}.
 *
 * @param rule the rule's name, e.g. {@code response_time}
 * @param severity the level that fired
 * @param value the rule's value at the latest evaluation, in the rule's unit
 * @param threshold the threshold of that level, in the rule's unit
 * @param since when the condition started to hold (not when the alert fired)
 * @param message a sentence for people: rule, value, threshold and unit
 */
public record Alert(String rule, Severity severity, double value, double threshold, Instant since, String message) {
    /** Checks the references. */
    public Alert {
        requireNonNull(rule, "rule");
        requireNonNull(severity, "severity");
        requireNonNull(since, "since");
        requireNonNull(message, "message");
    }
}
