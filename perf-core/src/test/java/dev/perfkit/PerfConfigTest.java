package dev.perfkit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.EnumSource;

class PerfConfigTest {

    private static PerfConfig load(
            Map<String, String> properties, Map<String, String> env, Map<String, String> dotEnv) {
        return PerfConfig.load(properties::get, env::get, dotEnv);
    }

    @Test
    void builder_nothingSet_isMediumPreset() {
        PerfConfig config = PerfConfig.builder().build();

        assertThat(config.mode()).isEqualTo(PerformanceMode.MEDIUM);
        assertThat(config).isEqualTo(PerfConfig.preset(PerformanceMode.MEDIUM));
        assertThat(config.queryCacheSize()).isEqualTo(5_000);
        assertThat(config.queryCacheTtl()).isEqualTo(Duration.ofSeconds(300));
        assertThat(config.slowQueryThreshold()).isEqualTo(Duration.ofMillis(100));
    }

    @Test
    void presets_highCachesMoreAndLongerThanLow() {
        PerfConfig low = PerfConfig.preset(PerformanceMode.LOW);
        PerfConfig medium = PerfConfig.preset(PerformanceMode.MEDIUM);
        PerfConfig high = PerfConfig.preset(PerformanceMode.HIGH);

        assertThat(low.queryCacheSize()).isLessThan(medium.queryCacheSize()).isLessThan(high.queryCacheSize());
        assertThat(low.queryCacheTtl()).isLessThan(medium.queryCacheTtl()).isLessThan(high.queryCacheTtl());
        assertThat(low.memoryLimitMb()).isLessThan(high.memoryLimitMb());
        assertThat(low.batchSize()).isLessThan(high.batchSize());
    }

    @ParameterizedTest
    @EnumSource(PerformanceMode.class)
    void presets_everySettingHasAValidValueOfItsType(PerformanceMode mode) {
        for (Setting<?> setting : Setting.ALL) {
            checkPreset(setting, mode);
        }
    }

    private static <T> void checkPreset(Setting<T> setting, PerformanceMode mode) {
        T preset = setting.preset(mode);
        assertThat(preset).as(setting.name()).isNotNull().isInstanceOf(setting.type());
        assertThat(setting.check(setting.name(), preset)).isEqualTo(preset);
        if (setting.isSecret()) {
            assertThat(setting.format(preset)).isIn("(not set)", "(set)");
            return;
        }
        assertThat(setting.parse(setting.format(preset).replaceAll(" (s|ms|MB)$", "")))
                .as("%s round-trips through its text form", setting)
                .isEqualTo(preset);
    }

    @Test
    void load_countBeyondAnInt_isRefusedNotOverflowed() {
        assertThatThrownBy(() -> load(Map.of(), Map.of("BATCH_SIZE", "99999999999"), Map.of()))
                .isInstanceOf(PerfConfigException.class)
                .hasMessageContaining("BATCH_SIZE")
                .hasMessageContaining("from 1 to 2147483647");
    }

    @Test
    void load_precedence_systemPropertyOverEnvOverDotEnvOverPreset() {
        Map<String, String> dotEnv = Map.of(
                "PERFORMANCE_MODE", "low",
                "QUERY_CACHE_SIZE", "30",
                "QUERY_CACHE_TTL", "40",
                "MEMORY_LIMIT_MB", "50");
        Map<String, String> env = Map.of("QUERY_CACHE_SIZE", "20", "QUERY_CACHE_TTL", "41");
        Map<String, String> properties = Map.of("perfkit.query.cache.size", "10");

        PerfConfig config = load(properties, env, dotEnv);

        assertThat(config.queryCacheSize()).isEqualTo(10); // system property
        assertThat(config.queryCacheTtl()).isEqualTo(Duration.ofSeconds(41)); // environment
        assertThat(config.memoryLimitMb()).isEqualTo(50); // .env
        assertThat(config.mode()).isEqualTo(PerformanceMode.LOW); // .env
        assertThat(config.batchSize())
                .isEqualTo(PerfConfig.preset(PerformanceMode.LOW).batchSize()); // preset
        assertThat(config.describe())
                .contains("QUERY_CACHE_SIZE = 10 (system property perfkit.query.cache.size)")
                .contains("QUERY_CACHE_TTL = 41 s (environment variable QUERY_CACHE_TTL)")
                .contains("MEMORY_LIMIT_MB = 50 MB (.env file MEMORY_LIMIT_MB)")
                .contains("BATCH_SIZE = 20 (preset low)");
    }

    @Test
    void builder_overridesEnvironment_andModeChangeKeepsExplicitValues() {
        PerfConfig fromEnv = load(Map.of(), Map.of("PERFORMANCE_MODE", "low", "QUERY_CACHE_SIZE", "77"), Map.of());

        PerfConfig config = fromEnv.toBuilder()
                .mode(PerformanceMode.HIGH)
                .queryCacheTtl(Duration.ofSeconds(5))
                .build();

        assertThat(config.mode()).isEqualTo(PerformanceMode.HIGH);
        assertThat(config.queryCacheSize()).isEqualTo(77); // explicit in the environment, kept
        assertThat(config.queryCacheTtl()).isEqualTo(Duration.ofSeconds(5)); // builder
        assertThat(config.memoryLimitMb())
                .isEqualTo(PerfConfig.preset(PerformanceMode.HIGH).memoryLimitMb());
    }

    @Test
    void load_modeIsCaseInsensitiveAndTrimmed() {
        assertThat(load(Map.of(), Map.of("PERFORMANCE_MODE", " High "), Map.of())
                        .mode())
                .isEqualTo(PerformanceMode.HIGH);
        assertThat(load(Map.of("perfkit.performance.mode", "LOW"), Map.of("PERFORMANCE_MODE", "high"), Map.of())
                        .mode())
                .isEqualTo(PerformanceMode.LOW);
    }

    @Test
    void load_unknownMode_namesVariableValueAndAcceptedValues() {
        assertThatThrownBy(() -> load(Map.of(), Map.of("PERFORMANCE_MODE", "turbo"), Map.of()))
                .isInstanceOf(PerfConfigException.class)
                .isInstanceOf(PerfException.class)
                .hasMessageContaining("PERFORMANCE_MODE")
                .hasMessageContaining("'turbo'")
                .hasMessageContaining("environment variable")
                .hasMessageContaining("low, medium, high");
    }

    @ParameterizedTest
    @CsvSource({
        "QUERY_CACHE_SIZE, -5",
        "QUERY_CACHE_SIZE, abc",
        "QUERY_CACHE_SIZE, 1.5",
        "QUERY_CACHE_TTL, abc",
        "QUERY_CACHE_TTL, -1",
        "QUERY_CACHE_TTL, 0",
        "MEMORY_LIMIT_MB, 0",
        "MEMORY_LIMIT_MB, 12MB",
        "BATCH_SIZE, 0",
        "SLOW_QUERY_THRESHOLD_MS, -100",
        "BATCH_MAX_DELAY_MS, ''",
        "QUERY_CACHE_TTL, 3153600000",
        "BATCH_MAX_DELAY_MS, 3153600000000",
        "GC_MIN_INTERVAL, 9223372036854775807",
    })
    void load_badNumber_fromEveryLayer_namesVariableValueAndAccepted(String variable, String value) {
        String property =
                "perfkit." + variable.toLowerCase(java.util.Locale.ROOT).replace('_', '.');
        List<Runnable> layers = List.of(
                () -> load(Map.of(property, value), Map.of(), Map.of()),
                () -> load(Map.of(), Map.of(variable, value), Map.of()),
                () -> load(Map.of(), Map.of(), Map.of(variable, value)));
        List<String> sources = List.of("system property", "environment variable", ".env file");
        for (int i = 0; i < layers.size(); i++) {
            Runnable layer = layers.get(i);
            assertThatThrownBy(layer::run)
                    .isInstanceOf(PerfConfigException.class)
                    .hasMessageContaining("'" + value + "'")
                    .hasMessageContaining(i == 0 ? property : variable)
                    .hasMessageContaining(sources.get(i))
                    .hasMessageContaining("expected a whole number");
        }
    }

    @Test
    void load_zeroCacheSize_isAccepted() {
        assertThat(load(Map.of(), Map.of("QUERY_CACHE_SIZE", "0"), Map.of()).queryCacheSize())
                .isZero();
    }

    @Test
    void builder_badValues_throwIllegalArgumentWithValue() {
        PerfConfig.Builder builder = PerfConfig.builder();
        assertThatThrownBy(() -> builder.queryCacheSize(-5))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("queryCacheSize")
                .hasMessageContaining("-5");
        assertThatThrownBy(() -> builder.queryCacheTtl(Duration.ofSeconds(-3)))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("queryCacheTtl")
                .hasMessageContaining("PT-3S");
        assertThatThrownBy(() -> builder.memoryLimitMb(0))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("memoryLimitMb must be positive: 0");
        assertThatThrownBy(() -> builder.batchSize(-1)).hasMessageContaining("batchSize must be positive: -1");
        assertThatThrownBy(() -> builder.queryCacheTtl(null))
                .isInstanceOf(NullPointerException.class)
                .hasMessageContaining("queryCacheTtl");
        assertThatThrownBy(() -> builder.mode(null)).hasMessageContaining("mode");
        // A rejected value leaves what was accepted before untouched.
        assertThat(builder.queryCacheSize(9).build().queryCacheSize()).isEqualTo(9);
    }

    @Test
    void applyArgs_bothForms() {
        PerfConfig base = PerfConfig.builder().queryCacheSize(11).build();

        assertThat(PerfConfig.applyArgs(base, "--performance=high").mode()).isEqualTo(PerformanceMode.HIGH);
        assertThat(PerfConfig.applyArgs(base, "bot.jar", "--performance", "low", "--verbose")
                        .mode())
                .isEqualTo(PerformanceMode.LOW);
        assertThat(PerfConfig.applyArgs(base, "--performance", "low").queryCacheSize())
                .isEqualTo(11);
        assertThat(PerfConfig.applyArgs(base, "--other")).isSameAs(base);
    }

    @Test
    void applyArgs_argsOverrideEnvironmentMode() {
        PerfConfig env = load(Map.of(), Map.of("PERFORMANCE_MODE", "low"), Map.of());

        PerfConfig config = PerfConfig.applyArgs(env, "--performance=high");

        assertThat(config.mode()).isEqualTo(PerformanceMode.HIGH);
        assertThat(config.queryCacheSize())
                .isEqualTo(PerfConfig.preset(PerformanceMode.HIGH).queryCacheSize());
        assertThat(config.describe()).contains("PERFORMANCE_MODE = high (command line --performance)");
    }

    @Test
    void applyArgs_badOrMissingValue_throwsConfigException() {
        PerfConfig base = PerfConfig.builder().build();
        assertThatThrownBy(() -> PerfConfig.applyArgs(base, "--performance=turbo"))
                .isInstanceOf(PerfConfigException.class)
                .hasMessageContaining("--performance")
                .hasMessageContaining("'turbo'")
                .hasMessageContaining("low, medium, high");
        assertThatThrownBy(() -> PerfConfig.applyArgs(base, "--performance"))
                .isInstanceOf(PerfConfigException.class)
                .hasMessageContaining("Missing value for --performance");
        assertThatThrownBy(() -> PerfConfig.applyArgs(base, "--performance", "--verbose"))
                .isInstanceOf(PerfConfigException.class);
    }

    @Test
    void fromArgs_readsTheRealEnvironmentUnderneath() {
        // The surefire JVM sets none of perfkit's variables, so only the argument matters.
        assertThat(PerfConfig.fromArgs("--performance=low").mode()).isEqualTo(PerformanceMode.LOW);
    }

    @Test
    void parseDotEnv_commentsExportQuotesAndBadLines() {
        Map<String, String> parsed = PerfConfig.parseDotEnv(
                List.of(
                        "# comment",
                        "",
                        "export PERFORMANCE_MODE=high",
                        "QUERY_CACHE_SIZE = 2000 # inline",
                        "QUERY_CACHE_TTL=\"600\"",
                        "TOKEN='a#b'",
                        "not a pair",
                        "=nokey"),
                ".env");

        assertThat(parsed)
                .containsExactly(
                        Map.entry("PERFORMANCE_MODE", "high"),
                        Map.entry("QUERY_CACHE_SIZE", "2000"),
                        Map.entry("QUERY_CACHE_TTL", "600"),
                        Map.entry("TOKEN", "a#b"));
    }

    @Test
    void readDotEnv_fileIsReadAndFeedsTheLoader(@TempDir Path dir) throws Exception {
        Path file = dir.resolve(".env");
        Files.writeString(
                file, "PERFORMANCE_MODE=high\nMEMORY_LIMIT_MB=500\nQUERY_CACHE_SIZE=2000\nQUERY_CACHE_TTL=600\n");

        PerfConfig config = PerfConfig.load(name -> null, name -> null, PerfConfig.readDotEnv(file));

        assertThat(config.mode()).isEqualTo(PerformanceMode.HIGH);
        assertThat(config.memoryLimitMb()).isEqualTo(500);
        assertThat(config.queryCacheSize()).isEqualTo(2000);
        assertThat(config.queryCacheTtl()).isEqualTo(Duration.ofMinutes(10));
        assertThat(PerfConfig.readDotEnv(dir.resolve("absent"))).isEmpty();
    }

    @Test
    void toString_listsEveryVariable() {
        String text = PerfConfig.builder().build().toString();
        for (Setting<?> setting : Setting.ALL) {
            assertThat(text).contains(setting.envName() + "=");
        }
    }

    @Test
    void builder_centuries_areRefusedNamingTheSetting() {
        assertThatThrownBy(() -> PerfConfig.builder().queryCacheTtl(ChronoUnit.CENTURIES.getDuration()))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("queryCacheTtl")
                .hasMessageContaining("365 days");
        assertThatThrownBy(() -> PerfConfig.builder().batchMaxDelay(ChronoUnit.CENTURIES.getDuration()))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("365 days");
    }

    @Test
    void monitorSettings_loadFromTheEnvironment_withClearErrors() {
        PerfConfig config = load(
                Map.of(),
                Map.of(
                        "PERF_MONITOR_PORT", "9464",
                        "PERF_MONITOR_HOST", " 0.0.0.0 ",
                        "PERF_ADMIN_TOKEN", "hunter2",
                        "ALERT_CACHE_HIT_RATIO_WARNING", "75%",
                        "PERFORMANCE_MONITORING_INTERVAL", "5"),
                Map.of());
        assertThat(config.monitorPort()).isEqualTo(9464);
        assertThat(config.monitorHost()).isEqualTo("0.0.0.0");
        assertThat(config.adminToken()).isEqualTo("hunter2");
        assertThat(config.alertCacheHitRatioWarning()).isEqualTo(75);
        assertThat(config.performanceMonitoringInterval()).isEqualTo(java.time.Duration.ofSeconds(5));
        assertThat(config.describe()).contains("PERF_ADMIN_TOKEN = (set)").doesNotContain("hunter2");
        assertThat(config.toString()).doesNotContain("hunter2");

        assertThatThrownBy(() -> load(Map.of(), Map.of("PERF_MONITOR_PORT", "70000"), Map.of()))
                .isInstanceOf(PerfConfigException.class)
                .hasMessageContaining("PERF_MONITOR_PORT")
                .hasMessageContaining("70000")
                .hasMessageContaining("from -1 to 65535");
        assertThatThrownBy(() -> load(Map.of(), Map.of("ALERT_ERROR_RATE_CRITICAL", "101"), Map.of()))
                .isInstanceOf(PerfConfigException.class)
                .hasMessageContaining("ALERT_ERROR_RATE_CRITICAL")
                .hasMessageContaining("from 0 to 100");
        assertThatThrownBy(() -> PerfConfig.builder().monitorPort(-2))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("monitorPort")
                .hasMessageContaining("-2");
        assertThatThrownBy(() -> PerfConfig.builder().alertPoolUtilizationWarning(150))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("alertPoolUtilizationWarning must be from 0% to 100%: 150");
    }

    @Test
    void redisSettings_loadFromTheEnvironment_withClearErrors() {
        PerfConfig config = load(
                Map.of(),
                Map.of(
                        "REDIS_URL",
                        "redis://:pw@cache:6379/0",
                        "CACHE_LEVEL",
                        "Redis",
                        "CACHE_COMPRESSION_THRESHOLD",
                        "0"),
                Map.of());
        assertThat(config.redisUrl()).isEqualTo("redis://:pw@cache:6379/0");
        assertThat(config.cacheLevel()).isEqualTo(dev.perfkit.cache.CacheLevel.REDIS);
        assertThat(config.cacheCompressionThreshold()).isZero();
        assertThat(config.describe()).contains("REDIS_URL = (set)").doesNotContain(":pw@");

        assertThatThrownBy(() -> load(Map.of(), Map.of("CACHE_LEVEL", "disk"), Map.of()))
                .isInstanceOf(PerfConfigException.class)
                .hasMessageContaining("CACHE_LEVEL")
                .hasMessageContaining("disk")
                .hasMessageContaining("expected one of memory, redis, both");
    }

    @Test
    void cacheProfiles_fromEnvironment_mergeWithTheDefaults() {
        Map<String, String> environment = Map.of(
                "PERF_CACHE_PROFILE_HOTEL_SETTINGS_TTL", "3600",
                "PERF_CACHE_PROFILE_HOTEL_SETTINGS_LEVEL", "both",
                "PERF_CACHE_PROFILE_HOTEL_SETTINGS_COMPRESS", "true",
                "PERF_CACHE_PROFILE_HOTEL_SETTINGS_WARM", "true",
                "PERF_CACHE_PROFILE_SESSIONS_LEVEL", "memory");
        PerfConfig config = PerfConfig.withProfiles(
                load(Map.of(), environment, Map.of()),
                Map.of("perfkit.cache.profile.sessions.ttl", "30"),
                environment,
                Map.of());

        dev.perfkit.cache.CacheProfile hotel = config.cacheProfile("HOTEL_SETTINGS");
        assertThat(hotel.name()).isEqualTo("hotel_settings");
        assertThat(hotel.ttl()).isEqualTo(java.time.Duration.ofHours(1));
        assertThat(hotel.level()).isEqualTo(dev.perfkit.cache.CacheLevel.BOTH);
        assertThat(hotel.compress()).isTrue();
        assertThat(hotel.warm()).isTrue();
        dev.perfkit.cache.CacheProfile sessions = config.cacheProfile("sessions");
        assertThat(sessions.level()).isEqualTo(dev.perfkit.cache.CacheLevel.MEMORY);
        assertThat(sessions.ttl()).isEqualTo(java.time.Duration.ofSeconds(30));
        assertThat(config.cacheProfiles()).containsOnlyKeys("hotel_settings", "sessions");
        dev.perfkit.cache.CacheProfile unknown = config.cacheProfile("anything");
        assertThat(unknown.ttl()).isEqualTo(config.queryCacheTtl());
        assertThat(unknown.warm()).isFalse();
        assertThat(config.toBuilder().build().cacheProfile("sessions")).isEqualTo(sessions);

        assertThatThrownBy(() -> PerfConfig.withProfiles(
                        PerfConfig.builder().build(), Map.of(), Map.of("PERF_CACHE_PROFILE_X_TTL", "soon"), Map.of()))
                .isInstanceOf(PerfConfigException.class)
                .hasMessageContaining("PERF_CACHE_PROFILE_X_TTL")
                .hasMessageContaining("soon");
        assertThatThrownBy(() -> PerfConfig.withProfiles(
                        PerfConfig.builder().build(), Map.of(), Map.of("PERF_CACHE_PROFILE_X_LEVEL", "disk"), Map.of()))
                .isInstanceOf(PerfConfigException.class)
                .hasMessageContaining("disk");
        assertThatThrownBy(() -> config.cacheProfile("no spaces"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("no spaces");
    }
}
