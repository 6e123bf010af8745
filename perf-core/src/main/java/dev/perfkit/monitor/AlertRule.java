package dev.perfkit.monitor;

import static java.util.Objects.requireNonNull;

import dev.perfkit.internal.Durations;
import io.micrometer.core.instrument.Measurement;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Statistic;
import java.time.Duration;
import java.util.function.DoubleSupplier;
import java.util.regex.Pattern;

/**
 * A condition over one value that makes alerts: a warning level, a critical level, or both.
 *
 * <pre>{@code
 * monitor.addAlertRule(AlertRule.above("pending_writes", AlertRule.meter(registry, "perfkit.batch.pending"))
 *         .warning(1_000).critical(10_000)
 *         .forDuration(Duration.ofMinutes(1))
 *         .unit("items")
 *         .build());
 * }</pre>
 *
 * <p>Each level is judged on its own. It fires when its condition has held at every evaluation for
 * {@link #forDuration()} (at once when that is zero), and resolves only when the value has gone back
 * past the threshold by {@link #hysteresis()} (a fraction of the threshold) and stayed there for
 * {@link #forDuration()}; one noisy sample neither fires nor resolves an alert. A value of {@code
 * NaN} means "no data": it never fires, and a firing alert keeps firing until real data clears it.
 * A value supplier that throws counts as {@code NaN} and is logged.
 *
 * <p>Instances are immutable.
 */
public final class AlertRule {
    private static final Pattern NAME = Pattern.compile("[a-zA-Z_][a-zA-Z0-9_.-]{0,63}");

    /** Which side of a threshold is bad. */
    public enum Direction {
        /** Values above the threshold are bad (latency, memory). */
        ABOVE,
        /** Values below the threshold are bad (hit ratio). */
        BELOW
    }

    private final String name;
    private final Direction direction;
    private final DoubleSupplier value;
    private final double warning;
    private final double critical;
    private final Duration forDuration;
    private final double hysteresis;
    private final String unit;
    private final String component;

    private AlertRule(Builder builder) {
        this.name = builder.name;
        this.direction = builder.direction;
        this.value = builder.value;
        this.warning = builder.warning;
        this.critical = builder.critical;
        this.forDuration = builder.forDuration;
        this.hysteresis = builder.hysteresis;
        this.unit = builder.unit;
        this.component = builder.component;
    }

    /**
     * Starts a rule whose alerts fire when the value rises above a threshold.
     *
     * @param name the rule's name: a letter or {@code _}, then letters, digits, {@code _ . -}; at most 64
     * @param value reads the current value; {@code NaN} for "no data"
     * @return a builder
     * @throws IllegalArgumentException if the name is not valid
     */
    public static Builder above(String name, DoubleSupplier value) {
        return new Builder(name, Direction.ABOVE, value);
    }

    /**
     * Starts a rule whose alerts fire when the value falls below a threshold.
     *
     * @param name the rule's name (see {@link #above})
     * @param value reads the current value; {@code NaN} for "no data"
     * @return a builder
     * @throws IllegalArgumentException if the name is not valid
     */
    public static Builder below(String name, DoubleSupplier value) {
        return new Builder(name, Direction.BELOW, value);
    }

    /**
     * Reads a Micrometer meter: the largest value, among every meter of that name on the registry
     * (whatever their tags), of its {@link Statistic#VALUE} (gauges), {@link Statistic#COUNT}
     * (counters) or else first measurement; {@code NaN} while no such meter exists.
     *
     * @param registry the registry
     * @param meterName the meter's name, e.g. {@code perfkit.batch.pending}
     * @return a supplier for {@link #above} or {@link #below}
     */
    public static DoubleSupplier meter(MeterRegistry registry, String meterName) {
        requireNonNull(registry, "registry");
        requireNonNull(meterName, "meterName");
        return () -> {
            double max = Double.NaN;
            for (Meter meter : registry.find(meterName).meters()) {
                double reading = reading(meter);
                if (!Double.isNaN(reading) && (Double.isNaN(max) || reading > max)) {
                    max = reading;
                }
            }
            return max;
        };
    }

    private static double reading(Meter meter) {
        double first = Double.NaN;
        for (Measurement measurement : meter.measure()) {
            if (measurement.getStatistic() == Statistic.VALUE || measurement.getStatistic() == Statistic.COUNT) {
                return measurement.getValue();
            }
            if (Double.isNaN(first)) {
                first = measurement.getValue();
            }
        }
        return first;
    }

    /** Returns the rule's name. */
    public String name() {
        return name;
    }

    /** Returns which side of the thresholds is bad. */
    public Direction direction() {
        return direction;
    }

    /** Returns the supplier of the rule's value. */
    public DoubleSupplier value() {
        return value;
    }

    /** Returns the warning threshold, {@code NaN} when the rule has no warning level. */
    public double warning() {
        return warning;
    }

    /** Returns the critical threshold, {@code NaN} when the rule has no critical level. */
    public double critical() {
        return critical;
    }

    /** Returns how long a condition must hold before an alert fires, and be clear before it resolves. */
    public Duration forDuration() {
        return forDuration;
    }

    /** Returns the fraction of a threshold by which a value must be back on the good side to resolve. */
    public double hysteresis() {
        return hysteresis;
    }

    /** Returns the unit of the value and thresholds, for messages ({@code "%"}, {@code "ms"}, ...). */
    public String unit() {
        return unit;
    }

    /** Returns the component the rule watches ({@code cache}, {@code memory}, ...), or {@code ""}. */
    public String component() {
        return component;
    }

    /**
     * Returns the threshold of a level.
     *
     * @param severity the level
     * @return its threshold, {@code NaN} when the rule has no such level
     */
    public double threshold(Severity severity) {
        return severity == Severity.CRITICAL ? critical : warning;
    }

    @Override
    public String toString() {
        return "AlertRule{" + name + ' ' + direction + " warning=" + warning + " critical=" + critical + ' ' + unit
                + " for " + forDuration + '}';
    }

    /** Builds an {@link AlertRule}. Not thread-safe. */
    public static final class Builder {
        private final String name;
        private final Direction direction;
        private final DoubleSupplier value;
        private double warning = Double.NaN;
        private double critical = Double.NaN;
        private Duration forDuration = Duration.ZERO;
        private double hysteresis = 0.1;
        private String unit = "";
        private String component = "";

        private Builder(String name, Direction direction, DoubleSupplier value) {
            requireNonNull(name, "name");
            if (!NAME.matcher(name).matches()) {
                throw new IllegalArgumentException("name must start with a letter or _ and hold at most 64 letters,"
                        + " digits, _ . or -: '" + name + "'");
            }
            this.name = name;
            this.direction = direction;
            this.value = requireNonNull(value, "value");
        }

        /**
         * Sets the warning threshold.
         *
         * @param threshold a finite number
         * @return this builder
         * @throws IllegalArgumentException if not finite
         */
        public Builder warning(double threshold) {
            this.warning = finite("warning", threshold);
            return this;
        }

        /**
         * Sets the critical threshold.
         *
         * @param threshold a finite number
         * @return this builder
         * @throws IllegalArgumentException if not finite
         */
        public Builder critical(double threshold) {
            this.critical = finite("critical", threshold);
            return this;
        }

        /**
         * Sets how long a condition must hold before an alert fires, and be clear before it resolves.
         * Default zero: at the first evaluation.
         *
         * @param duration zero or positive
         * @return this builder
         * @throws IllegalArgumentException if negative or longer than 365 days
         */
        public Builder forDuration(Duration duration) {
            Durations.checkNonNegative("forDuration", duration);
            this.forDuration = duration;
            return this;
        }

        /**
         * Sets the fraction of a threshold by which a value must be back on the good side before a
         * firing alert can resolve. Default 0.1 (10 %).
         *
         * @param fraction from 0 to 1
         * @return this builder
         * @throws IllegalArgumentException if outside 0..1
         */
        public Builder hysteresis(double fraction) {
            if (!(fraction >= 0 && fraction <= 1)) {
                throw new IllegalArgumentException("hysteresis must be from 0 to 1: " + fraction);
            }
            this.hysteresis = fraction;
            return this;
        }

        /**
         * Sets the unit shown in messages.
         *
         * @param unit e.g. {@code "ms"}
         * @return this builder
         */
        public Builder unit(String unit) {
            this.unit = requireNonNull(unit, "unit");
            return this;
        }

        /**
         * Sets the component whose health the rule's alerts degrade in {@code /health}.
         *
         * @param component e.g. {@code "cache"}; empty for none
         * @return this builder
         */
        public Builder component(String component) {
            this.component = requireNonNull(component, "component");
            return this;
        }

        /**
         * Builds the rule.
         *
         * @return the rule
         * @throws IllegalStateException if neither level is set, or the critical threshold is on the
         *     good side of the warning threshold
         */
        public AlertRule build() {
            if (Double.isNaN(warning) && Double.isNaN(critical)) {
                throw new IllegalStateException("alert rule '" + name + "' needs a warning or a critical threshold");
            }
            if (!Double.isNaN(warning)
                    && !Double.isNaN(critical)
                    && (direction == Direction.ABOVE ? critical < warning : critical > warning)) {
                throw new IllegalStateException("alert rule '" + name + "': critical threshold " + critical
                        + " must be at least as bad as the warning threshold " + warning + " (" + direction + ")");
            }
            return new AlertRule(this);
        }

        private static double finite(String parameter, double threshold) {
            if (!Double.isFinite(threshold)) {
                throw new IllegalArgumentException(parameter + " must be a finite number: " + threshold);
            }
            return threshold;
        }
    }
}
