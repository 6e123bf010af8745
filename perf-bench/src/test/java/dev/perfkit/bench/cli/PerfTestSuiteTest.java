package dev.perfkit.bench.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

class PerfTestSuiteTest {

    /**
     * The whole suite with a tiny time budget against the embedded MongoDB: every step runs, reports
     * what {@link PerfTestSuite#FIGURE_IDS} (which budgets are checked against before a run) says,
     * and every timed figure carries its spread.
     */
    @Test
    void run_tinyBudget_reportsExactlyTheDeclaredFigures() {
        List<String> steps = new ArrayList<>();
        Report report =
                new PerfTestSuite(true, null, TimeUnit.MILLISECONDS.toNanos(30)).run((index, name) -> steps.add(name));

        assertThat(steps).hasSize(PerfTestSuite.stepCount());
        assertThat(report.figures()).extracting(Figure::id).containsExactlyElementsOf(PerfTestSuite.FIGURE_IDS);
        assertThat(report.figure("mongo.find.ratio"))
                .hasValueSatisfying(f -> assertThat(f.hasNoise()).isTrue());
        assertThat(report.figure("cache.hit.perfkit")).hasValueSatisfying(f -> {
            assertThat(f.hasNoise()).isTrue();
            assertThat(f.noise()).isNotNegative();
        });
        assertThat(report.figure("memory.rss"))
                .hasValueSatisfying(f -> assertThat(f.hasNoise()).isFalse());
        assertThat(report.figure("cache.stampede.loads")).hasValueSatisfying(f -> assertThat(f.value())
                .as("16 concurrent misses share one load")
                .isEqualTo(1));
    }
}
