package dev.perfkit.internal;

import static java.util.Objects.requireNonNull;

import java.time.Duration;

/**
 * The range of durations perfkit accepts anywhere: up to {@link #MAX} (365 days). Longer ones
 * (centuries) would overflow the nanosecond arithmetic of timers and schedulers much later, far from
 * the call that passed them; they are refused at the boundary instead.
 */
public final class Durations {
    /** The longest duration accepted by any perfkit setting or method. */
    public static final Duration MAX = Duration.ofDays(365);

    private Durations() {}

    /**
     * Checks that a duration is not null, not negative and at most {@link #MAX}.
     *
     * @param parameter the parameter's name, for the message
     * @param value the duration
     * @return {@code value}
     * @throws NullPointerException if {@code value} is null
     * @throws IllegalArgumentException if it is negative or longer than {@link #MAX}
     */
    public static Duration checkNonNegative(String parameter, Duration value) {
        requireNonNull(value, parameter);
        if (value.isNegative()) {
            throw new IllegalArgumentException(parameter + " must not be negative: " + value);
        }
        return checkAtMostMax(parameter, value);
    }

    /**
     * Checks that a duration is positive and at most {@link #MAX}.
     *
     * @param parameter the parameter's name, for the message
     * @param value the duration
     * @return {@code value}
     * @throws NullPointerException if {@code value} is null
     * @throws IllegalArgumentException if it is zero, negative or longer than {@link #MAX}
     */
    public static Duration checkPositive(String parameter, Duration value) {
        requireNonNull(value, parameter);
        if (value.isNegative() || value.isZero()) {
            throw new IllegalArgumentException(parameter + " must be positive: " + value);
        }
        return checkAtMostMax(parameter, value);
    }

    private static Duration checkAtMostMax(String parameter, Duration value) {
        if (value.compareTo(MAX) > 0) {
            throw new IllegalArgumentException(parameter + " must be at most " + MAX.toDays() + " days: " + value);
        }
        return value;
    }
}
