package dev.perfkit;

import static java.util.Objects.requireNonNull;

import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Metrics;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.time.Duration;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The immutable configuration of every perfkit component.
 *
 * <p>A configuration is a {@link PerformanceMode} preset of every setting, with individual settings
 * overridden. Three ways to build one:
 *
 * <pre>{@code
 * PerfConfig fromEnv = PerfConfig.fromEnvironment();            // PERFORMANCE_MODE, QUERY_CACHE_SIZE, ...
 * PerfConfig fromArgs = PerfConfig.fromArgs(args);              // --performance=high on top of the environment
 * PerfConfig explicit = PerfConfig.builder()                    // presets plus explicit values only
 *         .mode(PerformanceMode.HIGH)
 *         .queryCacheSize(2_000)
 *         .queryCacheTtl(Duration.ofMinutes(10))
 *         .build();
 * }</pre>
 *
 * <p>Precedence, highest first: builder values, system properties ({@code -Dperfkit.query.cache.size}),
 * environment variables ({@code QUERY_CACHE_SIZE}), the {@code ./.env} file, the mode's preset.
 * Every setting, its variable and its presets are listed in {@code docs/configuration.md}.
 *
 * <p>Instances are immutable and thread-safe.
 */
public final class PerfConfig {
    private static final Logger log = LoggerFactory.getLogger(PerfConfig.class);

    /** The environment variable that selects the mode. */
    static final String MODE_VARIABLE = "PERFORMANCE_MODE";

    /** The system property that selects the mode. */
    static final String MODE_PROPERTY = "perfkit.performance.mode";

    private final PerformanceMode mode;
    private final String modeSource;
    private final Map<Setting<?>, Object> values; // each value of its setting's type (see get)
    private final Map<Setting<?>, String> sources;
    private final MeterRegistry meterRegistry;
    private final Map<String, ProfileSpec> profiles; // by lower-case name; fields null = the default

    /** A profile as configured: each field may be missing (null), and then defaults apply. */
    private record ProfileSpec(Duration ttl, dev.perfkit.cache.CacheLevel level, Boolean compress, Boolean warm) {
        ProfileSpec merge(ProfileSpec later) {
            return new ProfileSpec(
                    later.ttl != null ? later.ttl : ttl,
                    later.level != null ? later.level : level,
                    later.compress != null ? later.compress : compress,
                    later.warm != null ? later.warm : warm);
        }
    }

    private PerfConfig(Builder builder) {
        this.mode = builder.mode;
        this.modeSource = builder.modeSource;
        this.values = new LinkedHashMap<>();
        this.sources = new LinkedHashMap<>();
        for (Setting<?> setting : Setting.ALL) {
            Object explicit = builder.values.get(setting);
            values.put(setting, explicit != null ? explicit : setting.preset(mode));
            sources.put(setting, explicit != null ? builder.sources.get(setting) : "preset " + mode);
        }
        this.meterRegistry = builder.meterRegistry != null ? builder.meterRegistry : Metrics.globalRegistry;
        this.profiles = Collections.unmodifiableMap(new LinkedHashMap<>(builder.profiles));
    }

    /**
     * Returns a builder that starts from the {@link PerformanceMode#MEDIUM} preset and ignores the
     * environment; values set on it win over everything.
     *
     * @return a new builder
     */
    public static Builder builder() {
        return new Builder();
    }

    /**
     * Returns the preset of a mode with nothing overridden.
     *
     * @param mode the performance mode
     * @return that mode's preset
     */
    public static PerfConfig preset(PerformanceMode mode) {
        return builder().mode(mode).build();
    }

    /**
     * Reads the configuration from system properties, environment variables and the {@code ./.env}
     * file, in that order of precedence, over the preset of the selected mode.
     *
     * @return the configuration
     * @throws PerfConfigException naming the variable, value, source and accepted values when a
     *     value is invalid, or when {@code .env} exists but cannot be read
     */
    public static PerfConfig fromEnvironment() {
        Map<String, String> dotEnv = readDotEnv(Paths.get(".env"));
        PerfConfig config = load(System::getProperty, System::getenv, dotEnv);
        Map<String, String> properties = new LinkedHashMap<>();
        System.getProperties().forEach((key, value) -> properties.put(String.valueOf(key), String.valueOf(value)));
        return withProfiles(config, properties, System.getenv(), dotEnv);
    }

    private static final java.util.regex.Pattern PROFILE_VARIABLE =
            java.util.regex.Pattern.compile("PERF_CACHE_PROFILE_([A-Z0-9_]+?)_(TTL|LEVEL|COMPRESS|WARM)");
    private static final java.util.regex.Pattern PROFILE_PROPERTY =
            java.util.regex.Pattern.compile("perfkit\\.cache\\.profile\\.([a-z0-9_]+)\\.(ttl|level|compress|warm)");

    /*
     * Adds the cache profiles named in the sources: PERF_CACHE_PROFILE_<NAME>_TTL (seconds),
     * _LEVEL (memory, redis, both), _COMPRESS and _WARM (true, false); the system property
     * perfkit.cache.profile.<name>.ttl and so on. Precedence as for every setting.
     */
    static PerfConfig withProfiles(
            PerfConfig config,
            Map<String, String> properties,
            Map<String, String> environment,
            Map<String, String> dotEnv) {
        Map<String, ProfileSpec> found = new LinkedHashMap<>();
        readProfiles(dotEnv, PROFILE_VARIABLE, ".env file", found);
        readProfiles(environment, PROFILE_VARIABLE, "environment variable", found);
        readProfiles(properties, PROFILE_PROPERTY, "system property", found);
        if (found.isEmpty()) {
            return config;
        }
        Builder builder = config.toBuilder();
        found.forEach((name, spec) -> builder.profiles.merge(name, spec, ProfileSpec::merge));
        return builder.build();
    }

    private static void readProfiles(
            Map<String, String> source,
            java.util.regex.Pattern pattern,
            String sourceName,
            Map<String, ProfileSpec> found) {
        source.forEach((key, raw) -> {
            java.util.regex.Matcher matcher = pattern.matcher(key);
            if (!matcher.matches()) {
                return;
            }
            String name = matcher.group(1).toLowerCase(java.util.Locale.ROOT);
            String field = matcher.group(2).toUpperCase(java.util.Locale.ROOT);
            String value = raw.strip();
            ProfileSpec spec;
            try {
                spec = switch (field) {
                    case "TTL" -> new ProfileSpec(Setting.QUERY_CACHE_TTL.parse(value), null, null, null);
                    case "LEVEL" -> new ProfileSpec(null, dev.perfkit.cache.CacheLevel.parse(value), null, null);
                    case "COMPRESS" -> new ProfileSpec(null, null, parseFlag(value), null);
                    default -> new ProfileSpec(null, null, null, parseFlag(value));
                };
            } catch (IllegalArgumentException e) {
                throw new PerfConfigException(
                        "Invalid " + key + " '" + raw + "' (from " + sourceName + "): " + e.getMessage());
            }
            found.merge(name, spec, ProfileSpec::merge);
        });
    }

    private static boolean parseFlag(String value) {
        if (value.equalsIgnoreCase("true") || value.equalsIgnoreCase("false")) {
            return Boolean.parseBoolean(value);
        }
        throw new IllegalArgumentException("expected true or false");
    }

    /**
     * Returns the cache profile of a kind of data (seed 003 {@code get_cache_config}): what was
     * configured for it, with every unset field from the defaults ({@code QUERY_CACHE_TTL}, {@code
     * CACHE_LEVEL}, compressed, not warmed). A name nothing configures gets the defaults.
     *
     * @param name the profile's name, e.g. {@code hotel_settings} (case-insensitive)
     * @return the profile
     * @throws IllegalArgumentException if the name is not 1 to 64 letters, digits or _
     */
    public dev.perfkit.cache.CacheProfile cacheProfile(String name) {
        requireNonNull(name, "name");
        dev.perfkit.cache.CacheProfile defaults =
                new dev.perfkit.cache.CacheProfile(name, queryCacheTtl(), cacheLevel(), true, false);
        ProfileSpec spec = profiles.get(defaults.name());
        if (spec == null) {
            return defaults;
        }
        return new dev.perfkit.cache.CacheProfile(
                defaults.name(),
                spec.ttl != null ? spec.ttl : defaults.ttl(),
                spec.level != null ? spec.level : defaults.level(),
                spec.compress != null ? spec.compress : defaults.compress(),
                spec.warm != null ? spec.warm : defaults.warm());
    }

    /** Returns every configured cache profile, by name. */
    public Map<String, dev.perfkit.cache.CacheProfile> cacheProfiles() {
        Map<String, dev.perfkit.cache.CacheProfile> all = new LinkedHashMap<>();
        profiles.keySet().forEach(name -> all.put(name, cacheProfile(name)));
        return Collections.unmodifiableMap(all);
    }

    /**
     * Reads the configuration like {@link #fromEnvironment()}, then applies command-line options:
     * {@code --performance=high} or {@code --performance high}. Other arguments are ignored, so a
     * host can pass its whole {@code main} arguments.
     *
     * @param args the command-line arguments
     * @return the configuration
     * @throws PerfConfigException when {@code --performance} has no value or an unknown one, or the
     *     environment is invalid
     */
    public static PerfConfig fromArgs(String... args) {
        return applyArgs(fromEnvironment(), args);
    }

    static PerfConfig applyArgs(PerfConfig base, String... args) {
        requireNonNull(args, "args");
        String value = null;
        for (int i = 0; i < args.length; i++) {
            String arg = requireNonNull(args[i], "args[" + i + "]");
            if (arg.equals("--performance")) {
                if (i + 1 >= args.length || args[i + 1].startsWith("--")) {
                    throw new PerfConfigException(
                            "Missing value for --performance: accepted values are " + PerformanceMode.acceptedValues());
                }
                value = args[++i];
            } else if (arg.startsWith("--performance=")) {
                value = arg.substring("--performance=".length());
            }
        }
        if (value == null) {
            return base;
        }
        return base.toBuilder()
                .mode(parseMode(value, "--performance", "command line"), "command line --performance")
                .build();
    }

    /*
     * The loader behind fromEnvironment, with its sources passed in so tests need not touch the
     * real environment. A missing key yields null from each lookup.
     */
    static PerfConfig load(
            Function<String, String> properties, Function<String, String> environment, Map<String, String> dotEnv) {
        Builder builder = new Builder();
        Lookup mode = lookup(MODE_PROPERTY, MODE_VARIABLE, properties, environment, dotEnv);
        if (mode != null) {
            builder.mode(parseMode(mode.value, mode.name, mode.source), mode.source + " " + mode.name);
        }
        for (Setting<?> setting : Setting.ALL) {
            Lookup found = lookup(setting.propertyName(), setting.envName(), properties, environment, dotEnv);
            if (found != null) {
                parseInto(builder, setting, found);
            }
        }
        return builder.build();
    }

    private static <T> void parseInto(Builder builder, Setting<T> setting, Lookup found) {
        T value;
        try {
            value = setting.parse(found.value);
        } catch (IllegalArgumentException e) {
            throw new PerfConfigException(
                    "Invalid " + found.name + " '" + found.value + "' (from " + found.source + "): " + e.getMessage());
        }
        builder.set(setting, value, found.source + " " + found.name);
    }

    /** A setting's value, of its type: values only ever holds what the setting's type allows. */
    private <T> T get(Setting<T> setting) {
        return setting.type().cast(values.get(setting));
    }

    private static PerformanceMode parseMode(String value, String name, String source) {
        try {
            return PerformanceMode.parse(value);
        } catch (IllegalArgumentException e) {
            throw new PerfConfigException("Invalid " + name + " '" + value + "' (from " + source
                    + "): accepted values are " + PerformanceMode.acceptedValues());
        }
    }

    private record Lookup(String name, String value, String source) {}

    private static Lookup lookup(
            String property,
            String variable,
            Function<String, String> properties,
            Function<String, String> environment,
            Map<String, String> dotEnv) {
        String value = properties.apply(property);
        if (value != null) {
            return new Lookup(property, value, "system property");
        }
        value = environment.apply(variable);
        if (value != null) {
            return new Lookup(variable, value, "environment variable");
        }
        value = dotEnv.get(variable);
        if (value != null) {
            return new Lookup(variable, value, ".env file");
        }
        return null;
    }

    /*
     * A deliberately small .env reader: KEY=VALUE lines, blank lines and # comments, an optional
     * "export " prefix, and one pair of matching quotes around the value. Lines it cannot read are
     * logged and skipped, since the file usually belongs to the host bot too.
     */
    static Map<String, String> readDotEnv(Path file) {
        if (!Files.isRegularFile(file)) {
            return Map.of();
        }
        List<String> lines;
        try {
            lines = Files.readAllLines(file, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new PerfConfigException("Cannot read " + file.toAbsolutePath() + ": " + e.getMessage(), e);
        }
        return parseDotEnv(lines, file.toString());
    }

    static Map<String, String> parseDotEnv(List<String> lines, String fileName) {
        Map<String, String> result = new LinkedHashMap<>();
        for (int i = 0; i < lines.size(); i++) {
            String line = lines.get(i).strip();
            if (line.isEmpty() || line.startsWith("#")) {
                continue;
            }
            if (line.startsWith("export ")) {
                line = line.substring("export ".length()).strip();
            }
            int eq = line.indexOf('=');
            if (eq <= 0) {
                log.warn("Ignoring line {} of {}: expected KEY=VALUE", i + 1, fileName);
                continue;
            }
            String key = line.substring(0, eq).strip();
            String value = line.substring(eq + 1).strip();
            if (value.length() >= 2
                    && (value.charAt(0) == '"' || value.charAt(0) == '\'')
                    && value.charAt(value.length() - 1) == value.charAt(0)) {
                value = value.substring(1, value.length() - 1);
            } else {
                int comment = value.indexOf(" #");
                if (comment >= 0) {
                    value = value.substring(0, comment).strip();
                }
            }
            result.put(key, value);
        }
        return Collections.unmodifiableMap(result);
    }

    /**
     * Returns a builder holding this configuration's mode and every value that was set explicitly
     * (by a builder or the environment), so that changing the mode on it re-applies the presets of
     * the new mode to the rest.
     *
     * @return a new builder
     */
    public Builder toBuilder() {
        Builder builder = new Builder();
        builder.mode = mode;
        builder.modeSource = modeSource;
        for (Setting<?> setting : Setting.ALL) {
            if (!sources.get(setting).startsWith("preset")) {
                copyInto(builder, setting);
            }
        }
        builder.meterRegistry = meterRegistry;
        builder.profiles.putAll(profiles);
        return builder;
    }

    private <T> void copyInto(Builder builder, Setting<T> setting) {
        builder.set(setting, get(setting), sources.get(setting));
    }

    /** The performance mode ({@code PERFORMANCE_MODE}) whose preset fills unset values. */
    public PerformanceMode mode() {
        return mode;
    }

    /** The memory limit in MB ({@code MEMORY_LIMIT_MB}) above which perfkit relieves memory pressure. */
    public long memoryLimitMb() {
        return get(Setting.MEMORY_LIMIT_MB);
    }

    /** The maximum number of entries of the query cache ({@code QUERY_CACHE_SIZE}). */
    public long queryCacheSize() {
        return get(Setting.QUERY_CACHE_SIZE);
    }

    /** The default time-to-live of a query cache entry ({@code QUERY_CACHE_TTL}, seconds in the environment). */
    public Duration queryCacheTtl() {
        return get(Setting.QUERY_CACHE_TTL);
    }

    /** The duration from which a query counts as slow ({@code SLOW_QUERY_THRESHOLD_MS}). */
    public Duration slowQueryThreshold() {
        return get(Setting.SLOW_QUERY_THRESHOLD_MS);
    }

    /** The number of slow queries the profiler keeps ({@code SLOW_QUERY_LOG_SIZE}). */
    public int slowQueryLogSize() {
        return get(Setting.SLOW_QUERY_LOG_SIZE);
    }

    /** The runs of one shape within one scope that make an N+1 warning ({@code N_PLUS_ONE_THRESHOLD}). */
    public int nPlusOneThreshold() {
        return get(Setting.N_PLUS_ONE_THRESHOLD);
    }

    /** The default limit of concurrent database calls ({@code DB_MAX_CONCURRENCY}). */
    public int dbMaxConcurrency() {
        return get(Setting.DB_MAX_CONCURRENCY);
    }

    /** The default number of database calls per second ({@code DB_RATE_LIMIT}). */
    public int dbRateLimit() {
        return get(Setting.DB_RATE_LIMIT);
    }

    /** The default number of items per batch of a batch processor ({@code BATCH_SIZE}). */
    public int batchSize() {
        return get(Setting.BATCH_SIZE);
    }

    /** The default longest wait of an item before its batch is flushed ({@code BATCH_MAX_DELAY_MS}). */
    public Duration batchMaxDelay() {
        return get(Setting.BATCH_MAX_DELAY_MS);
    }

    /** The default number of pending items after which a batch processor's overflow policy applies ({@code BATCH_MAX_PENDING}). */
    public int batchMaxPending() {
        return get(Setting.BATCH_MAX_PENDING);
    }

    /** The default expected lifetime of a tracked object ({@code TRACKED_OBJECT_LIFETIME}, seconds). */
    public Duration trackedObjectLifetime() {
        return get(Setting.TRACKED_OBJECT_LIFETIME);
    }

    /** The most objects tracked for leaks at once ({@code MAX_TRACKED_OBJECTS}); past it, tracking samples. */
    public int maxTrackedObjects() {
        return get(Setting.MAX_TRACKED_OBJECTS);
    }

    /** The interval of the background memory sampler ({@code MEMORY_SAMPLE_INTERVAL}, seconds). */
    public Duration memorySampleInterval() {
        return get(Setting.MEMORY_SAMPLE_INTERVAL);
    }

    /** The number of samples kept for the memory trend ({@code MEMORY_TREND_SAMPLES}). */
    public int memoryTrendSamples() {
        return get(Setting.MEMORY_TREND_SAMPLES);
    }

    /** How long one RSS reading is reused by {@code getMemoryUsage()} ({@code MEMORY_READ_CACHE_MS}). */
    public Duration memoryReadCache() {
        return get(Setting.MEMORY_READ_CACHE_MS);
    }

    /** The shortest time between two collections perfkit triggers by itself ({@code GC_MIN_INTERVAL}, seconds). */
    public Duration gcMinInterval() {
        return get(Setting.GC_MIN_INTERVAL);
    }

    /** The allocation above which a {@code memoryIntensive} call is logged ({@code MEMORY_INTENSIVE_LOG_MB}). */
    public long memoryIntensiveLogMb() {
        return get(Setting.MEMORY_INTENSIVE_LOG_MB);
    }

    /** Whether crossing {@code MEMORY_LIMIT_MB} relieves pressure automatically ({@code MEMORY_PRESSURE_RELIEF}). */
    public boolean memoryPressureRelief() {
        return get(Setting.MEMORY_PRESSURE_RELIEF);
    }

    /** Tasks the {@code "database"} task pool runs at once ({@code ASYNC_DATABASE_CONCURRENCY}). */
    public int asyncDatabaseConcurrency() {
        return get(Setting.ASYNC_DATABASE_CONCURRENCY);
    }

    /** Tasks the {@code "api"} task pool runs at once ({@code ASYNC_API_CONCURRENCY}). */
    public int asyncApiConcurrency() {
        return get(Setting.ASYNC_API_CONCURRENCY);
    }

    /**
     * Tasks the {@code "cpu"} task pool runs at once ({@code ASYNC_CPU_CONCURRENCY}); the setting's
     * 0 means one per available processor, which this returns.
     */
    public int asyncCpuConcurrency() {
        int configured = get(Setting.ASYNC_CPU_CONCURRENCY);
        return configured > 0 ? configured : Runtime.getRuntime().availableProcessors();
    }

    /** Tasks each task pool lets wait for a slot ({@code ASYNC_QUEUE_CAPACITY}). */
    public int asyncQueueCapacity() {
        return get(Setting.ASYNC_QUEUE_CAPACITY);
    }

    /** Longest a task waits for a slot before it is rejected ({@code ASYNC_WAIT_TIMEOUT_MS}). */
    public Duration asyncWaitTimeout() {
        return get(Setting.ASYNC_WAIT_TIMEOUT_MS);
    }

    /** Whether task pools use virtual threads when the JDK has them ({@code ASYNC_VIRTUAL_THREADS}). */
    public boolean asyncVirtualThreads() {
        return get(Setting.ASYNC_VIRTUAL_THREADS);
    }

    /** Keys a keyed rate limiter remembers at most ({@code RATE_LIMIT_MAX_KEYS}). */
    public int rateLimitMaxKeys() {
        return get(Setting.RATE_LIMIT_MAX_KEYS);
    }

    /** The Redis shared by bot instances ({@code REDIS_URL}); empty when the cache stays in memory. */
    public String redisUrl() {
        return get(Setting.REDIS_URL);
    }

    /** The levels of the two-level cache when {@code REDIS_URL} is set ({@code CACHE_LEVEL}). */
    public dev.perfkit.cache.CacheLevel cacheLevel() {
        return dev.perfkit.cache.CacheLevel.parse(get(Setting.CACHE_LEVEL));
    }

    /** Values larger than this many bytes are compressed in Redis ({@code CACHE_COMPRESSION_THRESHOLD}). */
    public long cacheCompressionThreshold() {
        return get(Setting.CACHE_COMPRESSION_THRESHOLD);
    }

    /** Longest a Redis command may take ({@code REDIS_TIMEOUT_MS}). */
    public Duration redisTimeout() {
        return get(Setting.REDIS_TIMEOUT_MS);
    }

    /** Longest an in-process entry lives while Redis is unreachable ({@code REDIS_DEGRADED_TTL}). */
    public Duration redisDegradedTtl() {
        return get(Setting.REDIS_DEGRADED_TTL);
    }

    /** Whether the monitor evaluates alert rules in the background and starts its server when {@code PERF_MONITOR_PORT} is set ({@code PERFORMANCE_MONITORING_ENABLED}). */
    public boolean performanceMonitoringEnabled() {
        return get(Setting.PERFORMANCE_MONITORING_ENABLED);
    }

    /** Interval between two evaluations of the alert rules ({@code PERFORMANCE_MONITORING_INTERVAL}). */
    public Duration performanceMonitoringInterval() {
        return get(Setting.PERFORMANCE_MONITORING_INTERVAL);
    }

    /** Address the monitor server binds to ({@code PERF_MONITOR_HOST}). */
    public String monitorHost() {
        return get(Setting.PERF_MONITOR_HOST);
    }

    /** Port of the monitor server: -1 = start only on request (then any free port), 0 = any free port ({@code PERF_MONITOR_PORT}). */
    public int monitorPort() {
        return get(Setting.PERF_MONITOR_PORT);
    }

    /** Bearer token of the monitor's admin actions; empty when admin actions are disabled ({@code PERF_ADMIN_TOKEN}). */
    public String adminToken() {
        return get(Setting.PERF_ADMIN_TOKEN);
    }

    /** Whether the monitor server serves {@code /metrics/prometheus} ({@code PROMETHEUS_ENABLED}). */
    public boolean prometheusEnabled() {
        return get(Setting.PROMETHEUS_ENABLED);
    }

    /** Request names the monitor tracks separately before it counts new ones as {@code other} ({@code MONITOR_MAX_REQUEST_NAMES}). */
    public int monitorMaxRequestNames() {
        return get(Setting.MONITOR_MAX_REQUEST_NAMES);
    }

    /** Sliding window of the request report ({@code MONITOR_REQUEST_WINDOW}). */
    public Duration monitorRequestWindow() {
        return get(Setting.MONITOR_REQUEST_WINDOW);
    }

    /** How long a rule's condition must hold before it fires, and be clear before it resolves ({@code ALERT_FOR}). */
    public Duration alertFor() {
        return get(Setting.ALERT_FOR);
    }

    /** How far past its threshold, in percent of it, a value must return before a firing alert can resolve ({@code ALERT_HYSTERESIS_PERCENT}). */
    public int alertHysteresisPercent() {
        return get(Setting.ALERT_HYSTERESIS_PERCENT);
    }

    /** Pool utilization, in percent, above which {@code pool_utilization} warns ({@code ALERT_POOL_UTILIZATION_WARNING}). */
    public int alertPoolUtilizationWarning() {
        return get(Setting.ALERT_POOL_UTILIZATION_WARNING);
    }

    /** Pool utilization, in percent, above which {@code pool_utilization} is critical ({@code ALERT_POOL_UTILIZATION_CRITICAL}). */
    public int alertPoolUtilizationCritical() {
        return get(Setting.ALERT_POOL_UTILIZATION_CRITICAL);
    }

    /** Cache hit ratio, in percent, below which {@code cache_hit_ratio} warns ({@code ALERT_CACHE_HIT_RATIO_WARNING}). */
    public int alertCacheHitRatioWarning() {
        return get(Setting.ALERT_CACHE_HIT_RATIO_WARNING);
    }

    /** Cache hit ratio, in percent, below which {@code cache_hit_ratio} is critical ({@code ALERT_CACHE_HIT_RATIO_CRITICAL}). */
    public int alertCacheHitRatioCritical() {
        return get(Setting.ALERT_CACHE_HIT_RATIO_CRITICAL);
    }

    /** Cache lookups within one evaluation interval needed before {@code cache_hit_ratio} judges ({@code ALERT_CACHE_MIN_LOOKUPS}). */
    public int alertCacheMinLookups() {
        return get(Setting.ALERT_CACHE_MIN_LOOKUPS);
    }

    /** RSS, in percent of {@code MEMORY_LIMIT_MB}, above which {@code memory_usage} warns ({@code ALERT_MEMORY_WARNING_PERCENT}). */
    public int alertMemoryWarningPercent() {
        return get(Setting.ALERT_MEMORY_WARNING_PERCENT);
    }

    /** RSS, in percent of {@code MEMORY_LIMIT_MB}, above which {@code memory_usage} is critical ({@code ALERT_MEMORY_CRITICAL_PERCENT}). */
    public int alertMemoryCriticalPercent() {
        return get(Setting.ALERT_MEMORY_CRITICAL_PERCENT);
    }

    /** RSS in MB above which {@code memory_rss} warns ({@code ALERT_RSS_WARNING_MB}). */
    public long alertRssWarningMb() {
        return get(Setting.ALERT_RSS_WARNING_MB);
    }

    /** RSS in MB above which {@code memory_rss} is critical ({@code ALERT_RSS_CRITICAL_MB}). */
    public long alertRssCriticalMb() {
        return get(Setting.ALERT_RSS_CRITICAL_MB);
    }

    /** Query duration above which {@code slow_queries} warns ({@code ALERT_SLOW_QUERY_WARNING_MS}). */
    public Duration alertSlowQueryWarning() {
        return get(Setting.ALERT_SLOW_QUERY_WARNING_MS);
    }

    /** Query duration above which {@code slow_queries} is critical ({@code ALERT_SLOW_QUERY_CRITICAL_MS}). */
    public Duration alertSlowQueryCritical() {
        return get(Setting.ALERT_SLOW_QUERY_CRITICAL_MS);
    }

    /** Failed requests, in percent, above which {@code error_rate} warns ({@code ALERT_ERROR_RATE_WARNING}). */
    public int alertErrorRateWarning() {
        return get(Setting.ALERT_ERROR_RATE_WARNING);
    }

    /** Failed requests, in percent, above which {@code error_rate} is critical ({@code ALERT_ERROR_RATE_CRITICAL}). */
    public int alertErrorRateCritical() {
        return get(Setting.ALERT_ERROR_RATE_CRITICAL);
    }

    /** Requests in the request window needed before {@code error_rate} and {@code response_time} judge ({@code ALERT_MIN_REQUESTS}). */
    public int alertMinRequests() {
        return get(Setting.ALERT_MIN_REQUESTS);
    }

    /** Request p95 above which {@code response_time} warns ({@code ALERT_RESPONSE_TIME_WARNING_MS}). */
    public Duration alertResponseTimeWarning() {
        return get(Setting.ALERT_RESPONSE_TIME_WARNING_MS);
    }

    /** Request p95 above which {@code response_time} is critical ({@code ALERT_RESPONSE_TIME_CRITICAL_MS}). */
    public Duration alertResponseTimeCritical() {
        return get(Setting.ALERT_RESPONSE_TIME_CRITICAL_MS);
    }

    /** The registry every component publishes its metrics to; by default {@link Metrics#globalRegistry}. */
    public MeterRegistry meterRegistry() {
        return meterRegistry;
    }

    /**
     * Describes every setting, its value and where the value came from, one per line, e.g. {@code
     * QUERY_CACHE_SIZE = 20000 (environment variable QUERY_CACHE_SIZE)}. For logs and the {@code
     * check} tool.
     *
     * @return a multi-line description
     */
    public String describe() {
        StringBuilder text = new StringBuilder();
        text.append(MODE_VARIABLE)
                .append(" = ")
                .append(mode)
                .append(" (")
                .append(modeSource)
                .append(')');
        for (Setting<?> setting : Setting.ALL) {
            text.append('\n')
                    .append(setting.envName())
                    .append(" = ")
                    .append(setting.format(values.get(setting)))
                    .append(" (")
                    .append(sources.get(setting))
                    .append(')');
        }
        return text.toString();
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof PerfConfig other
                && mode == other.mode
                && values.equals(other.values)
                && profiles.equals(other.profiles)
                && meterRegistry == other.meterRegistry;
    }

    @Override
    public int hashCode() {
        return mode.hashCode() * 31 + values.hashCode();
    }

    @Override
    public String toString() {
        StringBuilder text = new StringBuilder("PerfConfig{mode=").append(mode);
        values.forEach((setting, value) ->
                text.append(", ").append(setting.envName()).append('=').append(setting.format(value)));
        return text.append('}').toString();
    }

    /**
     * Builds a {@link PerfConfig}. Each setter checks its value at once; unset values come from the
     * preset of the mode chosen at {@link #build()}. Not thread-safe.
     */
    public static final class Builder {
        private PerformanceMode mode = PerformanceMode.MEDIUM;
        private String modeSource = "default";
        private final Map<Setting<?>, Object> values = new LinkedHashMap<>();
        private final Map<Setting<?>, String> sources = new LinkedHashMap<>();
        private MeterRegistry meterRegistry;
        private final Map<String, ProfileSpec> profiles = new LinkedHashMap<>();

        private Builder() {}

        /**
         * Sets a cache profile (over any configured under its name).
         *
         * @param profile the profile
         * @return this builder
         */
        public Builder cacheProfile(dev.perfkit.cache.CacheProfile profile) {
            requireNonNull(profile, "profile");
            profiles.put(
                    profile.name(),
                    new ProfileSpec(profile.ttl(), profile.level(), profile.compress(), profile.warm()));
            return this;
        }

        private <T> Builder set(Setting<T> setting, T value, String source) {
            values.put(setting, setting.type().cast(value));
            sources.put(setting, source);
            return this;
        }

        private <T> Builder set(Setting<T> setting, String parameter, T value) {
            return this.<T>set(setting, setting.check(parameter, value), "builder");
        }

        private Builder setText(Setting<String> setting, String parameter, String value) {
            values.put(setting, setting.check(parameter, value));
            sources.put(setting, "builder");
            return this;
        }

        private Builder mode(PerformanceMode mode, String source) {
            this.mode = mode;
            this.modeSource = source;
            return this;
        }

        /**
         * Sets the performance mode, whose preset fills every value not set explicitly.
         *
         * @param mode the mode
         * @return this builder
         * @throws NullPointerException if {@code mode} is null
         */
        public Builder mode(PerformanceMode mode) {
            return mode(requireNonNull(mode, "mode"), "builder");
        }

        /**
         * Sets the memory limit in MB.
         *
         * @param memoryLimitMb a positive number of megabytes
         * @return this builder
         * @throws IllegalArgumentException if not positive
         */
        public Builder memoryLimitMb(long memoryLimitMb) {
            return set(Setting.MEMORY_LIMIT_MB, "memoryLimitMb", memoryLimitMb);
        }

        /**
         * Sets the maximum number of query cache entries.
         *
         * @param queryCacheSize zero (caches nothing) or more
         * @return this builder
         * @throws IllegalArgumentException if negative
         */
        public Builder queryCacheSize(long queryCacheSize) {
            return set(Setting.QUERY_CACHE_SIZE, "queryCacheSize", queryCacheSize);
        }

        /**
         * Sets the default time-to-live of query cache entries.
         *
         * @param queryCacheTtl at least one second
         * @return this builder
         * @throws IllegalArgumentException if shorter than a second or negative
         */
        public Builder queryCacheTtl(Duration queryCacheTtl) {
            return set(Setting.QUERY_CACHE_TTL, "queryCacheTtl", queryCacheTtl);
        }

        /**
         * Sets the slow-query threshold.
         *
         * @param slowQueryThreshold at least one millisecond
         * @return this builder
         * @throws IllegalArgumentException if shorter than a millisecond
         */
        public Builder slowQueryThreshold(Duration slowQueryThreshold) {
            return set(Setting.SLOW_QUERY_THRESHOLD_MS, "slowQueryThreshold", slowQueryThreshold);
        }

        /**
         * Sets the number of slow queries the profiler keeps.
         *
         * @param slowQueryLogSize a positive number
         * @return this builder
         * @throws IllegalArgumentException if not positive
         */
        public Builder slowQueryLogSize(int slowQueryLogSize) {
            return set(Setting.SLOW_QUERY_LOG_SIZE, "slowQueryLogSize", slowQueryLogSize);
        }

        /**
         * Sets the runs of one shape within one scope that make an N+1 warning.
         *
         * @param nPlusOneThreshold at least 2
         * @return this builder
         * @throws IllegalArgumentException if less than 2
         */
        public Builder nPlusOneThreshold(int nPlusOneThreshold) {
            return set(Setting.N_PLUS_ONE_THRESHOLD, "nPlusOneThreshold", nPlusOneThreshold);
        }

        /**
         * Sets the default limit of concurrent database calls.
         *
         * @param dbMaxConcurrency a positive number
         * @return this builder
         * @throws IllegalArgumentException if not positive
         */
        public Builder dbMaxConcurrency(int dbMaxConcurrency) {
            return set(Setting.DB_MAX_CONCURRENCY, "dbMaxConcurrency", dbMaxConcurrency);
        }

        /**
         * Sets the default number of database calls per second.
         *
         * @param dbRateLimit a positive number
         * @return this builder
         * @throws IllegalArgumentException if not positive
         */
        public Builder dbRateLimit(int dbRateLimit) {
            return set(Setting.DB_RATE_LIMIT, "dbRateLimit", dbRateLimit);
        }

        /**
         * Sets the default batch size of batch processors.
         *
         * @param batchSize a positive number of items
         * @return this builder
         * @throws IllegalArgumentException if not positive
         */
        public Builder batchSize(int batchSize) {
            return set(Setting.BATCH_SIZE, "batchSize", batchSize);
        }

        /**
         * Sets the default longest wait before a batch is flushed.
         *
         * @param batchMaxDelay at least one millisecond
         * @return this builder
         * @throws IllegalArgumentException if shorter than a millisecond
         */
        public Builder batchMaxDelay(Duration batchMaxDelay) {
            return set(Setting.BATCH_MAX_DELAY_MS, "batchMaxDelay", batchMaxDelay);
        }

        /**
         * Sets the default number of pending items a batch processor holds.
         *
         * @param batchMaxPending a positive number of items
         * @return this builder
         * @throws IllegalArgumentException if not positive
         */
        public Builder batchMaxPending(int batchMaxPending) {
            return set(Setting.BATCH_MAX_PENDING, "batchMaxPending", batchMaxPending);
        }

        /**
         * Sets the default expected lifetime of tracked objects.
         *
         * @param trackedObjectLifetime at least one second
         * @return this builder
         * @throws IllegalArgumentException if shorter than a second
         */
        public Builder trackedObjectLifetime(Duration trackedObjectLifetime) {
            return set(Setting.TRACKED_OBJECT_LIFETIME, "trackedObjectLifetime", trackedObjectLifetime);
        }

        /**
         * Sets the most objects tracked for leaks at once.
         *
         * @param maxTrackedObjects a positive number
         * @return this builder
         * @throws IllegalArgumentException if not positive
         */
        public Builder maxTrackedObjects(int maxTrackedObjects) {
            return set(Setting.MAX_TRACKED_OBJECTS, "maxTrackedObjects", maxTrackedObjects);
        }

        /**
         * Sets the interval of the background memory sampler.
         *
         * @param memorySampleInterval at least one second
         * @return this builder
         * @throws IllegalArgumentException if shorter than a second
         */
        public Builder memorySampleInterval(Duration memorySampleInterval) {
            return set(Setting.MEMORY_SAMPLE_INTERVAL, "memorySampleInterval", memorySampleInterval);
        }

        /**
         * Sets the number of samples kept for the memory trend.
         *
         * @param memoryTrendSamples at least 2
         * @return this builder
         * @throws IllegalArgumentException if less than 2
         */
        public Builder memoryTrendSamples(int memoryTrendSamples) {
            return set(Setting.MEMORY_TREND_SAMPLES, "memoryTrendSamples", memoryTrendSamples);
        }

        /**
         * Sets how long one RSS reading is reused.
         *
         * @param memoryReadCache zero (never reuse) or more
         * @return this builder
         * @throws IllegalArgumentException if negative
         */
        public Builder memoryReadCache(Duration memoryReadCache) {
            return set(Setting.MEMORY_READ_CACHE_MS, "memoryReadCache", memoryReadCache);
        }

        /**
         * Sets the shortest time between two collections perfkit triggers by itself.
         *
         * @param gcMinInterval zero or more
         * @return this builder
         * @throws IllegalArgumentException if negative
         */
        public Builder gcMinInterval(Duration gcMinInterval) {
            return set(Setting.GC_MIN_INTERVAL, "gcMinInterval", gcMinInterval);
        }

        /**
         * Sets the allocation above which a {@code memoryIntensive} call is logged.
         *
         * @param memoryIntensiveLogMb a positive number of megabytes
         * @return this builder
         * @throws IllegalArgumentException if not positive
         */
        public Builder memoryIntensiveLogMb(long memoryIntensiveLogMb) {
            return set(Setting.MEMORY_INTENSIVE_LOG_MB, "memoryIntensiveLogMb", memoryIntensiveLogMb);
        }

        /**
         * Sets whether crossing the memory limit relieves pressure automatically.
         *
         * @param memoryPressureRelief on or off
         * @return this builder
         */
        public Builder memoryPressureRelief(boolean memoryPressureRelief) {
            return set(Setting.MEMORY_PRESSURE_RELIEF, "memoryPressureRelief", memoryPressureRelief);
        }

        /**
         * Sets how many tasks the {@code "database"} task pool runs at once.
         *
         * @param asyncDatabaseConcurrency a positive number
         * @return this builder
         * @throws IllegalArgumentException if not positive
         */
        public Builder asyncDatabaseConcurrency(int asyncDatabaseConcurrency) {
            return set(Setting.ASYNC_DATABASE_CONCURRENCY, "asyncDatabaseConcurrency", asyncDatabaseConcurrency);
        }

        /**
         * Sets how many tasks the {@code "api"} task pool runs at once.
         *
         * @param asyncApiConcurrency a positive number
         * @return this builder
         * @throws IllegalArgumentException if not positive
         */
        public Builder asyncApiConcurrency(int asyncApiConcurrency) {
            return set(Setting.ASYNC_API_CONCURRENCY, "asyncApiConcurrency", asyncApiConcurrency);
        }

        /**
         * Sets how many tasks the {@code "cpu"} task pool runs at once.
         *
         * @param asyncCpuConcurrency zero (one per processor) or a positive number
         * @return this builder
         * @throws IllegalArgumentException if negative
         */
        public Builder asyncCpuConcurrency(int asyncCpuConcurrency) {
            return set(Setting.ASYNC_CPU_CONCURRENCY, "asyncCpuConcurrency", asyncCpuConcurrency);
        }

        /**
         * Sets how many tasks each task pool lets wait for a slot.
         *
         * @param asyncQueueCapacity zero or more
         * @return this builder
         * @throws IllegalArgumentException if negative
         */
        public Builder asyncQueueCapacity(int asyncQueueCapacity) {
            return set(Setting.ASYNC_QUEUE_CAPACITY, "asyncQueueCapacity", asyncQueueCapacity);
        }

        /**
         * Sets the longest a task waits for a slot before it is rejected.
         *
         * @param asyncWaitTimeout at least 1 ms, at most 365 days
         * @return this builder
         * @throws IllegalArgumentException if out of range
         */
        public Builder asyncWaitTimeout(Duration asyncWaitTimeout) {
            return set(Setting.ASYNC_WAIT_TIMEOUT_MS, "asyncWaitTimeout", asyncWaitTimeout);
        }

        /**
         * Sets whether task pools use virtual threads when the JDK has them (21 and later).
         *
         * @param asyncVirtualThreads on or off
         * @return this builder
         */
        public Builder asyncVirtualThreads(boolean asyncVirtualThreads) {
            return set(Setting.ASYNC_VIRTUAL_THREADS, "asyncVirtualThreads", asyncVirtualThreads);
        }

        /**
         * Sets how many keys a keyed rate limiter remembers at most.
         *
         * @param rateLimitMaxKeys a positive number
         * @return this builder
         * @throws IllegalArgumentException if not positive
         */
        public Builder rateLimitMaxKeys(int rateLimitMaxKeys) {
            return set(Setting.RATE_LIMIT_MAX_KEYS, "rateLimitMaxKeys", rateLimitMaxKeys);
        }

        /**
         * Sets {@code REDIS_URL}: the Redis shared by bot instances.
         *
         * @param redisUrl {@code redis://[:password@]host:port/db} or {@code rediss://...}; empty for memory only
         * @return this builder
         */
        public Builder redisUrl(String redisUrl) {
            return setText(Setting.REDIS_URL, "redisUrl", redisUrl);
        }

        /**
         * Sets {@code CACHE_LEVEL}.
         *
         * @param cacheLevel the level
         * @return this builder
         */
        public Builder cacheLevel(dev.perfkit.cache.CacheLevel cacheLevel) {
            requireNonNull(cacheLevel, "cacheLevel");
            return setText(Setting.CACHE_LEVEL, "cacheLevel", cacheLevel.name().toLowerCase(java.util.Locale.ROOT));
        }

        /**
         * Sets {@code CACHE_COMPRESSION_THRESHOLD}.
         *
         * @param bytes zero or positive
         * @return this builder
         * @throws IllegalArgumentException if negative
         */
        public Builder cacheCompressionThreshold(long bytes) {
            return set(Setting.CACHE_COMPRESSION_THRESHOLD, "cacheCompressionThreshold", bytes);
        }

        /**
         * Sets {@code REDIS_TIMEOUT_MS}.
         *
         * @param redisTimeout positive
         * @return this builder
         * @throws IllegalArgumentException if not positive
         */
        public Builder redisTimeout(Duration redisTimeout) {
            return set(Setting.REDIS_TIMEOUT_MS, "redisTimeout", redisTimeout);
        }

        /**
         * Sets {@code REDIS_DEGRADED_TTL}.
         *
         * @param redisDegradedTtl at least a second
         * @return this builder
         * @throws IllegalArgumentException if shorter than a second
         */
        public Builder redisDegradedTtl(Duration redisDegradedTtl) {
            return set(Setting.REDIS_DEGRADED_TTL, "redisDegradedTtl", redisDegradedTtl);
        }

        /**
         * Sets {@code PERFORMANCE_MONITORING_ENABLED}: whether the monitor evaluates alert rules in the background and starts its server when {@code PERF_MONITOR_PORT} is set.
         *
         * @param performanceMonitoringEnabled the value
         * @return this builder
         */
        public Builder performanceMonitoringEnabled(boolean performanceMonitoringEnabled) {
            return set(
                    Setting.PERFORMANCE_MONITORING_ENABLED,
                    "performanceMonitoringEnabled",
                    performanceMonitoringEnabled);
        }

        /**
         * Sets {@code PERFORMANCE_MONITORING_INTERVAL}: interval between two evaluations of the alert rules.
         *
         * @param performanceMonitoringInterval the value
         * @return this builder
         * @throws IllegalArgumentException if out of range (see docs/configuration.md)
         */
        public Builder performanceMonitoringInterval(Duration performanceMonitoringInterval) {
            return set(
                    Setting.PERFORMANCE_MONITORING_INTERVAL,
                    "performanceMonitoringInterval",
                    performanceMonitoringInterval);
        }

        /**
         * Sets {@code PERF_MONITOR_HOST}: address the monitor server binds to.
         *
         * @param monitorHost the text; a host name or IP address
         * @return this builder
         */
        public Builder monitorHost(String monitorHost) {
            return setText(Setting.PERF_MONITOR_HOST, "monitorHost", monitorHost);
        }

        /**
         * Sets {@code PERF_MONITOR_PORT}: port of the monitor server: -1 = start only on request (then any free port), 0 = any free port.
         *
         * @param monitorPort the value
         * @return this builder
         * @throws IllegalArgumentException if out of range (see docs/configuration.md)
         */
        public Builder monitorPort(int monitorPort) {
            return set(Setting.PERF_MONITOR_PORT, "monitorPort", monitorPort);
        }

        /**
         * Sets {@code PERF_ADMIN_TOKEN}: bearer token of the monitor's admin actions; empty when admin actions are disabled.
         *
         * @param adminToken the text; empty disables admin actions
         * @return this builder
         */
        public Builder adminToken(String adminToken) {
            return setText(Setting.PERF_ADMIN_TOKEN, "adminToken", adminToken);
        }

        /**
         * Sets {@code PROMETHEUS_ENABLED}: whether the monitor server serves {@code /metrics/prometheus}.
         *
         * @param prometheusEnabled the value
         * @return this builder
         */
        public Builder prometheusEnabled(boolean prometheusEnabled) {
            return set(Setting.PROMETHEUS_ENABLED, "prometheusEnabled", prometheusEnabled);
        }

        /**
         * Sets {@code MONITOR_MAX_REQUEST_NAMES}: request names the monitor tracks separately before it counts new ones as {@code other}.
         *
         * @param monitorMaxRequestNames the value
         * @return this builder
         * @throws IllegalArgumentException if out of range (see docs/configuration.md)
         */
        public Builder monitorMaxRequestNames(int monitorMaxRequestNames) {
            return set(Setting.MONITOR_MAX_REQUEST_NAMES, "monitorMaxRequestNames", monitorMaxRequestNames);
        }

        /**
         * Sets {@code MONITOR_REQUEST_WINDOW}: sliding window of the request report.
         *
         * @param monitorRequestWindow the value
         * @return this builder
         * @throws IllegalArgumentException if out of range (see docs/configuration.md)
         */
        public Builder monitorRequestWindow(Duration monitorRequestWindow) {
            return set(Setting.MONITOR_REQUEST_WINDOW, "monitorRequestWindow", monitorRequestWindow);
        }

        /**
         * Sets {@code ALERT_FOR}: how long a rule's condition must hold before it fires, and be clear before it resolves.
         *
         * @param alertFor the value
         * @return this builder
         * @throws IllegalArgumentException if out of range (see docs/configuration.md)
         */
        public Builder alertFor(Duration alertFor) {
            return set(Setting.ALERT_FOR, "alertFor", alertFor);
        }

        /**
         * Sets {@code ALERT_HYSTERESIS_PERCENT}: how far past its threshold, in percent of it, a value must return before a firing alert can resolve.
         *
         * @param alertHysteresisPercent the value
         * @return this builder
         * @throws IllegalArgumentException if out of range (see docs/configuration.md)
         */
        public Builder alertHysteresisPercent(int alertHysteresisPercent) {
            return set(Setting.ALERT_HYSTERESIS_PERCENT, "alertHysteresisPercent", alertHysteresisPercent);
        }

        /**
         * Sets {@code ALERT_POOL_UTILIZATION_WARNING}: pool utilization, in percent, above which {@code pool_utilization} warns.
         *
         * @param alertPoolUtilizationWarning the value
         * @return this builder
         * @throws IllegalArgumentException if out of range (see docs/configuration.md)
         */
        public Builder alertPoolUtilizationWarning(int alertPoolUtilizationWarning) {
            return set(
                    Setting.ALERT_POOL_UTILIZATION_WARNING, "alertPoolUtilizationWarning", alertPoolUtilizationWarning);
        }

        /**
         * Sets {@code ALERT_POOL_UTILIZATION_CRITICAL}: pool utilization, in percent, above which {@code pool_utilization} is critical.
         *
         * @param alertPoolUtilizationCritical the value
         * @return this builder
         * @throws IllegalArgumentException if out of range (see docs/configuration.md)
         */
        public Builder alertPoolUtilizationCritical(int alertPoolUtilizationCritical) {
            return set(
                    Setting.ALERT_POOL_UTILIZATION_CRITICAL,
                    "alertPoolUtilizationCritical",
                    alertPoolUtilizationCritical);
        }

        /**
         * Sets {@code ALERT_CACHE_HIT_RATIO_WARNING}: cache hit ratio, in percent, below which {@code cache_hit_ratio} warns.
         *
         * @param alertCacheHitRatioWarning the value
         * @return this builder
         * @throws IllegalArgumentException if out of range (see docs/configuration.md)
         */
        public Builder alertCacheHitRatioWarning(int alertCacheHitRatioWarning) {
            return set(Setting.ALERT_CACHE_HIT_RATIO_WARNING, "alertCacheHitRatioWarning", alertCacheHitRatioWarning);
        }

        /**
         * Sets {@code ALERT_CACHE_HIT_RATIO_CRITICAL}: cache hit ratio, in percent, below which {@code cache_hit_ratio} is critical.
         *
         * @param alertCacheHitRatioCritical the value
         * @return this builder
         * @throws IllegalArgumentException if out of range (see docs/configuration.md)
         */
        public Builder alertCacheHitRatioCritical(int alertCacheHitRatioCritical) {
            return set(
                    Setting.ALERT_CACHE_HIT_RATIO_CRITICAL, "alertCacheHitRatioCritical", alertCacheHitRatioCritical);
        }

        /**
         * Sets {@code ALERT_CACHE_MIN_LOOKUPS}: cache lookups within one evaluation interval needed before {@code cache_hit_ratio} judges.
         *
         * @param alertCacheMinLookups the value
         * @return this builder
         * @throws IllegalArgumentException if out of range (see docs/configuration.md)
         */
        public Builder alertCacheMinLookups(int alertCacheMinLookups) {
            return set(Setting.ALERT_CACHE_MIN_LOOKUPS, "alertCacheMinLookups", alertCacheMinLookups);
        }

        /**
         * Sets {@code ALERT_MEMORY_WARNING_PERCENT}: rSS, in percent of {@code MEMORY_LIMIT_MB}, above which {@code memory_usage} warns.
         *
         * @param alertMemoryWarningPercent the value
         * @return this builder
         * @throws IllegalArgumentException if out of range (see docs/configuration.md)
         */
        public Builder alertMemoryWarningPercent(int alertMemoryWarningPercent) {
            return set(Setting.ALERT_MEMORY_WARNING_PERCENT, "alertMemoryWarningPercent", alertMemoryWarningPercent);
        }

        /**
         * Sets {@code ALERT_MEMORY_CRITICAL_PERCENT}: rSS, in percent of {@code MEMORY_LIMIT_MB}, above which {@code memory_usage} is critical.
         *
         * @param alertMemoryCriticalPercent the value
         * @return this builder
         * @throws IllegalArgumentException if out of range (see docs/configuration.md)
         */
        public Builder alertMemoryCriticalPercent(int alertMemoryCriticalPercent) {
            return set(Setting.ALERT_MEMORY_CRITICAL_PERCENT, "alertMemoryCriticalPercent", alertMemoryCriticalPercent);
        }

        /**
         * Sets {@code ALERT_RSS_WARNING_MB}: rSS in MB above which {@code memory_rss} warns.
         *
         * @param alertRssWarningMb the value
         * @return this builder
         * @throws IllegalArgumentException if out of range (see docs/configuration.md)
         */
        public Builder alertRssWarningMb(long alertRssWarningMb) {
            return set(Setting.ALERT_RSS_WARNING_MB, "alertRssWarningMb", alertRssWarningMb);
        }

        /**
         * Sets {@code ALERT_RSS_CRITICAL_MB}: rSS in MB above which {@code memory_rss} is critical.
         *
         * @param alertRssCriticalMb the value
         * @return this builder
         * @throws IllegalArgumentException if out of range (see docs/configuration.md)
         */
        public Builder alertRssCriticalMb(long alertRssCriticalMb) {
            return set(Setting.ALERT_RSS_CRITICAL_MB, "alertRssCriticalMb", alertRssCriticalMb);
        }

        /**
         * Sets {@code ALERT_SLOW_QUERY_WARNING_MS}: query duration above which {@code slow_queries} warns.
         *
         * @param alertSlowQueryWarning the value
         * @return this builder
         * @throws IllegalArgumentException if out of range (see docs/configuration.md)
         */
        public Builder alertSlowQueryWarning(Duration alertSlowQueryWarning) {
            return set(Setting.ALERT_SLOW_QUERY_WARNING_MS, "alertSlowQueryWarning", alertSlowQueryWarning);
        }

        /**
         * Sets {@code ALERT_SLOW_QUERY_CRITICAL_MS}: query duration above which {@code slow_queries} is critical.
         *
         * @param alertSlowQueryCritical the value
         * @return this builder
         * @throws IllegalArgumentException if out of range (see docs/configuration.md)
         */
        public Builder alertSlowQueryCritical(Duration alertSlowQueryCritical) {
            return set(Setting.ALERT_SLOW_QUERY_CRITICAL_MS, "alertSlowQueryCritical", alertSlowQueryCritical);
        }

        /**
         * Sets {@code ALERT_ERROR_RATE_WARNING}: failed requests, in percent, above which {@code error_rate} warns.
         *
         * @param alertErrorRateWarning the value
         * @return this builder
         * @throws IllegalArgumentException if out of range (see docs/configuration.md)
         */
        public Builder alertErrorRateWarning(int alertErrorRateWarning) {
            return set(Setting.ALERT_ERROR_RATE_WARNING, "alertErrorRateWarning", alertErrorRateWarning);
        }

        /**
         * Sets {@code ALERT_ERROR_RATE_CRITICAL}: failed requests, in percent, above which {@code error_rate} is critical.
         *
         * @param alertErrorRateCritical the value
         * @return this builder
         * @throws IllegalArgumentException if out of range (see docs/configuration.md)
         */
        public Builder alertErrorRateCritical(int alertErrorRateCritical) {
            return set(Setting.ALERT_ERROR_RATE_CRITICAL, "alertErrorRateCritical", alertErrorRateCritical);
        }

        /**
         * Sets {@code ALERT_MIN_REQUESTS}: requests in the request window needed before {@code error_rate} and {@code response_time} judge.
         *
         * @param alertMinRequests the value
         * @return this builder
         * @throws IllegalArgumentException if out of range (see docs/configuration.md)
         */
        public Builder alertMinRequests(int alertMinRequests) {
            return set(Setting.ALERT_MIN_REQUESTS, "alertMinRequests", alertMinRequests);
        }

        /**
         * Sets {@code ALERT_RESPONSE_TIME_WARNING_MS}: request p95 above which {@code response_time} warns.
         *
         * @param alertResponseTimeWarning the value
         * @return this builder
         * @throws IllegalArgumentException if out of range (see docs/configuration.md)
         */
        public Builder alertResponseTimeWarning(Duration alertResponseTimeWarning) {
            return set(Setting.ALERT_RESPONSE_TIME_WARNING_MS, "alertResponseTimeWarning", alertResponseTimeWarning);
        }

        /**
         * Sets {@code ALERT_RESPONSE_TIME_CRITICAL_MS}: request p95 above which {@code response_time} is critical.
         *
         * @param alertResponseTimeCritical the value
         * @return this builder
         * @throws IllegalArgumentException if out of range (see docs/configuration.md)
         */
        public Builder alertResponseTimeCritical(Duration alertResponseTimeCritical) {
            return set(Setting.ALERT_RESPONSE_TIME_CRITICAL_MS, "alertResponseTimeCritical", alertResponseTimeCritical);
        }

        /**
         * Sets the registry components publish metrics to.
         *
         * @param meterRegistry the registry
         * @return this builder
         * @throws NullPointerException if {@code meterRegistry} is null
         */
        public Builder meterRegistry(MeterRegistry meterRegistry) {
            this.meterRegistry = requireNonNull(meterRegistry, "meterRegistry");
            return this;
        }

        /**
         * Builds the configuration.
         *
         * @return an immutable configuration
         */
        public PerfConfig build() {
            return new PerfConfig(this);
        }
    }
}
