package dev.perfkit;

import java.util.Locale;

/**
 * The overall performance mode ({@code PERFORMANCE_MODE}): each mode is a preset of every {@link
 * PerfConfig} setting, documented in {@code docs/configuration.md}. An explicitly set variable
 * overrides the preset.
 *
 * <ul>
 *   <li>{@link #LOW} — small hosts: small caches, short TTLs, sparse sampling.
 *   <li>{@link #MEDIUM} — the default.
 *   <li>{@link #HIGH} — busy bots with memory to spare: larger caches, longer TTLs, bigger batches.
 * </ul>
 */
public enum PerformanceMode {
    /** Frugal: small caches and batches, infrequent sampling. */
    LOW,
    /** Balanced defaults; used when nothing is configured. */
    MEDIUM,
    /** Throughput first: large caches, long TTLs, big batches. */
    HIGH;

    /**
     * Parses a mode name, ignoring case and surrounding blanks.
     *
     * @param value {@code low}, {@code medium} or {@code high}
     * @return the mode
     * @throws IllegalArgumentException naming the value and the accepted values when it is none of
     *     them
     * @throws NullPointerException if {@code value} is null
     */
    public static PerformanceMode parse(String value) {
        String normalized = value.strip().toUpperCase(Locale.ROOT);
        for (PerformanceMode mode : values()) {
            if (mode.name().equals(normalized)) {
                return mode;
            }
        }
        throw new IllegalArgumentException(
                "Unknown performance mode '" + value + "': accepted values are " + acceptedValues());
    }

    /** Returns the accepted spellings, for messages: {@code low, medium, high}. */
    static String acceptedValues() {
        return "low, medium, high";
    }

    /** Returns the lower-case name used in the environment, e.g. {@code high}. */
    @Override
    public String toString() {
        return name().toLowerCase(Locale.ROOT);
    }
}
