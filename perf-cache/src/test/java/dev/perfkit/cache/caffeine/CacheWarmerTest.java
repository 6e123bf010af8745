package dev.perfkit.cache.caffeine;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.perfkit.FakeTicker;
import dev.perfkit.cache.CacheProfile;
import dev.perfkit.cache.CacheWarmer;
import dev.perfkit.cache.CacheWarmerAccess;
import dev.perfkit.memory.MemoryPressureRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class CacheWarmerTest {
    private final FakeTicker ticker = new FakeTicker();
    private final CaffeineQueryCache cache = CaffeineQueryCache.builder()
            .name("warm")
            .ticker(ticker::getAsLong)
            .executor(Runnable::run)
            .meterRegistry(new SimpleMeterRegistry())
            .pressureRegistry(MemoryPressureRegistry.create())
            .build();
    private final Map<String, Integer> loads = new ConcurrentHashMap<>();
    private CacheWarmer warmer;

    @AfterEach
    void close() {
        if (warmer != null) {
            warmer.close();
        }
        cache.close();
    }

    private Object load(String key) {
        return key + "#" + loads.merge(key, 1, Integer::sum);
    }

    private static Map<String, Object> hotels(int count) {
        Map<String, Object> entries = new LinkedHashMap<>();
        for (int i = 1; i <= count; i++) {
            entries.put("hotel:" + i, "hotel:" + i + "#0");
        }
        entries.put("other:1", "not mine");
        return entries;
    }

    private CacheWarmer.Builder builder(CacheProfile profile) {
        return warmerBuilder(
                CacheWarmer.builder(cache).profile(profile).prefix("hotel:").loader(this::load));
    }

    /** The package-private test hooks of CacheWarmer.Builder, reached through reflection-free helpers. */
    private CacheWarmer.Builder warmerBuilder(CacheWarmer.Builder builder) {
        return CacheWarmerAccess.ticker(builder, ticker);
    }

    @Test
    void start_fillsTheCacheFromOneBulkLoad_withinTheWarmersPrefix() {
        warmer =
                CacheWarmerAccess.startInForeground(builder(hotelSettings(true)).initial(() -> hotels(3)));

        assertThat(cache.get("hotel:2")).isEqualTo("hotel:2#0");
        assertThat(cache.get("other:1")).isNull();
        assertThat(warmer.warmed()).isEqualTo(3);
        assertThat(loads).isEmpty();
    }

    @Test
    void hotEntries_areReloadedAheadOfExpiry_coldOnesAreLeftToExpire() {
        warmer =
                CacheWarmerAccess.startInForeground(builder(hotelSettings(true)).initial(() -> hotels(2)));
        ticker.advance(Duration.ofMinutes(50)); // 83 % of the hour
        assertThat(warmer.cache().get("hotel:1")).isEqualTo("hotel:1#0"); // hot: read since written

        assertThat(warmer.refreshDue()).isEqualTo(1);
        await().atMost(Duration.ofSeconds(5)).until(() -> warmer.refreshed() == 1);
        assertThat(cache.get("hotel:1")).isEqualTo("hotel:1#1");
        assertThat(loads).containsOnlyKeys("hotel:1");

        ticker.advance(Duration.ofMinutes(15)); // hotel:2 expired unread; hotel:1 was refreshed
        assertThat(cache.get("hotel:2")).isNull();
        assertThat(cache.get("hotel:1")).isEqualTo("hotel:1#1");
        assertThat(warmer.refreshDue()).isZero(); // not read since its refresh: cold now
    }

    @Test
    void refreshes_neverRunMoreThanTheConcurrencyAtOnce_norTwiceForOneKey() throws Exception {
        AtomicInteger running = new AtomicInteger();
        AtomicInteger peak = new AtomicInteger();
        CountDownLatch release = new CountDownLatch(1);
        warmer = CacheWarmerAccess.startInForeground(warmerBuilder(CacheWarmer.builder(cache)
                .ttl(Duration.ofMinutes(10))
                .prefix("hotel:")
                .concurrency(2)
                .initial(() -> hotels(20))
                .loader(key -> {
                    peak.accumulateAndGet(running.incrementAndGet(), Math::max);
                    try {
                        release.await();
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                    }
                    running.decrementAndGet();
                    return key + "#new";
                })));
        ticker.advance(Duration.ofMinutes(9));
        for (int i = 1; i <= 20; i++) {
            Object unused = warmer.cache().get("hotel:" + i);
        }
        assertThat(warmer.refreshDue()).isEqualTo(20);
        assertThat(warmer.refreshDue()).as("already refreshing: not again").isZero();
        await().atMost(Duration.ofSeconds(5)).until(() -> running.get() == 2);
        release.countDown();
        await().atMost(Duration.ofSeconds(5)).until(() -> warmer.refreshed() == 20);
        assertThat(peak.get()).isEqualTo(2);
    }

    @Test
    void concurrentMisses_ofOneKey_shareOneLoad() throws Exception {
        warmer = CacheWarmerAccess.startInForeground(builder(hotelSettings(true)));
        dev.perfkit.Concurrently.run(8, 30, thread -> {
            assertThat(warmer.cache().get("hotel:7")).isEqualTo("hotel:7#1");
        });
        assertThat(loads.get("hotel:7")).isEqualTo(1);
    }

    @Test
    void aProfileWithWarmingOff_fillsNothing_butReadsStillLoad() {
        warmer = CacheWarmerAccess.startInForeground(
                builder(hotelSettings(false)).initial(() -> hotels(3)));
        assertThat(warmer.warmed()).isZero();
        assertThat(cache.get("hotel:1")).isNull();
        assertThat(warmer.cache().get("hotel:1")).isEqualTo("hotel:1#1");
    }

    @Test
    void aFailingRefresh_keepsTheCurrentEntry() {
        warmer = CacheWarmerAccess.startInForeground(warmerBuilder(CacheWarmer.builder(cache)
                .ttl(Duration.ofMinutes(10))
                .prefix("hotel:")
                .initial(() -> hotels(1))
                .loader(key -> {
                    throw new IllegalStateException("database down");
                })));
        ticker.advance(Duration.ofMinutes(9));
        Object unused = warmer.cache().get("hotel:1");
        assertThat(warmer.refreshDue()).isEqualTo(1);
        await().atMost(Duration.ofSeconds(5)).until(() -> warmer.failures() == 1);
        assertThat(cache.get("hotel:1")).isEqualTo("hotel:1#0");
    }

    @Test
    void close_stopsEveryThread_evenWithLoadsInFlight() throws Exception {
        CountDownLatch never = new CountDownLatch(1);
        for (int i = 0; i < 50; i++) {
            CacheWarmer started = CacheWarmer.builder(cache)
                    .ttl(Duration.ofMinutes(10))
                    .prefix("hotel:")
                    .initial(() -> {
                        try {
                            never.await(); // a start-up fill stuck on a slow database
                        } catch (InterruptedException e) {
                            Thread.currentThread().interrupt();
                        }
                        return Map.of();
                    })
                    .loader(key -> key)
                    .start();
            started.close();
        }
        await().atMost(Duration.ofSeconds(10)).until(() -> Thread.getAllStackTraces().keySet().stream()
                .noneMatch(thread -> thread.isAlive() && thread.getName().startsWith("perfkit-warmer")));
    }

    @Test
    void badInput_isRefusedClearly() {
        assertThatThrownBy(() -> CacheWarmer.builder(cache).refreshAhead(1.0))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("1.0");
        assertThatThrownBy(() -> CacheWarmer.builder(cache).concurrency(0))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("concurrency");
        assertThatThrownBy(() -> CacheWarmer.builder(cache)
                        .ttl(Duration.ofMinutes(1))
                        .loader(k -> k)
                        .start())
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("prefix");
    }

    private static CacheProfile hotelSettings(boolean warm) {
        return CacheProfile.of("hotel_settings", Duration.ofHours(1)).withWarm(warm);
    }
}
