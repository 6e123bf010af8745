package dev.perfkit;

import static java.util.Objects.requireNonNull;

import dev.perfkit.internal.Durations;
import java.time.Duration;
import java.util.List;
import java.util.Locale;

/*
 * The single table of configuration settings. Each constant knows its environment variable, its
 * system property, its value type, how to parse and check a raw string, and its preset in every
 * PerformanceMode. PerfConfig, its builder, the environment loader and docs/configuration.md all
 * follow this table, so a new setting is one new constant (added to ALL) plus an accessor and a
 * builder setter.
 *
 * Typed: a Setting<Integer> can only be given int presets and only ever holds an Integer (the
 * factories take primitives and Durations, so a preset written as 5 where a Long is meant cannot
 * compile into a ClassCastException at run time), and PerfConfig reads it back through
 * type().cast(...), never a blind cast.
 */
final class Setting<T> {
    /** How a setting's raw text is parsed, what type it yields and what range it accepts. */
    enum Kind {
        COUNT("a whole number", ""),
        MEGABYTES("a whole number of megabytes", " MB"),
        SECONDS("a whole number of seconds", " s"),
        MILLIS("a whole number of milliseconds", " ms"),
        PERCENT("a whole number percent", "%"),
        BOOLEAN("true or false", ""),
        TEXT("text", "");

        private final String description;
        private final String unit;

        Kind(String description, String unit) {
            this.description = description;
            this.unit = unit;
        }
    }

    static final Setting<Long> MEMORY_LIMIT_MB =
            megabytes("MEMORY_LIMIT_MB", 1, "Memory limit before perfkit relieves memory pressure", 256, 512, 1024);
    static final Setting<Long> QUERY_CACHE_SIZE =
            longCount("QUERY_CACHE_SIZE", 0, "Maximum number of entries in the query cache", 1_000, 5_000, 20_000);
    static final Setting<Duration> QUERY_CACHE_TTL =
            seconds("QUERY_CACHE_TTL", 1, "Default time-to-live of a query cache entry", 60, 300, 600);
    static final Setting<Duration> SLOW_QUERY_THRESHOLD_MS = millis(
            "SLOW_QUERY_THRESHOLD_MS",
            1,
            "A query at least this slow counts as slow (MongoDB's slowms)",
            100,
            100,
            100);
    static final Setting<Integer> SLOW_QUERY_LOG_SIZE =
            count("SLOW_QUERY_LOG_SIZE", 1, "Slow queries kept by the profiler, newest first", 50, 200, 1_000);
    static final Setting<Integer> N_PLUS_ONE_THRESHOLD = count(
            "N_PLUS_ONE_THRESHOLD", 2, "Runs of one query shape within one scope that make an N+1 warning", 5, 5, 5);
    static final Setting<Integer> DB_MAX_CONCURRENCY =
            count("DB_MAX_CONCURRENCY", 1, "Default limit of concurrent database calls (Retries.bulkhead)", 10, 25, 50);
    static final Setting<Integer> DB_RATE_LIMIT =
            count("DB_RATE_LIMIT", 1, "Default database calls per second (Retries.rateLimiter)", 50, 200, 1_000);
    static final Setting<Integer> BATCH_SIZE =
            count("BATCH_SIZE", 1, "Items per batch: a batch processor flushes at this many", 20, 50, 100);
    static final Setting<Duration> BATCH_MAX_DELAY_MS = millis(
            "BATCH_MAX_DELAY_MS", 1, "Longest time an item waits before its batch is flushed", 2_000, 1_000, 500);
    static final Setting<Integer> BATCH_MAX_PENDING = count(
            "BATCH_MAX_PENDING",
            1,
            "Items a batch processor holds before its overflow policy applies",
            1_000,
            10_000,
            50_000);
    static final Setting<Duration> TRACKED_OBJECT_LIFETIME = seconds(
            "TRACKED_OBJECT_LIFETIME",
            1,
            "Default expected lifetime of a tracked object; alive past it, it is a leak suspect",
            300,
            300,
            300);
    static final Setting<Integer> MAX_TRACKED_OBJECTS = count(
            "MAX_TRACKED_OBJECTS",
            1,
            "Objects tracked for leaks at once; past it, tracking samples",
            10_000,
            50_000,
            100_000);
    static final Setting<Duration> MEMORY_SAMPLE_INTERVAL = seconds(
            "MEMORY_SAMPLE_INTERVAL",
            1,
            "Interval of the background memory sampler behind trends and the limit check",
            60,
            30,
            10);
    static final Setting<Integer> MEMORY_TREND_SAMPLES =
            count("MEMORY_TREND_SAMPLES", 2, "Samples kept for the memory trend", 60, 120, 360);
    static final Setting<Duration> MEMORY_READ_CACHE_MS = millis(
            "MEMORY_READ_CACHE_MS", 0, "How long one RSS reading is reused by getMemoryUsage()", 1_000, 500, 200);
    static final Setting<Duration> GC_MIN_INTERVAL = seconds(
            "GC_MIN_INTERVAL", 0, "Shortest time between two collections perfkit triggers by itself", 300, 120, 60);
    static final Setting<Long> MEMORY_INTENSIVE_LOG_MB = megabytes(
            "MEMORY_INTENSIVE_LOG_MB",
            1,
            "A memoryIntensive call that allocates more than this is logged",
            50,
            100,
            200);
    static final Setting<Boolean> MEMORY_PRESSURE_RELIEF = flag(
            "MEMORY_PRESSURE_RELIEF",
            "Relieve pressure automatically when RSS crosses MEMORY_LIMIT_MB",
            true,
            true,
            true);

    static final Setting<Integer> ASYNC_DATABASE_CONCURRENCY =
            count("ASYNC_DATABASE_CONCURRENCY", 1, "Tasks the \"database\" task pool runs at once", 5, 10, 20);
    static final Setting<Integer> ASYNC_API_CONCURRENCY =
            count("ASYNC_API_CONCURRENCY", 1, "Tasks the \"api\" task pool runs at once", 5, 10, 20);
    static final Setting<Integer> ASYNC_CPU_CONCURRENCY = count(
            "ASYNC_CPU_CONCURRENCY", 0, "Tasks the \"cpu\" task pool runs at once; 0 = one per processor", 0, 0, 0);
    static final Setting<Integer> ASYNC_QUEUE_CAPACITY =
            count("ASYNC_QUEUE_CAPACITY", 0, "Tasks each task pool lets wait for a slot", 100, 1_000, 5_000);
    static final Setting<Duration> ASYNC_WAIT_TIMEOUT_MS = millis(
            "ASYNC_WAIT_TIMEOUT_MS", 1, "Longest a task waits for a slot before it is rejected", 30_000, 10_000, 5_000);
    static final Setting<Boolean> ASYNC_VIRTUAL_THREADS = flag(
            "ASYNC_VIRTUAL_THREADS", "Run pool tasks on virtual threads when the JDK has them (21+)", true, true, true);
    static final Setting<Integer> RATE_LIMIT_MAX_KEYS = count(
            "RATE_LIMIT_MAX_KEYS",
            1,
            "Keys a keyed rate limiter remembers at most (idle keys are forgotten sooner)",
            10_000,
            100_000,
            1_000_000);

    static final Setting<String> REDIS_URL = text(
            "REDIS_URL",
            true,
            "Redis shared by bot instances (redis://[:password@]host:port/db, rediss:// for TLS); empty = memory only",
            "");
    static final Setting<String> CACHE_LEVEL = choice(
            "CACHE_LEVEL", "Levels of the two-level cache when REDIS_URL is set", "both", "memory", "redis", "both");
    static final Setting<Long> CACHE_COMPRESSION_THRESHOLD = longCount(
            "CACHE_COMPRESSION_THRESHOLD",
            0,
            "Values larger than this many bytes are compressed in Redis",
            1_024,
            1_024,
            1_024);
    static final Setting<Duration> REDIS_TIMEOUT_MS = millis(
            "REDIS_TIMEOUT_MS", 1, "Longest a Redis command may take before the cache works without it", 500, 250, 200);
    static final Setting<Duration> REDIS_DEGRADED_TTL = seconds(
            "REDIS_DEGRADED_TTL",
            1,
            "While Redis is unreachable, in-process entries live at most this long (instances cannot tell each other of writes)",
            5,
            5,
            5);

    static final Setting<Boolean> PERFORMANCE_MONITORING_ENABLED = flag(
            "PERFORMANCE_MONITORING_ENABLED",
            "Evaluate alert rules in the background and start the monitor server when PERF_MONITOR_PORT is set",
            true,
            true,
            true);
    static final Setting<Duration> PERFORMANCE_MONITORING_INTERVAL = seconds(
            "PERFORMANCE_MONITORING_INTERVAL", 1, "Interval between two evaluations of the alert rules", 30, 15, 10);
    static final Setting<String> PERF_MONITOR_HOST =
            text("PERF_MONITOR_HOST", false, "Address the monitor server binds to", "127.0.0.1");
    static final Setting<Integer> PERF_MONITOR_PORT = bounded(
            "PERF_MONITOR_PORT",
            -1,
            65_535,
            "Port of the monitor server; -1 = start only on startServer(), 0 = any free port",
            -1,
            -1,
            -1);
    static final Setting<String> PERF_ADMIN_TOKEN =
            text("PERF_ADMIN_TOKEN", true, "Bearer token of the monitor's admin actions; empty = disabled", "");
    static final Setting<Boolean> PROMETHEUS_ENABLED =
            flag("PROMETHEUS_ENABLED", "Serve /metrics/prometheus from the monitor server", true, true, true);
    static final Setting<Integer> MONITOR_MAX_REQUEST_NAMES = count(
            "MONITOR_MAX_REQUEST_NAMES",
            1,
            "Request names the monitor tracks separately; later names count as \"other\"",
            50,
            100,
            200);
    static final Setting<Duration> MONITOR_REQUEST_WINDOW = seconds(
            "MONITOR_REQUEST_WINDOW",
            10,
            "Sliding window of the request report's rate, latencies and errors",
            60,
            60,
            60);
    static final Setting<Duration> ALERT_FOR = seconds(
            "ALERT_FOR",
            0,
            "How long a rule's condition must hold before it fires, and clear before it resolves",
            60,
            60,
            30);
    static final Setting<Integer> ALERT_HYSTERESIS_PERCENT = percent(
            "ALERT_HYSTERESIS_PERCENT",
            "How far past its threshold (relative) a value must return before a firing alert can resolve",
            10,
            10,
            10);
    static final Setting<Integer> ALERT_POOL_UTILIZATION_WARNING = percent(
            "ALERT_POOL_UTILIZATION_WARNING", "pool_utilization warns above this % of the pool in use", 85, 85, 85);
    static final Setting<Integer> ALERT_POOL_UTILIZATION_CRITICAL = percent(
            "ALERT_POOL_UTILIZATION_CRITICAL",
            "pool_utilization is critical above this % of the pool in use",
            95,
            95,
            95);
    static final Setting<Integer> ALERT_CACHE_HIT_RATIO_WARNING =
            percent("ALERT_CACHE_HIT_RATIO_WARNING", "cache_hit_ratio warns below this hit ratio %", 70, 70, 70);
    static final Setting<Integer> ALERT_CACHE_HIT_RATIO_CRITICAL =
            percent("ALERT_CACHE_HIT_RATIO_CRITICAL", "cache_hit_ratio is critical below this hit ratio %", 60, 60, 60);
    static final Setting<Integer> ALERT_CACHE_MIN_LOOKUPS = count(
            "ALERT_CACHE_MIN_LOOKUPS",
            0,
            "Cache lookups needed within one evaluation interval before cache_hit_ratio judges",
            100,
            100,
            100);
    static final Setting<Integer> ALERT_MEMORY_WARNING_PERCENT = bounded(
            "ALERT_MEMORY_WARNING_PERCENT", 1, 1_000, "memory_usage warns above this % of MEMORY_LIMIT_MB", 90, 90, 90);
    static final Setting<Integer> ALERT_MEMORY_CRITICAL_PERCENT = bounded(
            "ALERT_MEMORY_CRITICAL_PERCENT",
            1,
            1_000,
            "memory_usage is critical above this % of MEMORY_LIMIT_MB",
            100,
            100,
            100);
    static final Setting<Long> ALERT_RSS_WARNING_MB =
            megabytes("ALERT_RSS_WARNING_MB", 1, "memory_rss warns above this RSS", 500, 500, 500);
    static final Setting<Long> ALERT_RSS_CRITICAL_MB =
            megabytes("ALERT_RSS_CRITICAL_MB", 1, "memory_rss is critical above this RSS", 1_024, 1_024, 1_024);
    static final Setting<Duration> ALERT_SLOW_QUERY_WARNING_MS = millis(
            "ALERT_SLOW_QUERY_WARNING_MS",
            1,
            "slow_queries warns when a query this slow was seen in the request window",
            2_000,
            2_000,
            2_000);
    static final Setting<Duration> ALERT_SLOW_QUERY_CRITICAL_MS = millis(
            "ALERT_SLOW_QUERY_CRITICAL_MS",
            1,
            "slow_queries is critical when a query this slow was seen in the request window",
            10_000,
            10_000,
            10_000);
    static final Setting<Integer> ALERT_ERROR_RATE_WARNING =
            percent("ALERT_ERROR_RATE_WARNING", "error_rate warns above this % of failed requests", 1, 1, 1);
    static final Setting<Integer> ALERT_ERROR_RATE_CRITICAL =
            percent("ALERT_ERROR_RATE_CRITICAL", "error_rate is critical above this % of failed requests", 5, 5, 5);
    static final Setting<Integer> ALERT_MIN_REQUESTS = count(
            "ALERT_MIN_REQUESTS",
            0,
            "Requests needed in the request window before error_rate and response_time judge",
            20,
            20,
            20);
    static final Setting<Duration> ALERT_RESPONSE_TIME_WARNING_MS =
            millis("ALERT_RESPONSE_TIME_WARNING_MS", 1, "response_time warns above this request p95", 200, 200, 200);
    static final Setting<Duration> ALERT_RESPONSE_TIME_CRITICAL_MS = millis(
            "ALERT_RESPONSE_TIME_CRITICAL_MS", 1, "response_time is critical above this request p95", 500, 500, 500);

    /** Every setting, in the order of docs/configuration.md and of {@code describe()}. */
    static final List<Setting<?>> ALL = List.of(
            MEMORY_LIMIT_MB,
            QUERY_CACHE_SIZE,
            QUERY_CACHE_TTL,
            SLOW_QUERY_THRESHOLD_MS,
            SLOW_QUERY_LOG_SIZE,
            N_PLUS_ONE_THRESHOLD,
            DB_MAX_CONCURRENCY,
            DB_RATE_LIMIT,
            BATCH_SIZE,
            BATCH_MAX_DELAY_MS,
            BATCH_MAX_PENDING,
            TRACKED_OBJECT_LIFETIME,
            MAX_TRACKED_OBJECTS,
            MEMORY_SAMPLE_INTERVAL,
            MEMORY_TREND_SAMPLES,
            MEMORY_READ_CACHE_MS,
            GC_MIN_INTERVAL,
            MEMORY_INTENSIVE_LOG_MB,
            MEMORY_PRESSURE_RELIEF,
            ASYNC_DATABASE_CONCURRENCY,
            ASYNC_API_CONCURRENCY,
            ASYNC_CPU_CONCURRENCY,
            ASYNC_QUEUE_CAPACITY,
            ASYNC_WAIT_TIMEOUT_MS,
            ASYNC_VIRTUAL_THREADS,
            RATE_LIMIT_MAX_KEYS,
            REDIS_URL,
            CACHE_LEVEL,
            CACHE_COMPRESSION_THRESHOLD,
            REDIS_TIMEOUT_MS,
            REDIS_DEGRADED_TTL,
            PERFORMANCE_MONITORING_ENABLED,
            PERFORMANCE_MONITORING_INTERVAL,
            PERF_MONITOR_HOST,
            PERF_MONITOR_PORT,
            PERF_ADMIN_TOKEN,
            PROMETHEUS_ENABLED,
            MONITOR_MAX_REQUEST_NAMES,
            MONITOR_REQUEST_WINDOW,
            ALERT_FOR,
            ALERT_HYSTERESIS_PERCENT,
            ALERT_POOL_UTILIZATION_WARNING,
            ALERT_POOL_UTILIZATION_CRITICAL,
            ALERT_CACHE_HIT_RATIO_WARNING,
            ALERT_CACHE_HIT_RATIO_CRITICAL,
            ALERT_CACHE_MIN_LOOKUPS,
            ALERT_MEMORY_WARNING_PERCENT,
            ALERT_MEMORY_CRITICAL_PERCENT,
            ALERT_RSS_WARNING_MB,
            ALERT_RSS_CRITICAL_MB,
            ALERT_SLOW_QUERY_WARNING_MS,
            ALERT_SLOW_QUERY_CRITICAL_MS,
            ALERT_ERROR_RATE_WARNING,
            ALERT_ERROR_RATE_CRITICAL,
            ALERT_MIN_REQUESTS,
            ALERT_RESPONSE_TIME_WARNING_MS,
            ALERT_RESPONSE_TIME_CRITICAL_MS);

    private final String name;
    private final Kind kind;
    private final Class<T> type;
    private final long minimum;
    private final long maximum;
    private final boolean secret;
    private List<String> choices = List.of(); // for a TEXT setting limited to these (lower case) values
    private final String description;
    private final T low;
    private final T medium;
    private final T high;

    private Setting(
            String name,
            Kind kind,
            Class<T> type,
            long minimum,
            long maximum,
            String description,
            T low,
            T medium,
            T high) {
        this(name, kind, type, minimum, maximum, false, description, low, medium, high);
    }

    private Setting(
            String name,
            Kind kind,
            Class<T> type,
            long minimum,
            long maximum,
            boolean secret,
            String description,
            T low,
            T medium,
            T high) {
        this.name = name;
        this.kind = kind;
        this.type = type;
        this.minimum = minimum;
        this.maximum = maximum;
        this.secret = secret;
        this.description = description;
        this.low = requireNonNull(low);
        this.medium = requireNonNull(medium);
        this.high = requireNonNull(high);
    }

    private static Setting<Integer> count(
            String name, long minimum, String description, int low, int medium, int high) {
        return new Setting<>(
                name, Kind.COUNT, Integer.class, minimum, Integer.MAX_VALUE, description, low, medium, high);
    }

    private static Setting<Integer> bounded(
            String name, long minimum, long maximum, String description, int low, int medium, int high) {
        return new Setting<>(name, Kind.COUNT, Integer.class, minimum, maximum, description, low, medium, high);
    }

    private static Setting<Integer> percent(String name, String description, int low, int medium, int high) {
        return new Setting<>(name, Kind.PERCENT, Integer.class, 0, 100, description, low, medium, high);
    }

    /** A text setting, the same in every mode; a secret one never shows its value in describe(). */
    private static Setting<String> text(String name, boolean secret, String description, String preset) {
        return new Setting<>(name, Kind.TEXT, String.class, 0, 0, secret, description, preset, preset, preset);
    }

    /** A text setting that accepts only some values, case-insensitively; it holds them in lower case. */
    private static Setting<String> choice(String name, String description, String preset, String... choices) {
        Setting<String> setting = text(name, false, description + ": " + String.join(", ", choices), preset);
        setting.choices = List.of(choices);
        return setting;
    }

    private static Setting<Long> longCount(
            String name, long minimum, String description, long low, long medium, long high) {
        return new Setting<>(name, Kind.COUNT, Long.class, minimum, Long.MAX_VALUE, description, low, medium, high);
    }

    private static Setting<Long> megabytes(
            String name, long minimum, String description, long low, long medium, long high) {
        return new Setting<>(name, Kind.MEGABYTES, Long.class, minimum, Long.MAX_VALUE, description, low, medium, high);
    }

    private static Setting<Duration> seconds(
            String name, long minimum, String description, long low, long medium, long high) {
        return new Setting<>(
                name,
                Kind.SECONDS,
                Duration.class,
                minimum,
                Durations.MAX.toSeconds(),
                description,
                Duration.ofSeconds(low),
                Duration.ofSeconds(medium),
                Duration.ofSeconds(high));
    }

    private static Setting<Duration> millis(
            String name, long minimum, String description, long low, long medium, long high) {
        return new Setting<>(
                name,
                Kind.MILLIS,
                Duration.class,
                minimum,
                Durations.MAX.toMillis(),
                description,
                Duration.ofMillis(low),
                Duration.ofMillis(medium),
                Duration.ofMillis(high));
    }

    private static Setting<Boolean> flag(String name, String description, boolean low, boolean medium, boolean high) {
        return new Setting<>(name, Kind.BOOLEAN, Boolean.class, 0, 1, description, low, medium, high);
    }

    /** The constant's name, e.g. {@code QUERY_CACHE_SIZE}. */
    String name() {
        return name;
    }

    /** The type of the setting's values. */
    Class<T> type() {
        return type;
    }

    /** The environment variable and {@code .env} key, e.g. {@code QUERY_CACHE_SIZE}. */
    String envName() {
        return name;
    }

    /** The system property, e.g. {@code perfkit.query.cache.size}. */
    String propertyName() {
        return "perfkit." + name.toLowerCase(Locale.ROOT).replace('_', '.');
    }

    /** Whether the value is a secret that describe() and toString() never show. */
    boolean isSecret() {
        return secret;
    }

    String description() {
        return description;
    }

    T preset(PerformanceMode mode) {
        return switch (mode) {
            case LOW -> low;
            case MEDIUM -> medium;
            case HIGH -> high;
        };
    }

    /** Parses environment text; the caller wraps the message with the variable and its source. */
    T parse(String raw) {
        String text = raw.strip();
        if (kind == Kind.TEXT) {
            if (!choices.isEmpty()) {
                String lower = text.toLowerCase(Locale.ROOT);
                if (!choices.contains(lower)) {
                    throw new IllegalArgumentException(accepted());
                }
                return type.cast(lower);
            }
            return type.cast(text);
        }
        if (kind == Kind.BOOLEAN) {
            if (text.equalsIgnoreCase("true") || text.equalsIgnoreCase("false")) {
                return type.cast(Boolean.valueOf(text));
            }
            throw new IllegalArgumentException(accepted());
        }
        if (kind == Kind.PERCENT && text.endsWith("%")) {
            text = text.substring(0, text.length() - 1).strip();
        }
        long number;
        try {
            number = Long.parseLong(text);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(accepted());
        }
        if (number < minimum || number > maximum) {
            throw new IllegalArgumentException(accepted());
        }
        Object value =
                switch (kind) {
                    case COUNT, MEGABYTES, PERCENT ->
                        type == Integer.class ? (Object) Math.toIntExact(number) : (Object) number;
                    case SECONDS -> Duration.ofSeconds(number);
                    case MILLIS -> Duration.ofMillis(number);
                    case BOOLEAN, TEXT -> throw new AssertionError("handled above");
                };
        return type.cast(value);
    }

    /** Checks a value given to the builder; throws IllegalArgumentException naming it. */
    T check(String parameter, T value) {
        requireNonNull(value, parameter);
        boolean ok =
                switch (kind) {
                    case COUNT, MEGABYTES, PERCENT ->
                        ((Number) value).longValue() >= minimum && ((Number) value).longValue() <= maximum;
                    case SECONDS, MILLIS ->
                        !((Duration) value).isNegative()
                                && ((Duration) value).compareTo(minimumDuration()) >= 0
                                && ((Duration) value).compareTo(Durations.MAX) <= 0;
                    case BOOLEAN -> true;
                    case TEXT -> choices.isEmpty() || choices.contains(value.toString());
                };
        if (!ok) {
            throw new IllegalArgumentException(parameter + " must be " + rangeText() + ": " + value);
        }
        return value;
    }

    private boolean isDuration() {
        return kind == Kind.SECONDS || kind == Kind.MILLIS;
    }

    private Duration minimumDuration() {
        return kind == Kind.SECONDS ? Duration.ofSeconds(minimum) : Duration.ofMillis(minimum);
    }

    private String rangeText() {
        if (kind == Kind.TEXT) {
            return "one of " + String.join(", ", choices);
        }
        if (isDuration()) {
            return "between " + minimum + kind.unit + " and " + maximum + kind.unit + " (365 days)";
        }
        if (maximum != Long.MAX_VALUE && maximum != Integer.MAX_VALUE) {
            return "from " + minimum + kind.unit + " to " + maximum + kind.unit;
        }
        if (minimum == 0) {
            return "zero or positive";
        }
        if (minimum == 1) {
            return "positive";
        }
        return "at least " + minimum + kind.unit;
    }

    /** What the environment accepts, e.g. "expected a whole number from 1 to 2147483647". */
    String accepted() {
        if (kind == Kind.BOOLEAN) {
            return "expected true or false";
        }
        if (kind == Kind.TEXT) {
            return choices.isEmpty() ? "expected text" : "expected one of " + String.join(", ", choices);
        }
        if (isDuration()) {
            return "expected " + kind.description + " from " + minimum + " to " + maximum + " (365 days)";
        }
        if (maximum == Long.MAX_VALUE) {
            return "expected " + kind.description + " >= " + minimum;
        }
        return "expected " + kind.description + " from " + minimum + " to " + maximum;
    }

    /** Formats a value in the environment's unit, e.g. "300 s". */
    String format(Object value) {
        return switch (kind) {
            case COUNT, MEGABYTES, PERCENT -> value + kind.unit;
            case SECONDS -> ((Duration) value).toSeconds() + kind.unit;
            case MILLIS -> ((Duration) value).toMillis() + kind.unit;
            case BOOLEAN -> value.toString();
            case TEXT -> secret ? (value.toString().isEmpty() ? "(not set)" : "(set)") : value.toString();
        };
    }

    @Override
    public String toString() {
        return name;
    }
}
