package dev.perfkit.db;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.perfkit.Perf;
import dev.perfkit.PerfConfig;
import dev.perfkit.profile.IndexRecommendation;
import dev.perfkit.profile.ProfilerScope;
import dev.perfkit.profile.QueryProfiler;
import dev.perfkit.profile.QueryProfilerContract;
import dev.perfkit.profile.SlowQuery;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Duration;
import java.time.temporal.ChronoUnit;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.bson.Document;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

class MicrometerQueryProfilerTest extends QueryProfilerContract {
    private final SimpleMeterRegistry meters = new SimpleMeterRegistry();

    @Override
    protected QueryProfiler createProfiler(Duration slowThreshold, int nPlusOneThreshold) {
        return MicrometerQueryProfiler.create(PerfConfig.builder()
                .slowQueryThreshold(slowThreshold)
                .nPlusOneThreshold(nPlusOneThreshold)
                .slowQueryLogSize(100)
                .meterRegistry(meters)
                .build());
    }

    private static Document doc(Object... keyValues) {
        Document document = new Document();
        for (int i = 0; i < keyValues.length; i += 2) {
            document.append((String) keyValues[i], keyValues[i + 1]);
        }
        return document;
    }

    @Test
    void slowLog_isBoundedUnder200kRecords_andKeepsTheNewest() {
        for (int i = 0; i < 200_000; i++) {
            profiler.recordQuery("users", "find", doc("n", i), Duration.ofMillis(100 + i % 7), true, 1);
        }

        List<SlowQuery> slow = profiler.getSlowQueries();

        assertThat(slow).hasSize(100);
        assertThat(profiler.getStats().slowQueries()).isEqualTo(200_000);
        // newest first: the last record was i = 199_999, 100 + 199_999 % 7 = 102 ms
        assertThat(slow.get(0).duration()).isEqualTo(Duration.ofMillis(100 + 199_999 % 7));
        assertThat(slow.get(1).duration()).isEqualTo(Duration.ofMillis(100 + 199_998 % 7));
    }

    @Test
    void getStats_percentilesFromTheDistribution() {
        for (int i = 1; i <= 100; i++) {
            profiler.recordQuery("users", "find", doc("a", 1), Duration.ofMillis(i), true, 1);
        }

        var stats = profiler.getStats();

        assertThat(stats.p50().toMillis()).isBetween(49L, 51L);
        assertThat(stats.p95().toMillis()).isBetween(94L, 96L);
        assertThat(stats.p99().toMillis()).isBetween(98L, 100L);
        assertThat(stats.avgQueryTime()).isEqualTo(Duration.ofNanos(50_500_000));
    }

    @Test
    void meters_timerByCollectionOperationStatus_andSlowCounter() {
        profiler.recordQuery("users", "find", doc("a", 1), Duration.ofMillis(5), true, 1);
        profiler.recordQuery("users", "find", doc("a", 1), Duration.ofMillis(500), false, 0);

        assertThat(meters.get("perfkit.query")
                        .tags("collection", "users", "operation", "find", "status", "success")
                        .timer()
                        .count())
                .isEqualTo(1);
        assertThat(meters.get("perfkit.query").tags("status", "error").timer().count())
                .isEqualTo(1);
        assertThat(meters.get("perfkit.query.slow")
                        .tags("collection", "users")
                        .counter()
                        .count())
                .isEqualTo(1.0);

        profiler.close();
        assertThat(meters.find("perfkit.query").timers()).isEmpty();
    }

    @Test
    void scope_nested_countsForTheOuterCommandToo() {
        try (ProfilerScope command = profiler.scope("leaderboard")) {
            for (int i = 0; i < 5; i++) {
                try (ProfilerScope perUser = profiler.scope("render-user")) {
                    profiler.recordQuery("users", "find", doc("user_id", i), Duration.ofMillis(1), true, 1);
                }
            }
        }

        assertThat(profiler.getNPlusOneWarnings()).singleElement().satisfies(warning -> assertThat(warning.scope())
                .isEqualTo("leaderboard"));
    }

    @Test
    void scope_isPerThread() throws Exception {
        try (ProfilerScope scope = profiler.scope("main-thread")) {
            Thread other = new Thread(() -> {
                for (int i = 0; i < 10; i++) {
                    profiler.recordQuery("users", "find", doc("user_id", i), Duration.ofMillis(1), true, 1);
                }
            });
            other.start();
            other.join();
        }

        assertThat(profiler.getNPlusOneWarnings()).isEmpty();
    }

    /** Ten shapes and the index each should get, in ESR order. */
    static List<Arguments> esrShapes() {
        return List.of(
                Arguments.of(doc("guild_id", 1), doc(), "{guild_id=1}"),
                Arguments.of(doc("guild_id", 1, "user_id", 2), doc(), "{guild_id=1, user_id=1}"),
                Arguments.of(doc("balance", doc("$gt", 5)), doc(), "{balance=1}"),
                Arguments.of(doc("guild_id", 1, "balance", doc("$gt", 5)), doc(), "{guild_id=1, balance=1}"),
                Arguments.of(doc("guild_id", 1), doc("balance", -1), "{guild_id=1, balance=-1}"),
                Arguments.of(
                        doc("balance", doc("$gte", 5), "guild_id", 1),
                        doc("joined", 1),
                        "{guild_id=1, joined=1, balance=1}"),
                Arguments.of(
                        doc("status", doc("$in", List.of("a", "b")), "guild_id", 1), doc(), "{guild_id=1, status=1}"),
                Arguments.of(
                        doc("status", doc("$in", List.of("a")), "level", doc("$lt", 3)), doc(), "{status=1, level=1}"),
                Arguments.of(
                        doc("name", java.util.regex.Pattern.compile("^a"), "guild_id", 2),
                        doc("name", 1),
                        "{guild_id=1, name=1}"),
                Arguments.of(
                        doc("$or", List.of(doc("tier", 1), doc("tier", 2)), "guild_id", 3),
                        doc("score", -1),
                        "{guild_id=1, score=-1, tier=1}"),
                Arguments.of(
                        doc("items", doc("$elemMatch", doc("sku", "x", "qty", doc("$gt", 1)))),
                        doc(),
                        "{items.sku=1, items.qty=1}"));
    }

    @ParameterizedTest
    @MethodSource("esrShapes")
    void recommendIndexes_esrOrder(Document query, Document sort, String expectedKeys) {
        profiler.recordQuery("accounts", "find", query, sort, Duration.ofMillis(20), true, 1);

        assertThat(profiler.recommendIndexes())
                .singleElement()
                .satisfies(r -> assertThat(r.keys().toString()).isEqualTo(expectedKeys));
    }

    @Test
    void recommendIndexes_mergesPrefixesAndRanksByTime() {
        for (int i = 0; i < 30; i++) {
            profiler.recordQuery("accounts", "find", doc("guild_id", i), Duration.ofMillis(10), true, 1);
        }
        for (int i = 0; i < 20; i++) {
            profiler.recordQuery(
                    "accounts", "find", doc("guild_id", i, "balance", doc("$gt", 0)), Duration.ofMillis(5), true, 1);
        }
        for (int i = 0; i < 10; i++) {
            profiler.recordQuery("users", "find", doc("name", "x" + i), Duration.ofMillis(100), true, 1);
        }

        List<IndexRecommendation> recommendations = profiler.recommendIndexes();

        assertThat(recommendations).hasSize(2);
        IndexRecommendation first = recommendations.get(0);
        assertThat(first.collection()).isEqualTo("users"); // 1 s in total beats 0.4 s
        IndexRecommendation merged = recommendations.get(1);
        assertThat(merged.keys()).containsExactly(Map.entry("guild_id", 1), Map.entry("balance", 1));
        assertThat(merged.queryCount()).isEqualTo(50);
        assertThat(merged.totalTime()).isEqualTo(Duration.ofMillis(400));
        assertThat(merged.reason()).isEqualTo("50 queries, 400 ms total, equality on guild_id, range on balance");
    }

    @Test
    void recommendIndexes_skipsIdEqualityAndCapsKeys() {
        profiler.recordQuery("users", "find", doc("_id", 1, "guild_id", 2), Duration.ofMillis(50), true, 1);
        Document wide = new Document(new LinkedHashMap<>());
        for (int i = 0; i < 9; i++) {
            wide.append("f" + i, i);
        }
        profiler.recordQuery("wide", "find", wide, Duration.ofMillis(50), true, 1);

        assertThat(profiler.recommendIndexes()).singleElement().satisfies(r -> {
            assertThat(r.collection()).isEqualTo("wide");
            assertThat(r.keys()).hasSize(IndexAdvice.MAX_KEYS);
        });
    }

    @Test
    void recordQuery_randomQueries_neverLeakLiterals() {
        long seed = System.nanoTime();
        System.out.println("MicrometerQueryProfilerTest.neverLeakLiterals seed=" + seed);
        SplittableRandom random = new SplittableRandom(seed);
        for (int i = 0; i < 5_000; i++) {
            String secret = "secret" + random.nextInt(1_000_000);
            Document query =
                    switch (random.nextInt(4)) {
                        case 0 -> doc("user_id", secret);
                        case 1 -> doc("name", doc("$in", List.of(secret, secret + "x")));
                        case 2 -> doc("$or", List.of(doc("a", secret), doc("b", doc("$gt", secret))));
                        default -> doc("profile", doc("email", secret));
                    };
            try (ProfilerScope scope = profiler.scope("cmd")) {
                profiler.recordQuery(
                        "users", "find", query, Duration.ofMillis(random.nextInt(300)), random.nextBoolean(), 1);
            }
        }
        String everything = profiler.getStats() + " " + profiler.getSlowQueries() + " " + profiler.getNPlusOneWarnings()
                + " " + profiler.recommendIndexes();

        assertThat(everything).as("seed %d", seed).doesNotContain("secret");
    }

    @Test
    void perf_getQueryProfiler_isMicrometerFromServiceLoader() {
        Perf.reset();
        try {
            Perf.configure(PerfConfig.builder()
                    .meterRegistry(new SimpleMeterRegistry())
                    .build());
            assertThat(Perf.getQueryProfiler()).isInstanceOf(MicrometerQueryProfiler.class);
            try (var processor = Perf.<String>batchProcessor(batch -> {}).build()) {
                assertThat(processor).isInstanceOf(Resilience4jBatchProcessor.class);
            }
        } finally {
            Perf.reset();
        }
    }

    @Test
    void hundredThousandCollectionNames_boundedMeters_restCountedAsOther() {
        for (int i = 0; i < 100_000; i++) {
            profiler.recordQuery("guild_" + i, "find", doc("n", 1), Duration.ofMillis(1), true, 1);
        }

        assertThat(meters.find("perfkit.query").meters())
                .hasSizeLessThanOrEqualTo(MicrometerQueryProfiler.MAX_COLLECTIONS + 1);
        assertThat(profiler.getStats().totalQueries()).isEqualTo(100_000);
        assertThat(profiler.getStats().operations()).anySatisfy(op -> {
            assertThat(op.collection()).isEqualTo(MicrometerQueryProfiler.OTHER);
            assertThat(op.count()).isEqualTo(100_000 - MicrometerQueryProfiler.MAX_COLLECTIONS);
        });
    }

    @Test
    void twoProfilersOnOneRegistry_ownTheirMeters() {
        SimpleMeterRegistry shared = new SimpleMeterRegistry();
        MicrometerQueryProfiler first = MicrometerQueryProfiler.create(
                PerfConfig.builder().meterRegistry(shared).build());
        MicrometerQueryProfiler second = MicrometerQueryProfiler.create(
                PerfConfig.builder().meterRegistry(shared).build());
        first.recordQuery("users", "find", doc("n", 1), Duration.ofMillis(1), true, 1);
        second.recordQuery("users", "find", doc("n", 1), Duration.ofMillis(1), true, 1);
        second.recordQuery("users", "find", doc("n", 1), Duration.ofMillis(1), true, 1);

        assertThat(shared.get("perfkit.query")
                        .tag("name", first.meterTag())
                        .timer()
                        .count())
                .isEqualTo(1);
        assertThat(shared.get("perfkit.query")
                        .tag("name", second.meterTag())
                        .timer()
                        .count())
                .isEqualTo(2);
        first.close();
        assertThat(shared.get("perfkit.query")
                        .tag("name", second.meterTag())
                        .timer()
                        .count())
                .isEqualTo(2);
        second.close();
        assertThat(shared.getMeters()).isEmpty();
    }

    @Test
    void closed_registersNoMeters_andProfileStillRunsTheCall() {
        profiler.close();

        profiler.recordQuery("late", "find", doc("n", 1), Duration.ofMillis(1), true, 1);
        assertThat(profiler.profile("late", "find", doc("n", 1), () -> 7)).isEqualTo(7);

        assertThat(meters.find("perfkit.query").tag("collection", "late").meters())
                .isEmpty();
    }

    @Test
    void deepQuery_failsBeforeTheHostsCall_neverAfterIt() {
        Document query = doc("x", 1);
        for (int i = 0; i < 10_000; i++) {
            query = doc("$or", List.of(query, doc("y", i)));
        }
        Document deep = query;
        boolean[] ran = {false};

        assertThatThrownBy(() -> profiler.profile("users", "find", deep, () -> ran[0] = true))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("deeper than 100");
        assertThat(ran[0]).isFalse();
        assertThatThrownBy(() -> profiler.recordQuery("users", "find", deep, Duration.ofMillis(1), true, 1))
                .isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void centuries_areRefusedAtTheBoundary() {
        assertThatThrownBy(() -> profiler.setSlowThreshold(ChronoUnit.CENTURIES.getDuration()))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("threshold must be at most 365 days");
        assertThatThrownBy(() ->
                        profiler.recordQuery("users", "find", doc("n", 1), ChronoUnit.CENTURIES.getDuration(), true, 1))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("duration");
    }
}
