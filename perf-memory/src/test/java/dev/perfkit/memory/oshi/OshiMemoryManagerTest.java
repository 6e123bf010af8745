package dev.perfkit.memory.oshi;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;
import static org.awaitility.Awaitility.await;

import dev.perfkit.Perf;
import dev.perfkit.PerfConfig;
import dev.perfkit.memory.LeakReport;
import dev.perfkit.memory.MemoryManager;
import dev.perfkit.memory.MemoryManagerContract;
import dev.perfkit.memory.MemoryOptimizationResult;
import dev.perfkit.memory.MemoryPressureLevel;
import dev.perfkit.memory.MemoryPressureListener;
import dev.perfkit.memory.MemoryPressureRegistry;
import dev.perfkit.memory.MemorySample;
import dev.perfkit.memory.MemoryTrend;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

class OshiMemoryManagerTest extends MemoryManagerContract {
    private final SimpleMeterRegistry meters = new SimpleMeterRegistry();

    private PerfConfig.Builder config() {
        return PerfConfig.builder().meterRegistry(meters);
    }

    @Override
    protected MemoryManager createManager(MemoryPressureRegistry registry) {
        return OshiMemoryManager.builder()
                .config(config().build())
                .pressureRegistry(registry)
                .backgroundSampling(false)
                .build();
    }

    @Test
    void trend_linearGrowth_slopeIsExact() {
        Instant start = Instant.parse("2026-01-01T00:00:00Z");
        AtomicInteger minute = new AtomicInteger();
        try (OshiMemoryManager manager = OshiMemoryManager.builder()
                .config(config().memoryTrendSamples(5).build())
                .pressureRegistry(registry)
                .backgroundSampling(false)
                .sampleSource(() -> {
                    int m = minute.getAndIncrement();
                    return new MemorySample(start.plusSeconds(60L * m), 100 + 2.5 * m, 50 - 0.5 * m);
                })
                .build()) {
            for (int i = 0; i < 10; i++) {
                manager.sampleNow();
            }

            MemoryTrend trend = manager.trend();

            assertThat(trend.samples()).hasSize(5); // bounded ring: the last five
            assertThat(trend.samples().get(0).rssMb()).isEqualTo(112.5);
            assertThat(trend.growthMbPerMinute()).isCloseTo(2.5, within(1e-9));
            assertThat(trend.heapGrowthMbPerMinute()).isCloseTo(-0.5, within(1e-9));
        }
    }

    @Test
    void trend_noisyLeak_showsSteadyPositiveSlope() {
        long seed = System.nanoTime();
        System.out.println("OshiMemoryManagerTest.trend_noisyLeak seed=" + seed);
        java.util.SplittableRandom random = new java.util.SplittableRandom(seed);
        Instant start = Instant.now();
        AtomicInteger tick = new AtomicInteger();
        try (OshiMemoryManager manager = OshiMemoryManager.builder()
                .config(config().memoryTrendSamples(120).build())
                .pressureRegistry(registry)
                .backgroundSampling(false)
                .sampleSource(() -> {
                    int t = tick.getAndIncrement(); // one sample every 30 s, 1 MB/min leak, ±20 MB noise
                    return new MemorySample(start.plusSeconds(30L * t), 300 + 0.5 * t + random.nextDouble(-20, 20), 0);
                })
                .build()) {
            for (int i = 0; i < 120; i++) {
                manager.sampleNow();
            }

            assertThat(manager.trend().growthMbPerMinute()).as("seed %d", seed).isBetween(0.5, 1.5);
        }
    }

    @Test
    void trend_fewerThanTwoSamples_isFlat() {
        assertThat(manager.trend().growthMbPerMinute()).isZero();
        ((OshiMemoryManager) manager).sampleNow();
        assertThat(manager.trend().samples()).hasSize(1);
        assertThat(manager.trend().growthMbPerMinute()).isZero();
    }

    @Test
    void optimizeMemoryUsage_rateLimitsCollectionsUnlessForced() {
        try (OshiMemoryManager manager = OshiMemoryManager.builder()
                .config(config().gcMinInterval(Duration.ofHours(1)).build())
                .pressureRegistry(registry)
                .backgroundSampling(false)
                .build()) {
            MemoryOptimizationResult first = manager.optimizeMemoryUsage(0);
            MemoryOptimizationResult second = manager.optimizeMemoryUsage(0);
            MemoryOptimizationResult forced = manager.optimizeMemoryUsage(0, true);

            assertThat(first.actions()).anyMatch(action -> action.startsWith("collected garbage"));
            assertThat(second.actions()).anyMatch(action -> action.startsWith("collection skipped"));
            assertThat(second.actions()).noneMatch(action -> action.startsWith("collected garbage"));
            assertThat(forced.actions()).anyMatch(action -> action.startsWith("collected garbage"));
            assertThat(manager.getMemoryReport().lastCollection()).isPresent();
        }
    }

    @Test
    void optimizeMemoryUsage_listenersAreAskedOnlyAboveTheThreshold() {
        List<MemoryPressureLevel> asked = new CopyOnWriteArrayList<>();
        MemoryPressureListener listener = level -> {
            asked.add(level);
            return "shrunk";
        };
        registry.register(listener);

        manager.optimizeMemoryUsage(1_000_000);
        assertThat(asked).isEmpty();

        manager.optimizeMemoryUsage(1);
        assertThat(asked).containsExactly(MemoryPressureLevel.MODERATE);
    }

    @Test
    void memoryLimit_crossed_reliefRunsOncePerEpisode() {
        List<MemoryPressureLevel> asked = new CopyOnWriteArrayList<>();
        MemoryPressureListener listener = level -> {
            asked.add(level);
            return "cache shrunk";
        };
        registry.register(listener);
        try (OshiMemoryManager manager = OshiMemoryManager.builder()
                .config(config().memoryLimitMb(1).build()) // any real process is above 1 MB
                .pressureRegistry(registry)
                .backgroundSampling(false)
                .build()) {
            manager.sampleNow();
            manager.sampleNow();

            assertThat(manager.pressureEpisodes()).isEqualTo(1);
            assertThat(asked).containsExactly(MemoryPressureLevel.MODERATE);
            assertThat(manager.lastAutomaticRelief()).hasValueSatisfying(result -> {
                assertThat(result.acted()).isTrue();
                assertThat(result.actions()).contains("cache shrunk");
            });
        }
    }

    @Test
    void memoryLimit_reliefOff_doesNothing() {
        List<MemoryPressureLevel> asked = new CopyOnWriteArrayList<>();
        MemoryPressureListener listener = level -> {
            asked.add(level);
            return "x";
        };
        registry.register(listener);
        try (OshiMemoryManager manager = OshiMemoryManager.builder()
                .config(config().memoryLimitMb(1).memoryPressureRelief(false).build())
                .pressureRegistry(registry)
                .backgroundSampling(false)
                .build()) {
            manager.sampleNow();

            assertThat(manager.pressureEpisodes()).isZero();
            assertThat(asked).isEmpty();
        }
    }

    @Test
    void backgroundSampler_isOneDaemonThreadStoppedByClose() {
        OshiMemoryManager sampling = OshiMemoryManager.builder()
                .config(config().build())
                .pressureRegistry(registry)
                .build();

        await().untilAsserted(() -> assertThat(sampling.trend().samples()).isNotEmpty());
        assertThat(threadsNamed("perfkit-memory")).isNotEmpty().allMatch(Thread::isDaemon);

        sampling.close();
        await().untilAsserted(() -> assertThat(threadsNamed("perfkit-memory")).isEmpty());
    }

    private static List<Thread> threadsNamed(String name) {
        List<Thread> found = new ArrayList<>();
        Thread.getAllStackTraces().keySet().forEach(thread -> {
            if (thread.getName().equals(name) && thread.isAlive()) {
                found.add(thread);
            }
        });
        return found;
    }

    @Test
    void getMemoryUsage_reusesAReadingWithinTheCacheInterval() {
        try (OshiMemoryManager manager = OshiMemoryManager.builder()
                .config(config().memoryReadCache(Duration.ofHours(1)).build())
                .pressureRegistry(registry)
                .backgroundSampling(false)
                .build()) {
            double first = manager.getMemoryUsage();
            byte[][] ballast = new byte[64][];
            for (int i = 0; i < ballast.length; i++) {
                ballast[i] = new byte[1024 * 1024];
            }

            assertThat(manager.getMemoryUsage()).isEqualTo(first);
            assertThat(ballast[63]).isNotNull();
        }
    }

    @Test
    void trackObject_pastTheCap_samplesAndSaysSo() {
        try (OshiMemoryManager manager = OshiMemoryManager.builder()
                .config(config().maxTrackedObjects(10).build())
                .pressureRegistry(registry)
                .backgroundSampling(false)
                .build()) {
            List<Object> held = new ArrayList<>();
            for (int i = 0; i < 5_000; i++) {
                Object object = new Object();
                held.add(object);
                manager.trackObject(object, "session", Duration.ofHours(1));
            }

            LeakReport report = manager.checkTrackedObjects();

            assertThat(report.trackedCount()).isBetween(10L, 12L); // the cap plus at most a quarter
            assertThat(report.sampling()).isTrue();
            assertThat(report.samplingRate()).isLessThan(0.1);
            assertThat(held).hasSize(5_000);
        }
    }

    @Test
    void checkTrackedObjects_countsEveryHeldObjectOfAName() {
        List<Object> sessions = List.of(new Object(), new Object(), new Object());
        sessions.forEach(session -> manager.trackObject(session, "session", Duration.ZERO));
        manager.trackObject(new Object(), "request", Duration.ofHours(1));

        await().untilAsserted(() -> assertThat(manager.checkTrackedObjects().suspects())
                .singleElement()
                .satisfies(suspect -> {
                    assertThat(suspect.name()).isEqualTo("session");
                    assertThat(suspect.aliveCount()).isEqualTo(3);
                    assertThat(suspect.expectedLifetime()).isZero();
                }));
        assertThat(sessions).hasSize(3);
    }

    @Test
    void meters_publishedAndRemovedOnClose() {
        assertThat(meters.get("perfkit.memory.rss").gauge().value()).isPositive();
        assertThat(meters.find("perfkit.memory.tracked.objects").gauge()).isNotNull();
        assertThat(meters.find("perfkit.memory.leak.suspects").gauge()).isNotNull();
        assertThat(meters.find("perfkit.memory.growth.rate").gauge()).isNotNull();

        manager.close();

        assertThat(meters.find("perfkit.memory.rss").gauge()).isNull();
    }

    @Test
    void perf_getMemoryManager_isOshiFromServiceLoader() {
        Perf.reset();
        try {
            Perf.configure(config().build());

            MemoryManager fromFacade = Perf.getMemoryManager();

            assertThat(fromFacade).isInstanceOf(OshiMemoryManager.class).isSameAs(Perf.getMemoryManager());
        } finally {
            Perf.reset();
        }
    }

    @Test
    void memoryIntensive_aboveTheLimit_reliefOncePerEpisode_notOncePerCall() {
        List<MemoryPressureLevel> asked = new CopyOnWriteArrayList<>();
        registry.register(level -> {
            asked.add(level);
            return "halved";
        });
        try (OshiMemoryManager manager = OshiMemoryManager.builder()
                .config(config().memoryLimitMb(1).build()) // any real process is above 1 MB
                .pressureRegistry(registry)
                .backgroundSampling(false)
                .build()) {
            for (int i = 0; i < 5; i++) {
                assertThat(manager.memoryIntensive("work", () -> 42)).isEqualTo(42);
            }

            assertThat(asked).containsExactly(MemoryPressureLevel.MODERATE);
            assertThat(manager.pressureEpisodes()).isEqualTo(1);
        }
    }

    @Test
    void twoManagersOnOneRegistry_ownTheirMeters() {
        SimpleMeterRegistry shared = new SimpleMeterRegistry();
        OshiMemoryManager first = OshiMemoryManager.builder()
                .config(PerfConfig.builder().meterRegistry(shared).build())
                .pressureRegistry(registry)
                .backgroundSampling(false)
                .build();
        OshiMemoryManager second = OshiMemoryManager.builder()
                .config(PerfConfig.builder().meterRegistry(shared).build())
                .pressureRegistry(registry)
                .backgroundSampling(false)
                .build();
        Object held = new Object();
        second.trackObject(held, "session");

        assertThat(first.meterTag()).isNotEqualTo(second.meterTag());
        assertThat(shared.get("perfkit.memory.tracked.objects")
                        .tag("name", first.meterTag())
                        .gauge()
                        .value())
                .isZero();
        assertThat(shared.get("perfkit.memory.tracked.objects")
                        .tag("name", second.meterTag())
                        .gauge()
                        .value())
                .isEqualTo(1);
        first.close();
        assertThat(shared.find("perfkit.memory.rss")
                        .tag("name", second.meterTag())
                        .gauge())
                .isNotNull();
        second.close();
        assertThat(shared.getMeters()).isEmpty();
        assertThat(held).isNotNull();
    }
}
