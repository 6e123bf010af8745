package dev.perfkit.profile;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.perfkit.Concurrently;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The contract of {@link QueryProfiler} (DESIGN.md §3), run by every implementation.
 */
public abstract class QueryProfilerContract {
    /** A literal that must never appear in any output of the profiler. */
    protected static final String SECRET = "user-secret-9876";

    /** The profiler under test. */
    protected QueryProfiler profiler;

    /**
     * Creates a profiler.
     *
     * @param slowThreshold the slow-query threshold
     * @param nPlusOneThreshold runs of one shape within a scope that make an N+1 warning
     * @return a new profiler
     */
    protected abstract QueryProfiler createProfiler(Duration slowThreshold, int nPlusOneThreshold);

    @BeforeEach
    void createProfilerUnderTest() {
        profiler = createProfiler(Duration.ofMillis(100), 5);
    }

    @AfterEach
    void closeProfilerUnderTest() {
        profiler.close();
    }

    private void record(String collection, Map<String, ?> query, long millis, boolean success) {
        profiler.recordQuery(collection, "find", query, Duration.ofMillis(millis), success, 1);
    }

    @Test
    void getStats_exactOnKnownInputs() {
        record("users", Map.of("user_id", SECRET), 10, true);
        record("users", Map.of("user_id", SECRET), 30, true);
        record("users", Map.of("user_id", SECRET), 150, false);
        record("guilds", Map.of("guild_id", 1), 210, true);

        ProfilerStats stats = profiler.getStats();

        assertThat(stats.totalQueries()).isEqualTo(4);
        assertThat(stats.slowQueries()).isEqualTo(2);
        assertThat(stats.avgQueryTime()).isEqualTo(Duration.ofMillis(100));
        assertThat(stats.errorRate()).isEqualTo(0.25);
        assertThat(stats.operations()).anySatisfy(op -> {
            assertThat(op.collection()).isEqualTo("users");
            assertThat(op.operation()).isEqualTo("find");
            assertThat(op.count()).isEqualTo(3);
            assertThat(op.errors()).isEqualTo(1);
            assertThat(op.totalTime()).isEqualTo(Duration.ofMillis(190));
        });
        assertThat(stats.p99()).isGreaterThanOrEqualTo(stats.p50());
    }

    @Test
    void getSlowQueries_newestFirst_shapesOnly() {
        record("users", Map.of("user_id", SECRET), 100, true);
        record("users", Map.of("name", SECRET), 500, true);
        record("users", Map.of("user_id", SECRET), 99, true);

        List<SlowQuery> slow = profiler.getSlowQueries();

        assertThat(slow).hasSize(2);
        assertThat(slow.get(0).shape()).isEqualTo("{\"name\":\"?string\"}");
        assertThat(slow.get(0).duration()).isEqualTo(Duration.ofMillis(500));
        assertThat(slow.get(1).shape()).isEqualTo("{\"user_id\":\"?string\"}");
        assertThat(slow.toString()).doesNotContain(SECRET);
    }

    @Test
    void noOutput_evenContainsALiteral() {
        try (ProfilerScope scope = profiler.scope("command")) {
            for (int i = 0; i < 6; i++) {
                record("users", Map.of("user_id", SECRET, "balance", Map.of("$gt", 12345)), 300, i % 2 == 0);
            }
        }
        String everything = profiler.getStats() + " " + profiler.getSlowQueries() + " " + profiler.getNPlusOneWarnings()
                + " " + profiler.recommendIndexes();

        assertThat(everything).doesNotContain(SECRET).doesNotContain("12345");
        assertThat(profiler.getSlowQueries()).isNotEmpty();
        assertThat(profiler.getNPlusOneWarnings()).isNotEmpty();
    }

    @Test
    void profile_recordsSuccessAndResultSize() {
        List<String> result = profiler.profile("users", "find", Map.of("a", 1), () -> List.of("x", "y"));

        assertThat(result).containsExactly("x", "y");
        assertThat(profiler.getStats().totalQueries()).isEqualTo(1);
        assertThat(profiler.getStats().errorRate()).isZero();
    }

    @Test
    void profile_rethrowsUnchangedAndRecordsFailure() {
        IllegalStateException failure = new IllegalStateException("db down");

        assertThatThrownBy(() -> profiler.profile("users", "find", Map.of("a", 1), () -> {
                    throw failure;
                }))
                .isSameAs(failure);
        assertThat(profiler.getStats().errorRate()).isEqualTo(1.0);
    }

    @Test
    void badInput_throwsNamingTheParameter() {
        assertThatThrownBy(() -> profiler.recordQuery(null, "find", Map.of(), Duration.ZERO, true, 0))
                .isInstanceOf(NullPointerException.class)
                .hasMessageContaining("collection");
        assertThatThrownBy(() -> profiler.recordQuery("c", "find", null, Duration.ZERO, true, 0))
                .isInstanceOf(NullPointerException.class)
                .hasMessageContaining("query");
        assertThatThrownBy(() -> profiler.recordQuery("c", "find", Map.of(), Duration.ofMillis(-1), true, 0))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("PT-0.001S");
        assertThatThrownBy(() -> profiler.setSlowThreshold(Duration.ofMillis(-5)))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> profiler.scope(null)).isInstanceOf(NullPointerException.class);
    }

    @Test
    void setSlowThreshold_appliesToLaterQueries() {
        profiler.setSlowThreshold(Duration.ofMillis(10));

        record("users", Map.of("a", 1), 20, true);

        assertThat(profiler.getSlowThreshold()).isEqualTo(Duration.ofMillis(10));
        assertThat(profiler.getStats().slowQueries()).isEqualTo(1);
    }

    @Test
    void scope_repeatedShapeAtThreshold_warnsOnce() {
        try (ProfilerScope scope = profiler.scope("leaderboard")) {
            for (int i = 0; i < 7; i++) {
                record("users", Map.of("user_id", i), 1, true);
            }
            record("guilds", Map.of("guild_id", 1), 1, true);
        }

        List<NPlusOneWarning> warnings = profiler.getNPlusOneWarnings();
        assertThat(warnings).hasSize(1);
        NPlusOneWarning warning = warnings.get(0);
        assertThat(warning.scope()).isEqualTo("leaderboard");
        assertThat(warning.collection()).isEqualTo("users");
        assertThat(warning.shape()).isEqualTo("{\"user_id\":\"?number\"}");
        assertThat(warning.count()).isEqualTo(7);
        assertThat(warning.suggestion()).contains("$in");
    }

    @Test
    void scope_belowThreshold_orOutsideAScope_doesNotWarn() {
        try (ProfilerScope scope = profiler.scope("balance")) {
            for (int i = 0; i < 4; i++) {
                record("users", Map.of("user_id", i), 1, true);
            }
        }
        for (int i = 0; i < 20; i++) {
            record("users", Map.of("user_id", i), 1, true);
        }

        assertThat(profiler.getNPlusOneWarnings()).isEmpty();
    }

    @Test
    void scope_repeatedScopes_deduplicateAndCountOccurrences() {
        for (int run = 0; run < 3; run++) {
            try (ProfilerScope scope = profiler.scope("leaderboard")) {
                for (int i = 0; i < 5 + run; i++) {
                    record("users", Map.of("user_id", i), 1, true);
                }
            }
        }

        assertThat(profiler.getNPlusOneWarnings()).singleElement().satisfies(warning -> {
            assertThat(warning.occurrences()).isEqualTo(3);
            assertThat(warning.count()).isEqualTo(7);
        });
    }

    @Test
    void recommendIndexes_equalitySortRangeOrder() {
        for (int i = 0; i < 10; i++) {
            profiler.recordQuery(
                    "accounts",
                    "find",
                    Map.of("balance", Map.of("$gte", i), "guild_id", i),
                    Map.of("joined", -1),
                    Duration.ofMillis(50),
                    true,
                    10);
        }

        List<IndexRecommendation> recommendations = profiler.recommendIndexes();

        assertThat(recommendations).isNotEmpty();
        IndexRecommendation top = recommendations.get(0);
        assertThat(top.collection()).isEqualTo("accounts");
        assertThat(top.keys())
                .containsExactly(Map.entry("guild_id", 1), Map.entry("joined", -1), Map.entry("balance", 1));
        assertThat(top.reason()).contains("10 queries");
    }

    @Test
    void recommendIndexes_neverIdAlone() {
        for (int i = 0; i < 10; i++) {
            record("users", Map.of("_id", i), 200, true);
        }

        assertThat(profiler.recommendIndexes()).noneMatch(r -> r.keys().keySet().equals(java.util.Set.of("_id")));
    }

    @Test
    void reset_forgetsEverything() {
        record("users", Map.of("a", 1), 500, true);

        profiler.reset();

        assertThat(profiler.getStats().totalQueries()).isZero();
        assertThat(profiler.getSlowQueries()).isEmpty();
        assertThat(profiler.recommendIndexes()).isEmpty();
    }

    @Test
    void recordQuery_concurrentThreads_countExactly() throws Exception {
        int threads = 8;
        int perThread = 5_000;
        Concurrently.run(threads, 60, thread -> {
            for (int i = 0; i < perThread; i++) {
                record("c" + (thread % 3), Map.of("k", i), i % 200, i % 10 != 0);
            }
        });
        ProfilerStats stats = profiler.getStats();
        assertThat(stats.totalQueries()).isEqualTo((long) threads * perThread);
        assertThat(stats.errorRate()).isEqualTo(0.1);
        assertThat(stats.operations().stream().mapToLong(OperationStats::count).sum())
                .isEqualTo((long) threads * perThread);
    }
}
