package dev.perfkit.bench.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

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
        assertThat(html.split("<svg", -1))
                .as("percentiles, one before/after and memory charts")
                .hasSize(4);
        assertThat(html).doesNotContain("<script").doesNotContain("http://cdn").doesNotContain("<link");
    }

    @Test
    void compare_flagsOnlyChangesForTheWorseBeyondTheThreshold() {
        Map<String, Figure> previous = Report.readFigures(report(100, 200).toJson());

        List<Comparison.Change> changes =
                Comparison.compare(previous, report(120, 150).figures(), 10);

        assertThat(changes).hasSize(3);
        Comparison.Change hit = changes.get(0);
        assertThat(hit.percent()).isEqualTo(20.0);
        assertThat(hit.regression()).as("time up 20 %%").isTrue();
        Comparison.Change ratio = changes.get(1);
        assertThat(ratio.percent()).isEqualTo(-25.0);
        assertThat(ratio.regression()).as("ratio down 25 %%").isTrue();
        assertThat(changes.get(2).regression()).isFalse();
        assertThat(Comparison.compare(previous, report(105, 190).figures(), 10))
                .noneMatch(Comparison.Change::regression);
        assertThat(Comparison.render(changes, 10)).contains("REGRESSION").contains("2 regression(s)");
    }

    @Test
    void budget_reportsEveryBrokenBound() {
        String budgets = "{\"cache.hit.perfkit\": {\"max\": 100}, \"mongo.find.ratio\": {\"min\": 100}, "
                + "\"batch.throughput\": {\"min\": 1000000}}";

        List<Budget.Violation> broken = Budget.check(budgets, report(150, 50));

        assertThat(broken).extracting(Budget.Violation::id).containsExactly("cache.hit.perfkit", "mongo.find.ratio");
        assertThat(Budget.check(budgets, report(90, 150))).isEmpty();
        assertThat(Budget.render(broken)).contains("cache.hit.perfkit = 150 ns/op (budget: max 100)");
        assertThatThrownBy(() -> Budget.check("{\"no.such.figure\": {\"max\": 1}}", report(1, 1)))
                .hasMessageContaining("unknown figure: 'no.such.figure'");
    }

    @Test
    void readFigures_rejectsSomethingElse() {
        assertThatThrownBy(() -> Report.readFigures("{\"a\": 1}")).hasMessageContaining("not a perfkit report");
    }
}
