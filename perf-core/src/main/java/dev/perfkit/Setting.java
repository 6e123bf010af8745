package dev.perfkit;

import dev.perfkit.internal.Durations;
import java.time.Duration;
import java.util.Locale;

/*
 * The single table of configuration settings. Each constant knows its environment variable, its
 * system property, how to parse and check a raw string, and its preset in every PerformanceMode.
 * PerfConfig, its builder, the environment loader and docs/configuration.md all follow this table,
 * so a new setting is one new constant plus an accessor and a builder setter.
 */
enum Setting {
    MEMORY_LIMIT_MB(Type.MEGABYTES, 1, "Memory limit before perfkit relieves memory pressure", 256L, 512L, 1024L),
    QUERY_CACHE_SIZE(Type.COUNT, 0, "Maximum number of entries in the query cache", 1_000L, 5_000L, 20_000L),
    QUERY_CACHE_TTL(
            Type.SECONDS,
            1,
            "Default time-to-live of a query cache entry",
            Duration.ofSeconds(60),
            Duration.ofSeconds(300),
            Duration.ofSeconds(600)),
    SLOW_QUERY_THRESHOLD_MS(
            Type.MILLIS,
            1,
            "A query at least this slow counts as slow (MongoDB's slowms)",
            Duration.ofMillis(100),
            Duration.ofMillis(100),
            Duration.ofMillis(100)),
    SLOW_QUERY_LOG_SIZE(Type.COUNT, 1, "Slow queries kept by the profiler, newest first", 50L, 200L, 1_000L),
    N_PLUS_ONE_THRESHOLD(
            Type.COUNT, 2, "Runs of one query shape within one scope that make an N+1 warning", 5L, 5L, 5L),
    DB_MAX_CONCURRENCY(Type.COUNT, 1, "Default limit of concurrent database calls (Retries.bulkhead)", 10L, 25L, 50L),
    DB_RATE_LIMIT(Type.COUNT, 1, "Default database calls per second (Retries.rateLimiter)", 50L, 200L, 1_000L),
    BATCH_SIZE(Type.COUNT, 1, "Items per batch: a batch processor flushes at this many", 20L, 50L, 100L),
    BATCH_MAX_DELAY_MS(
            Type.MILLIS,
            1,
            "Longest time an item waits before its batch is flushed",
            Duration.ofMillis(2_000),
            Duration.ofMillis(1_000),
            Duration.ofMillis(500)),
    BATCH_MAX_PENDING(
            Type.COUNT,
            1,
            "Items a batch processor holds before its overflow policy applies",
            1_000L,
            10_000L,
            50_000L),
    TRACKED_OBJECT_LIFETIME(
            Type.SECONDS,
            1,
            "Default expected lifetime of a tracked object; alive past it, it is a leak suspect",
            Duration.ofSeconds(300),
            Duration.ofSeconds(300),
            Duration.ofSeconds(300)),
    MAX_TRACKED_OBJECTS(
            Type.COUNT, 1, "Objects tracked for leaks at once; past it, tracking samples", 10_000L, 50_000L, 100_000L),
    MEMORY_SAMPLE_INTERVAL(
            Type.SECONDS,
            1,
            "Interval of the background memory sampler behind trends and the limit check",
            Duration.ofSeconds(60),
            Duration.ofSeconds(30),
            Duration.ofSeconds(10)),
    MEMORY_TREND_SAMPLES(Type.COUNT, 2, "Samples kept for the memory trend", 60L, 120L, 360L),
    MEMORY_READ_CACHE_MS(
            Type.MILLIS,
            0,
            "How long one RSS reading is reused by getMemoryUsage()",
            Duration.ofMillis(1_000),
            Duration.ofMillis(500),
            Duration.ofMillis(200)),
    GC_MIN_INTERVAL(
            Type.SECONDS,
            0,
            "Shortest time between two collections perfkit triggers by itself",
            Duration.ofSeconds(300),
            Duration.ofSeconds(120),
            Duration.ofSeconds(60)),
    MEMORY_INTENSIVE_LOG_MB(
            Type.MEGABYTES, 1, "A memoryIntensive call that allocates more than this is logged", 50L, 100L, 200L),
    MEMORY_PRESSURE_RELIEF(
            Type.BOOLEAN, 0, "Relieve pressure automatically when RSS crosses MEMORY_LIMIT_MB", true, true, true);

    /** How a setting's raw text is parsed and what range it accepts. */
    enum Type {
        COUNT("a whole number", ""),
        MEGABYTES("a whole number of megabytes", " MB"),
        SECONDS("a whole number of seconds", " s"),
        MILLIS("a whole number of milliseconds", " ms"),
        BOOLEAN("true or false", "");

        private final String description;
        private final String unit;

        Type(String description, String unit) {
            this.description = description;
            this.unit = unit;
        }
    }

    private final Type type;
    private final long minimum;
    private final String description;
    private final Object low;
    private final Object medium;
    private final Object high;

    Setting(Type type, long minimum, String description, Object low, Object medium, Object high) {
        this.type = type;
        this.minimum = minimum;
        this.description = description;
        this.low = low;
        this.medium = medium;
        this.high = high;
    }

    /** The environment variable and {@code .env} key, e.g. {@code QUERY_CACHE_SIZE}. */
    String envName() {
        return name();
    }

    /** The system property, e.g. {@code perfkit.query.cache.size}. */
    String propertyName() {
        return "perfkit." + name().toLowerCase(Locale.ROOT).replace('_', '.');
    }

    String description() {
        return description;
    }

    Object preset(PerformanceMode mode) {
        return switch (mode) {
            case LOW -> low;
            case MEDIUM -> medium;
            case HIGH -> high;
        };
    }

    /** Parses environment text; the caller wraps the message with the variable and its source. */
    Object parse(String raw) {
        String text = raw.strip();
        if (type == Type.BOOLEAN) {
            if (text.equalsIgnoreCase("true") || text.equalsIgnoreCase("false")) {
                return Boolean.valueOf(text);
            }
            throw new IllegalArgumentException(accepted());
        }
        long number;
        try {
            number = Long.parseLong(text);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(accepted());
        }
        if (number < minimum || (isDuration() && number > maximumInUnit())) {
            throw new IllegalArgumentException(accepted());
        }
        return switch (type) {
            case COUNT, MEGABYTES -> number;
            case SECONDS -> Duration.ofSeconds(number);
            case MILLIS -> Duration.ofMillis(number);
            case BOOLEAN -> throw new AssertionError("handled above");
        };
    }

    /** Checks a value given to the builder; throws IllegalArgumentException naming it. */
    Object check(String parameter, Object value) {
        boolean ok =
                switch (type) {
                    case COUNT, MEGABYTES -> (Long) value >= minimum;
                    case SECONDS, MILLIS ->
                        !((Duration) value).isNegative()
                                && ((Duration) value).compareTo(minimumDuration()) >= 0
                                && ((Duration) value).compareTo(Durations.MAX) <= 0;
                    case BOOLEAN -> true;
                };
        if (!ok) {
            throw new IllegalArgumentException(parameter + " must be " + minimumText() + ": " + value);
        }
        return value;
    }

    private boolean isDuration() {
        return type == Type.SECONDS || type == Type.MILLIS;
    }

    /** The longest duration accepted ({@link Durations#MAX}) in this setting's unit. */
    private long maximumInUnit() {
        return type == Type.SECONDS ? Durations.MAX.toSeconds() : Durations.MAX.toMillis();
    }

    private Duration minimumDuration() {
        return type == Type.SECONDS ? Duration.ofSeconds(minimum) : Duration.ofMillis(minimum);
    }

    private String minimumText() {
        if (isDuration()) {
            return "between " + minimum + type.unit + " and " + maximumInUnit() + type.unit + " (365 days)";
        }
        if (minimum == 0) {
            return "zero or positive";
        }
        if (minimum == 1 && (type == Type.COUNT || type == Type.MEGABYTES)) {
            return "positive";
        }
        return "at least " + minimum + type.unit;
    }

    /** What the environment accepts, e.g. "expected a whole number >= 0". */
    String accepted() {
        if (type == Type.BOOLEAN) {
            return "expected true or false";
        }
        if (isDuration()) {
            return "expected " + type.description + " from " + minimum + " to " + maximumInUnit() + " (365 days)";
        }
        return "expected " + type.description + " >= " + minimum;
    }

    /** Formats a value in the environment's unit, e.g. "300 s". */
    String format(Object value) {
        return switch (type) {
            case COUNT, MEGABYTES -> value + type.unit;
            case SECONDS -> ((Duration) value).toSeconds() + type.unit;
            case MILLIS -> ((Duration) value).toMillis() + type.unit;
            case BOOLEAN -> value.toString();
        };
    }
}
