package dev.perfkit.redis;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.perfkit.Perf;
import dev.perfkit.PerfConfig;
import dev.perfkit.cache.CacheLevel;
import dev.perfkit.cache.caffeine.CaffeineQueryCache;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Duration;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** Perf.getQueryCache() with perf-redis on the class path. */
class RedisWiringTest {

    @AfterEach
    void reset() {
        Perf.reset();
    }

    @Test
    void withRedisUrl_theFacadeGivesTheTwoLevelCache_withTheConfiguredSettings() {
        try (EmbeddedRedis redis = EmbeddedRedis.start()) {
            SimpleMeterRegistry registry = new SimpleMeterRegistry();
            Perf.configure(PerfConfig.builder()
                    .redisUrl(redis.uri())
                    .cacheCompressionThreshold(64)
                    .meterRegistry(registry)
                    .build());
            RedisQueryCache cache = (RedisQueryCache) Perf.getQueryCache();
            assertThat(cache.level()).isEqualTo(CacheLevel.BOTH);
            assertThat(cache.awaitRedis(Duration.ofSeconds(10))).isTrue();
            cache.set("k", "v");
            assertThat(cache.get("k")).isEqualTo("v");
            assertThat(registry.get("perfkit.cache.redis.available").gauge().value())
                    .isEqualTo(1.0);
        }
    }

    @Test
    void namedProfiles_throughTheFacade_shareTheDefaultCache() {
        try (EmbeddedRedis redis = EmbeddedRedis.start()) {
            Perf.configure(PerfConfig.builder()
                    .redisUrl(redis.uri())
                    .cacheProfile(dev.perfkit.cache.CacheProfile.of("sessions", Duration.ofMinutes(1))
                            .withLevel(CacheLevel.MEMORY))
                    .meterRegistry(new SimpleMeterRegistry())
                    .build());
            RedisQueryCache cache = (RedisQueryCache) Perf.getQueryCache();
            assertThat(cache.awaitRedis(Duration.ofSeconds(10))).isTrue();
            Perf.getQueryCache("sessions").set("session:1", "token");
            Perf.getQueryCache("hotel_settings").set("hotel:1", "quiet");
            assertThat(cache.get("session:1")).isEqualTo("token");
            assertThat(Perf.getConfig().cacheProfile("hotel_settings").level()).isEqualTo(CacheLevel.BOTH);
            assertThat(Perf.getQueryCache("hotel_settings").get("hotel:1")).isEqualTo("quiet");
            assertThat(cache.redisStats().redisHits()).isZero();
        }
    }

    @Test
    void withoutRedisUrl_theCacheStaysInMemory() {
        Perf.configure(
                PerfConfig.builder().meterRegistry(new SimpleMeterRegistry()).build());
        assertThat(Perf.getQueryCache()).isInstanceOf(CaffeineQueryCache.class);
    }

    @Test
    void levelMemory_keepsTheInMemoryCacheEvenWithARedisUrl() {
        Perf.configure(PerfConfig.builder()
                .redisUrl("redis://127.0.0.1:1/0")
                .cacheLevel(CacheLevel.MEMORY)
                .meterRegistry(new SimpleMeterRegistry())
                .build());
        assertThat(Perf.getQueryCache()).isInstanceOf(CaffeineQueryCache.class);
    }

    @Test
    void config_redactsThePassword_andRefusesAnUnknownLevel() {
        PerfConfig config =
                PerfConfig.builder().redisUrl("redis://:hunter2@cache:6379/0").build();
        assertThat(config.describe()).contains("REDIS_URL = (set)").doesNotContain("hunter2");
        assertThat(RedisQueryCache.redacted("redis://:hunter2@cache:6379/0")).isEqualTo("redis://***@cache:6379/0");
        assertThatThrownBy(() -> dev.perfkit.cache.CacheLevel.parse("disk"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("disk")
                .hasMessageContaining("memory, redis or both");
    }
}
