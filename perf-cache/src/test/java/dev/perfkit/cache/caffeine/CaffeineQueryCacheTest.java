package dev.perfkit.cache.caffeine;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.perfkit.FakeTicker;
import dev.perfkit.Perf;
import dev.perfkit.PerfConfig;
import dev.perfkit.cache.CacheStats;
import dev.perfkit.cache.QueryCache;
import dev.perfkit.cache.QueryCacheContract;
import dev.perfkit.memory.MemoryPressureLevel;
import dev.perfkit.memory.MemoryPressureRegistry;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

class CaffeineQueryCacheTest extends QueryCacheContract {
    private final MeterRegistry registry = new SimpleMeterRegistry();
    private final MemoryPressureRegistry pressure = MemoryPressureRegistry.create();

    @Override
    protected QueryCache createCache(long maxSize, Duration defaultTtl, FakeTicker ticker) {
        return CaffeineQueryCache.builder()
                .name("contract")
                .maxSize(maxSize)
                .defaultTtl(defaultTtl)
                .ticker(ticker::getAsLong)
                .executor(Runnable::run)
                .meterRegistry(registry)
                .pressureRegistry(pressure)
                .build();
    }

    private CaffeineQueryCache caffeine() {
        return (CaffeineQueryCache) cache;
    }

    @Test
    void replace_isACompareAndSetOnTheInstance_countingNoHitOrMiss() {
        List<String> held = List.of("a");
        cache.set("k", held, Duration.ofSeconds(10));
        var before = cache.stats();
        assertThat(cache.replace("k", held, List.of("b"))).isTrue();
        assertThat(cache.replace("k", held, List.of("c")))
                .as("no longer the value held")
                .isFalse();
        assertThat(cache.stats().hits()).isEqualTo(before.hits());
        assertThat(cache.stats().misses()).isEqualTo(before.misses());
        Object current = cache.get("k");
        assertThat(current).isEqualTo(List.of("b"));
        cache.close();
        assertThat(cache.replace("k", current, List.of("d"))).as("closed").isFalse();
    }

    /** Four threads replace the same value at once: exactly one wins, and its value is the one held. */
    @Test
    void concurrentReplacesOfOneValue_exactlyOneWins() throws Exception {
        for (int round = 0; round < 200; round++) {
            List<String> held = List.of("held", String.valueOf(round));
            cache.set("k", held, Duration.ofMinutes(1));
            List<Object> offered = List.of(List.of("a"), List.of("b"), List.of("c"), List.of("d"));
            AtomicInteger wins = new AtomicInteger();
            java.util.concurrent.atomic.AtomicReference<Object> winner =
                    new java.util.concurrent.atomic.AtomicReference<>();
            dev.perfkit.Concurrently.run(4, 30, thread -> {
                if (cache.replace("k", held, offered.get(thread))) {
                    wins.incrementAndGet();
                    winner.set(offered.get(thread));
                }
            });
            assertThat(wins).as("round %d", round).hasValue(1);
            assertThat(cache.get("k")).as("round %d", round).isSameAs(winner.get());
        }
    }

    @Test
    void create_takesSizeTtlAndRegistryFromConfig() {
        SimpleMeterRegistry meters = new SimpleMeterRegistry();
        PerfConfig config = PerfConfig.builder()
                .queryCacheSize(1234)
                .queryCacheTtl(Duration.ofSeconds(42))
                .meterRegistry(meters)
                .build();

        try (CaffeineQueryCache created = CaffeineQueryCache.create(config)) {
            assertThat(created.getMaxSize()).isEqualTo(1234);
            assertThat(created.defaultTtl()).isEqualTo(Duration.ofSeconds(42));
            assertThat(created.name()).isEqualTo("query-cache");
            assertThat(meters.find("cache.size").tag("cache", "query-cache").gauge())
                    .isNotNull();
        }
    }

    @Test
    void perf_getQueryCache_isCaffeineFromServiceLoader() {
        Perf.reset();
        try {
            Perf.configure(PerfConfig.builder()
                    .queryCacheSize(321)
                    .meterRegistry(new SimpleMeterRegistry())
                    .build());

            QueryCache fromFacade = Perf.getQueryCache();

            assertThat(fromFacade).isInstanceOf(CaffeineQueryCache.class);
            assertThat(fromFacade.getMaxSize()).isEqualTo(321);
            assertThat(Perf.getQueryCache()).isSameAs(fromFacade);
        } finally {
            Perf.reset();
        }
    }

    @Test
    void peek_countsNoHitOrMiss() {
        cache.set("a", 1);
        CacheStats before = cache.stats();

        assertThat(cache.peek("a")).isEqualTo(1);
        assertThat(cache.peek("missing")).isNull();

        assertThat(cache.stats().hits()).isEqualTo(before.hits());
        assertThat(cache.stats().misses()).isEqualTo(before.misses());
    }

    @Test
    void metrics_publishTheSameNumbersAsStats() {
        cache.set("a", 1);
        cache.get("a");
        cache.get("a");
        cache.get("missing");
        cache.getOrLoad("loaded", Duration.ofMinutes(1), () -> "v");

        CacheStats stats = cache.stats();
        assertThat(registry.get("cache.gets")
                        .tag("cache", "contract")
                        .tag("result", "hit")
                        .functionCounter()
                        .count())
                .isEqualTo(stats.hits());
        assertThat(registry.get("cache.gets")
                        .tag("cache", "contract")
                        .tag("result", "miss")
                        .functionCounter()
                        .count())
                .isEqualTo(stats.misses());
        assertThat(registry.get("cache.size").tag("cache", "contract").gauge().value())
                .isEqualTo(stats.size());
        assertThat(stats.hits()).isEqualTo(2);
        assertThat(stats.misses()).isEqualTo(2);
        assertThat(stats.loadSuccesses()).isEqualTo(1);
        assertThat(stats.totalLoadTime()).isPositive();
    }

    @Test
    void close_removesMetersAndUnregistersFromPressure() {
        assertThat(registry.find("cache.gets").tag("cache", "contract").meters())
                .isNotEmpty();
        assertThat(pressure.size()).isEqualTo(1);

        cache.close();

        assertThat(registry.find("cache.gets").tag("cache", "contract").meters())
                .isEmpty();
        assertThat(pressure.size()).isZero();
    }

    @Test
    void twoCachesWithTheDefaultName_oneRegistry_ownTheirMeters() {
        SimpleMeterRegistry shared = new SimpleMeterRegistry();
        CaffeineQueryCache first = CaffeineQueryCache.builder()
                .meterRegistry(shared)
                .pressureRegistry(pressure)
                .build();
        CaffeineQueryCache second = CaffeineQueryCache.builder()
                .meterRegistry(shared)
                .pressureRegistry(pressure)
                .build();
        try {
            first.set("a", 1);
            first.get("a");
            second.set("b", 1);
            second.get("b");
            second.get("b");

            assertThat(first.meterTag()).isNotEqualTo(second.meterTag());
            assertThat(hits(shared, first)).isEqualTo(first.stats().hits()).isEqualTo(1);
            assertThat(hits(shared, second)).isEqualTo(second.stats().hits()).isEqualTo(2);

            first.close();

            assertThat(shared.find("cache.gets").tag("cache", first.meterTag()).meters())
                    .isEmpty();
            assertThat(hits(shared, second)).isEqualTo(2);
        } finally {
            first.close();
            second.close();
        }
        assertThat(shared.getMeters()).isEmpty();
    }

    private static double hits(MeterRegistry registry, CaffeineQueryCache cache) {
        return registry.get("cache.gets")
                .tag("cache", cache.meterTag())
                .tag("result", "hit")
                .functionCounter()
                .count();
    }

    @Test
    void memoryPressure_moderateDropsColdestHalf_criticalDropsAll() {
        for (int i = 0; i < 100; i++) {
            cache.set("k" + i, i);
        }
        for (int round = 0; round < 5; round++) {
            for (int i = 0; i < 10; i++) {
                cache.get("k" + i); // the first ten are hot
            }
        }

        List<String> moderate = pressure.relieve(MemoryPressureLevel.MODERATE);

        assertThat(moderate).singleElement().asString().contains("dropped 50 of 100");
        assertThat(cache.stats().size()).isEqualTo(50);
        for (int i = 0; i < 10; i++) {
            assertThat(cache.get("k" + i)).as("hot key k%d survives", i).isEqualTo(i);
        }

        caffeine().relieveMemoryPressure(MemoryPressureLevel.CRITICAL);
        assertThat(cache.stats().size()).isZero();
    }

    @Test
    void cacheNullsFor_remembersAbsenceForItsTtl() {
        try (CaffeineQueryCache absent = CaffeineQueryCache.builder()
                .name("absent")
                .cacheNullsFor(Duration.ofSeconds(10))
                .ticker(ticker::getAsLong)
                .executor(Runnable::run)
                .meterRegistry(registry)
                .pressureRegistry(pressure)
                .build()) {
            AtomicInteger loads = new AtomicInteger();

            assertThat(absent.getOrLoad("user:404", Duration.ofMinutes(5), () -> {
                        loads.incrementAndGet();
                        return (String) null;
                    }))
                    .isNull();
            assertThat(absent.getOrLoad("user:404", Duration.ofMinutes(5), () -> "found" + loads.incrementAndGet()))
                    .isNull();
            assertThat(absent.get("user:404")).isNull();
            assertThat(loads).hasValue(1);

            ticker.advance(Duration.ofSeconds(11));
            assertThat(absent.getOrLoad("user:404", Duration.ofMinutes(5), () -> "found" + loads.incrementAndGet()))
                    .isEqualTo("found2");
        }
    }

    @Test
    void builder_rejectsBadValuesWithTheValue() {
        CaffeineQueryCache.Builder builder = CaffeineQueryCache.builder();
        assertThatThrownBy(() -> builder.maxSize(-1)).hasMessage("maxSize must be zero or positive: -1");
        assertThatThrownBy(() -> builder.defaultTtl(Duration.ofSeconds(-2)))
                .hasMessage("defaultTtl must not be negative: PT-2S");
        assertThatThrownBy(() -> builder.cacheNullsFor(Duration.ZERO)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> builder.name("")).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> builder.ticker(null)).hasMessage("ticker");
    }

    @Test
    void invalidatePrefix_findsKeysRewrittenAfterExpiryOrEviction() {
        cache.set("user:1:a", "old", Duration.ofSeconds(10));
        ticker.advance(Duration.ofSeconds(11)); // expired; Caffeine drops it lazily
        cache.set("user:1:a", "new", Duration.ofMinutes(1));
        cache.getOrLoad("user:1:b", Duration.ofSeconds(10), () -> "loaded");
        ticker.advance(Duration.ofSeconds(11));
        cache.getOrLoad("user:1:b", Duration.ofMinutes(1), () -> "reloaded");
        cache.setMaxSize(1);
        cache.setMaxSize(100);
        cache.set("user:1:a", "again");
        cache.set("user:1:b", "again");

        assertThat(cache.invalidatePrefix("user:1:")).isEqualTo(2);
        assertThat(cache.get("user:1:a")).isNull();
        assertThat(cache.get("user:1:b")).isNull();
    }

    @Test
    void set_hugeTtl_doesNotOverflow() {
        cache.set("forever", "v", Duration.ofDays(365L * 1000));

        ticker.advance(Duration.ofDays(365));

        assertThat(cache.get("forever")).isEqualTo("v");
    }

    /**
     * 16 threads × 100k mixed operations on a small key space. Afterwards: the size bound holds,
     * every lookup was counted as exactly one hit or miss, and every key a thread invalidated after
     * its own last write stays gone.
     */
    @Test
    void mixedOperations_sixteenThreads_keepInvariants() throws Exception {
        long seed = System.nanoTime();
        System.out.println("CaffeineQueryCacheTest.mixedOperations seed=" + seed);
        int threads = 16;
        int operations = 100_000;
        long maxSize = 500;
        cache.setMaxSize(maxSize);
        AtomicInteger lookups = new AtomicInteger();
        ExecutorService pool = Executors.newFixedThreadPool(threads);
        CountDownLatch start = new CountDownLatch(1);
        try {
            List<Future<List<String>>> results = new ArrayList<>();
            for (int t = 0; t < threads; t++) {
                SplittableRandom random = new SplittableRandom(seed + t);
                int thread = t;
                results.add(pool.submit(() -> {
                    start.await();
                    int myLookups = 0;
                    for (int i = 0; i < operations; i++) {
                        String shared = "shared:" + random.nextInt(2_000);
                        switch (random.nextInt(10)) {
                            case 0, 1 -> cache.set(shared, i, Duration.ofMinutes(1 + random.nextInt(10)));
                            case 2 -> cache.invalidate(shared);
                            case 3 -> {
                                cache.getOrLoad(shared, Duration.ofMinutes(1), () -> "loaded");
                                myLookups++;
                            }
                            case 4 -> {
                                if (random.nextInt(1_000) == 0) {
                                    cache.invalidatePrefix("shared:1");
                                }
                            }
                            default -> {
                                cache.get(shared);
                                myLookups++;
                            }
                        }
                    }
                    lookups.addAndGet(myLookups);
                    // Keys only this thread writes: set, then invalidate as the last word.
                    List<String> invalidated = new ArrayList<>();
                    for (int i = 0; i < 200; i++) {
                        String own = "own:" + thread + ":" + i;
                        cache.set(own, i);
                        cache.invalidate(own);
                        invalidated.add(own);
                    }
                    return invalidated;
                }));
            }
            start.countDown();
            List<String> invalidated = new ArrayList<>();
            for (Future<List<String>> result : results) {
                invalidated.addAll(result.get(120, TimeUnit.SECONDS));
            }
            CacheStats before = cache.stats();
            assertThat(before.size()).as("seed %d", seed).isLessThanOrEqualTo(maxSize);
            assertThat(before.hits() + before.misses()).as("seed %d", seed).isEqualTo(lookups.get());
            for (String key : invalidated) {
                assertThat(cache.get(key)).as("seed %d key %s", seed, key).isNull();
            }
        } finally {
            pool.shutdownNow();
        }
    }
}
