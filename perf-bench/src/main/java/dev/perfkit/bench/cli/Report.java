package dev.perfkit.bench.cli;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.bson.Document;
import org.bson.json.JsonWriterSettings;
import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.CategoryChart;
import org.knowm.xchart.CategoryChartBuilder;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYChartBuilder;
import org.knowm.xchart.internal.chartpart.Chart;
import org.knowm.xchart.style.Styler;

/**
 * The result of a {@code perf-test} run: every figure with its unit, latency percentiles, paired
 * before/after figures and memory over the run; written as JSON, Markdown and self-contained HTML
 * with inline PNG charts. (XChart draws text as outlines, so its SVG of five charts weighs ~700 KB;
 * the PNGs keep a report under 300 KB.) Latencies use logarithmic axes so that a cached hit of a few
 * microseconds stays visible beside a database round trip; axes never use scientific notation.
 */
public final class Report {
    /** A labelled latency distribution, in microseconds. */
    public record Percentiles(String label, double p50, double p95, double p99) {}

    /** A baseline and the perfkit figure it is compared with, in one unit. */
    public record BeforeAfter(String label, double before, double after, String unit) {}

    /** One memory sample: seconds since the start and RSS in MB. */
    public record MemoryPoint(double seconds, double rssMb) {}

    /** Axis labels as plain numbers with thousands separators, never 1.0E3. */
    private static final String PLAIN_NUMBERS = "#,##0.###";

    /** Pairs further apart than this factor are drawn on a logarithmic axis. */
    private static final double LOG_SCALE_SPAN = 20;

    /** The smallest value a logarithmic chart shows. */
    private static final double LOG_RESOLUTION = 0.001;

    private final Instant started;
    private final String suite;
    private final Map<String, String> environment;
    private final List<Figure> figures;
    private final List<Percentiles> percentiles;
    private final List<BeforeAfter> beforeAfter;
    private final List<MemoryPoint> memory;

    Report(
            Instant started,
            String suite,
            Map<String, String> environment,
            List<Figure> figures,
            List<Percentiles> percentiles,
            List<BeforeAfter> beforeAfter,
            List<MemoryPoint> memory) {
        this.started = started;
        this.suite = suite;
        this.environment = new LinkedHashMap<>(environment);
        this.figures = List.copyOf(figures);
        this.percentiles = List.copyOf(percentiles);
        this.beforeAfter = List.copyOf(beforeAfter);
        this.memory = List.copyOf(memory);
    }

    /** Returns the figures in measurement order. */
    public List<Figure> figures() {
        return figures;
    }

    /** Returns the figure with an id, if measured. */
    public java.util.Optional<Figure> figure(String id) {
        return figures.stream().filter(f -> f.id().equals(id)).findFirst();
    }

    // ---- JSON

    /** Renders the report as indented JSON. */
    public String toJson() {
        Document document = new Document("perfkitReport", 1)
                .append("started", started.toString())
                .append("suite", suite)
                .append("environment", new Document(new LinkedHashMap<>(environment)));
        List<Document> figureDocs = new ArrayList<>();
        figures.forEach(f -> figureDocs.add(f.toDocument()));
        document.append("figures", figureDocs);
        List<Document> percentileDocs = new ArrayList<>();
        percentiles.forEach(p -> percentileDocs.add(new Document("label", p.label())
                .append("unit", "us")
                .append("p50", p.p50())
                .append("p95", p.p95())
                .append("p99", p.p99())));
        document.append("latencyPercentiles", percentileDocs);
        List<Document> pairs = new ArrayList<>();
        beforeAfter.forEach(b -> pairs.add(new Document("label", b.label())
                .append("before", b.before())
                .append("after", b.after())
                .append("unit", b.unit())));
        document.append("beforeAfter", pairs);
        List<Document> samples = new ArrayList<>();
        memory.forEach(m -> samples.add(new Document("seconds", m.seconds()).append("rssMb", m.rssMb())));
        document.append("memory", samples);
        return document.toJson(JsonWriterSettings.builder().indent(true).build());
    }

    /**
     * Reads the figures of a JSON report written by {@link #toJson()}.
     *
     * @param json the report
     * @return its figures by id
     */
    public static Map<String, Figure> readFigures(String json) {
        Document document = Document.parse(json);
        if (!document.containsKey("figures")) {
            throw new IllegalArgumentException("not a perfkit report: no \"figures\"");
        }
        Map<String, Figure> figures = new LinkedHashMap<>();
        for (Document figure : document.getList("figures", Document.class)) {
            Figure parsed = Figure.fromDocument(figure);
            figures.put(parsed.id(), parsed);
        }
        return figures;
    }

    // ---- Markdown

    /** Renders the figures as a Markdown table. */
    public String toMarkdown() {
        StringBuilder md = new StringBuilder("# perfkit performance report\n\n")
                .append(suite)
                .append(" suite, started ")
                .append(started)
                .append("\n\n");
        environment.forEach(
                (k, v) -> md.append("- ").append(k).append(": ").append(v).append('\n'));
        md.append("\n| group | figure | value | unit |\n| --- | --- | ---: | --- |\n");
        for (Figure figure : figures) {
            md.append("| ")
                    .append(figure.group())
                    .append(" | ")
                    .append(figure.name())
                    .append(" | ")
                    .append(Figure.format(figure.value()))
                    .append(" | ")
                    .append(figure.unit())
                    .append(" |\n");
        }
        return md.toString();
    }

    /** Renders the figures as a plain-text table for the console. */
    public String toTable() {
        int nameWidth = figures.stream().mapToInt(f -> f.name().length()).max().orElse(10);
        int groupWidth =
                figures.stream().mapToInt(f -> f.group().length()).max().orElse(5);
        StringBuilder table = new StringBuilder();
        String format = "%-" + groupWidth + "s  %-" + nameWidth + "s  %14s  %s%n";
        table.append(String.format(java.util.Locale.ROOT, format, "group", "figure", "value", "unit"));
        for (Figure figure : figures) {
            table.append(String.format(
                    java.util.Locale.ROOT,
                    format,
                    figure.group(),
                    figure.name(),
                    Figure.format(figure.value()),
                    figure.unit()));
        }
        return table.toString();
    }

    // ---- HTML with inline SVG

    /** Renders a self-contained HTML page: the table and the charts as inline PNGs, no external assets. */
    public String toHtml() throws IOException {
        StringBuilder html = new StringBuilder("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
                        + "<title>perfkit performance report</title><style>"
                        + "body{font-family:sans-serif;margin:2em;max-width:1100px}"
                        + "table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:4px 8px}"
                        + "td.v{text-align:right}h2{margin-top:2em}</style></head><body>\n")
                .append("<h1>perfkit performance report</h1>\n<p>")
                .append(escape(suite))
                .append(" suite, started ")
                .append(escape(started.toString()))
                .append("</p>\n<ul>");
        environment.forEach((k, v) -> html.append("<li>")
                .append(escape(k))
                .append(": ")
                .append(escape(v))
                .append("</li>"));
        html.append(
                "</ul>\n<h2>Figures</h2>\n<table><tr><th>group</th><th>figure</th><th>value</th><th>unit</th></tr>\n");
        for (Figure figure : figures) {
            html.append("<tr><td>")
                    .append(escape(figure.group()))
                    .append("</td><td>")
                    .append(escape(figure.name()))
                    .append("</td><td class=\"v\">")
                    .append(escape(Figure.format(figure.value())))
                    .append("</td><td>")
                    .append(escape(figure.unit()))
                    .append("</td></tr>\n");
        }
        html.append("</table>\n");
        if (!percentiles.isEmpty()) {
            html.append("<h2>Latency percentiles</h2>\n").append(image(percentileChart(), "latency percentiles"));
        }
        if (!beforeAfter.isEmpty()) {
            html.append("<h2>Before and after</h2>\n");
            for (BeforeAfter pair : beforeAfter) {
                html.append(image(beforeAfterChart(pair), pair.label()));
            }
        }
        if (memory.size() >= 2) {
            html.append("<h2>Memory over the run</h2>\n").append(image(memoryChart(), "resident memory"));
        }
        return html.append("</body></html>\n").toString();
    }

    CategoryChart percentileChart() {
        CategoryChart chart = new CategoryChartBuilder()
                .width(800)
                .height(400)
                .title("Latency percentiles")
                .xAxisTitle("percentile")
                .yAxisTitle("µs (log scale)")
                .build();
        chart.getStyler().setLegendPosition(Styler.LegendPosition.OutsideS);
        chart.getStyler().setLegendLayout(Styler.LegendLayout.Horizontal);
        chart.getStyler().setYAxisLogarithmic(true);
        chart.getStyler().setYAxisDecimalPattern(PLAIN_NUMBERS);
        double smallest = Double.MAX_VALUE;
        for (Percentiles p : percentiles) {
            chart.addSeries(
                    p.label(),
                    List.of("p50", "p95", "p99"),
                    List.of(positive(p.p50()), positive(p.p95()), positive(p.p99())));
            smallest = Math.min(smallest, positive(p.p50()));
        }
        chart.getStyler().setYAxisMin(logFloor(smallest));
        return chart;
    }

    /**
     * A before/after pair; on a logarithmic axis when the two differ by more than {@value
     * #LOG_SCALE_SPAN}x (a cached hit beside a database round trip), where a linear axis would
     * shrink the smaller bar to nothing.
     */
    static CategoryChart beforeAfterChart(BeforeAfter pair) {
        double low = Math.min(positive(pair.before()), positive(pair.after()));
        double high = Math.max(positive(pair.before()), positive(pair.after()));
        boolean logarithmic = high / low > LOG_SCALE_SPAN;
        CategoryChart chart = new CategoryChartBuilder()
                .width(500)
                .height(300)
                .title(pair.label())
                .yAxisTitle(pair.unit() + (logarithmic ? " (log scale)" : ""))
                .build();
        chart.getStyler().setLegendVisible(false);
        chart.getStyler().setYAxisDecimalPattern(PLAIN_NUMBERS);
        chart.addSeries(
                pair.label(),
                List.of("before (baseline)", "after (perfkit)"),
                List.of(positive(pair.before()), positive(pair.after())));
        if (logarithmic) {
            chart.getStyler().setYAxisLogarithmic(true);
            chart.getStyler().setYAxisMin(logFloor(low));
        }
        return chart;
    }

    /** Log axes cannot show zero: a value below the resolution is drawn at it. */
    private static double positive(double value) {
        return Math.max(value, LOG_RESOLUTION);
    }

    /** The power of ten at or below a value: where a log axis (and its bars) start. */
    private static double logFloor(double value) {
        return Math.pow(10, Math.floor(Math.log10(positive(value))));
    }

    private XYChart memoryChart() {
        XYChart chart = new XYChartBuilder()
                .width(800)
                .height(300)
                .title("Resident memory")
                .xAxisTitle("seconds")
                .yAxisTitle("MB")
                .build();
        chart.getStyler().setLegendVisible(false);
        chart.getStyler().setYAxisDecimalPattern(PLAIN_NUMBERS);
        chart.getStyler().setXAxisDecimalPattern(PLAIN_NUMBERS);
        chart.addSeries(
                "RSS",
                memory.stream().mapToDouble(MemoryPoint::seconds).toArray(),
                memory.stream().mapToDouble(MemoryPoint::rssMb).toArray());
        return chart;
    }

    private static String image(Chart<?, ?> chart, String description) throws IOException {
        byte[] png = BitmapEncoder.getBitmapBytes(chart, BitmapEncoder.BitmapFormat.PNG);
        return "<img alt=\"" + escape(description) + "\" width=\"" + chart.getWidth() + "\" height=\""
                + chart.getHeight() + "\" src=\"data:image/png;base64,"
                + Base64.getEncoder().encodeToString(png)
                + "\">\n";
    }

    private static String escape(String text) {
        return text.replace("&", "&amp;")
                .replace("<", "&lt;")
                .replace(">", "&gt;")
                .replace("\"", "&quot;");
    }

    // ---- saving

    /**
     * Writes {@code <timestamp>.json}, {@code .md} and {@code .html} into a directory.
     *
     * @param directory where to write, created if needed
     * @return the three files
     * @throws IOException if writing fails
     */
    public List<Path> save(Path directory) throws IOException {
        Files.createDirectories(directory);
        String stamp = DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss")
                .withZone(ZoneOffset.UTC)
                .format(started);
        Path json = directory.resolve(stamp + ".json");
        Path md = directory.resolve(stamp + ".md");
        Path html = directory.resolve(stamp + ".html");
        Files.writeString(json, toJson());
        Files.writeString(md, toMarkdown());
        Files.writeString(html, toHtml());
        return List.of(json, md, html);
    }
}
