package dev.perfkit.bench.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.tuple;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ReportTest {

    private static Report report(double hit, double ratio) {
        return new Report(
                Instant.parse("2026-11-23T09:00:00Z"),
                "quick",
                Map.of("cores", "2"),
                List.of(
                        new Figure("cache.hit.perfkit", "cache", "get, hit", hit, "ns/op", false),
                        new Figure("mongo.find.ratio", "mongo", "uncached / cached", ratio, "x", true),
                        new Figure("batch.throughput", "batch", "add throughput", 2_400_000, "items/s", true)),
                List.of(new Report.Percentiles("find, uncached", 480, 900, 1_500)),
                List.of(new Report.BeforeAfter("find latency (µs)", 480, 3, "µs")),
                List.of(
                        new Report.MemoryPoint(0, 100),
                        new Report.MemoryPoint(1, 120),
                        new Report.MemoryPoint(2, 118)));
    }

    @Test
    void save_writesJsonMarkdownAndHtml(@TempDir Path dir) throws Exception {
        List<Path> files = report(120, 160).save(dir);

        assertThat(files)
                .extracting(p -> p.getFileName().toString())
                .containsExactly("20261123-090000.json", "20261123-090000.md", "20261123-090000.html");
        Map<String, Figure> figures = Report.readFigures(Files.readString(files.get(0)));
        assertThat(figures).containsOnlyKeys("cache.hit.perfkit", "mongo.find.ratio", "batch.throughput");
        assertThat(figures.get("mongo.find.ratio").value()).isEqualTo(160.0);
        assertThat(figures.get("batch.throughput").unit()).isEqualTo("items/s");
        assertThat(Files.readString(files.get(0))).contains("\"latencyPercentiles\"", "\"memory\"", "\"beforeAfter\"");

        String markdown = Files.readString(files.get(1));
        assertThat(markdown)
                .contains("| group | figure | value | unit |")
                .contains("| cache | get, hit | 120 | ns/op |");

        String html = Files.readString(files.get(2));
        assertThat(html).startsWith("<!DOCTYPE html>").contains("<table>");
        assertThat(html.split("<img ", -1))
                .as("percentiles, one before/after and memory charts")
                .hasSize(4);
        assertThat(html).contains("src=\"data:image/png;base64,");
        assertThat(html).doesNotContain("<script").doesNotContain("http://cdn").doesNotContain("<link");
        assertThat(Files.size(files.get(2))).as("a report stays small").isLessThan(300_000);
    }

    private static Figure timed(String id, double value, double noise, boolean higherIsBetter) {
        return new Figure(id, "g", id, value, "ns/op", higherIsBetter, noise);
    }

    @Test
    void compare_flagsOnlyChangesWorseThanBothThresholdAndSpread() {
        Map<String, Figure> previous = Map.of(
                "slower", timed("slower", 100, 2, false),
                "noisy", timed("noisy", 100, 10, false),
                "ratio", timed("ratio", 200, 5, true),
                "better", timed("better", 100, 2, false),
                "rss", new Figure("rss", "memory", "rss", 100, "MB", false));
        List<Figure> current = List.of(
                timed("slower", 130, 3, false), // +30 %, spreads 2 + 3: a regression
                timed("noisy", 115, 10, false), // +15 %, but spreads 10 + 10: noise
                timed("ratio", 150, 5, true), // -25 % of a higher-is-better figure: a regression
                timed("better", 50, 2, false), // faster
                new Figure("rss", "memory", "rss", 200, "MB", false)); // a single reading: not judged

        List<Comparison.Change> changes = Comparison.compare(previous, current, 10);

        assertThat(changes)
                .extracting(c -> c.after().id(), Comparison.Change::verdict)
                .containsExactly(
                        tuple("slower", Comparison.Verdict.REGRESSION),
                        tuple("noisy", Comparison.Verdict.WITHIN_NOISE),
                        tuple("ratio", Comparison.Verdict.REGRESSION),
                        tuple("better", Comparison.Verdict.OK),
                        tuple("rss", Comparison.Verdict.NOT_JUDGED));
        assertThat(Comparison.render(changes, 10))
                .contains("REGRESSION")
                .contains("not judged")
                .contains("2 regression(s)");
    }

    /**
     * Two reports of the same code, figures drawn around the same true values with a seeded random
     * spread: none is flagged, however many figures differ by more than the threshold by chance.
     */
    @Test
    void compare_twoRunsOfTheSameCode_noRegressions() {
        long seed = System.nanoTime();
        System.out.println("ReportTest.compare_twoRunsOfTheSameCode seed=" + seed);
        java.util.SplittableRandom random = new java.util.SplittableRandom(seed);
        Map<String, Figure> previous = new java.util.LinkedHashMap<>();
        List<Figure> current = new java.util.ArrayList<>();
        int beyondThreshold = 0;
        for (int i = 0; i < 200; i++) {
            double truth = 100 + random.nextInt(1_000);
            double spread = truth * (0.05 + random.nextDouble() * 0.25); // 5-30 % round-to-round
            double a = truth + (random.nextDouble() * 2 - 1) * spread;
            double b = truth + (random.nextDouble() * 2 - 1) * spread;
            previous.put("f" + i, timed("f" + i, a, spread, false));
            current.add(timed("f" + i, b, spread, false));
            if (Math.abs(b - a) / a > 0.10) {
                beyondThreshold++;
            }
        }
        assertThat(beyondThreshold)
                .as("seed %d: the threshold alone would flag these", seed)
                .isPositive();
        assertThat(Comparison.compare(previous, current, 10))
                .as("seed %d", seed)
                .noneMatch(Comparison.Change::regression);
    }

    @Test
    void budget_reportsEveryBrokenBound() {
        String budgets = "{\"cache.hit.perfkit\": {\"max\": 100}, \"mongo.find.ratio\": {\"min\": 100}, "
                + "\"batch.throughput\": {\"min\": 1000000}}";
        List<String> ids = List.of("cache.hit.perfkit", "mongo.find.ratio", "batch.throughput");

        List<Budget.Violation> broken = Budget.check(Budget.parse(budgets, ids), report(150, 50));

        assertThat(broken).extracting(Budget.Violation::id).containsExactly("cache.hit.perfkit", "mongo.find.ratio");
        assertThat(Budget.check(Budget.parse(budgets, ids), report(90, 150))).isEmpty();
        assertThat(Budget.render(broken)).contains("cache.hit.perfkit = 150 ns/op (budget: max 100)");
    }

    @Test
    void budget_typosAndNonsense_areRefused() {
        List<String> ids = List.of("mongo.find.ratio");
        assertThatThrownBy(() -> Budget.parse("{\"no.such.figure\": {\"max\": 1}}", ids))
                .hasMessageContaining("unknown figure: 'no.such.figure'");
        assertThatThrownBy(() -> Budget.parse("{\"mongo.find.ratio\": {\"maxx\": 1}}", ids))
                .hasMessageContaining("unknown key 'maxx'");
        assertThatThrownBy(() -> Budget.parse("{\"mongo.find.ratio\": {\"max\": \"5\"}}", ids))
                .hasMessageContaining("must be a number");
        assertThatThrownBy(() -> Budget.parse("{\"mongo.find.ratio\": {\"min\": 5, \"max\": 1}}", ids))
                .hasMessageContaining("above max");
        assertThatThrownBy(() -> Budget.parse("{\"mongo.find.ratio\": {}}", ids))
                .hasMessageContaining("min and/or max");
        assertThatThrownBy(() -> Budget.parse("{}", ids)).hasMessageContaining("no budgets");
        assertThatThrownBy(() -> Budget.parse("[1", ids)).hasMessageContaining("not valid JSON");
    }

    @Test
    void readFigures_keepsTheSpread() {
        Report report = new Report(
                Instant.parse("2026-11-23T09:00:00Z"),
                "quick",
                Map.of(),
                List.of(timed("x", 10, 1.5, false), new Figure("y", "g", "y", 3, "MB", false)),
                List.of(),
                List.of(),
                List.of());
        Map<String, Figure> read = Report.readFigures(report.toJson());
        assertThat(read.get("x").noise()).isEqualTo(1.5);
        assertThat(read.get("y").hasNoise()).isFalse();
    }

    @Test
    void readFigures_rejectsSomethingElse() {
        assertThatThrownBy(() -> Report.readFigures("{\"a\": 1}")).hasMessageContaining("not a perfkit report");
    }

    @Test
    void charts_latencyOnLogAxes_plainNumbers() {
        Report report = report(120, 160);
        assertThat(report.percentileChart().getStyler().isYAxisLogarithmic()).isTrue();
        assertThat(report.percentileChart().getStyler().getYAxisDecimalPattern())
                .isEqualTo("#,##0.###");
        assertThat(Report.beforeAfterChart(new Report.BeforeAfter("find latency (µs)", 480, 3, "µs"))
                        .getStyler()
                        .isYAxisLogarithmic())
                .as("a cached hit beside a round trip")
                .isTrue();
        assertThat(Report.beforeAfterChart(new Report.BeforeAfter("hits/s", 6e6, 9e6, "ops/s"))
                        .getStyler()
                        .isYAxisLogarithmic())
                .isFalse();
        assertThat(Report.beforeAfterChart(new Report.BeforeAfter("hits/s", 6e6, 9e6, "ops/s"))
                        .getStyler()
                        .getYAxisDecimalPattern())
                .isEqualTo("#,##0.###");
    }
}
