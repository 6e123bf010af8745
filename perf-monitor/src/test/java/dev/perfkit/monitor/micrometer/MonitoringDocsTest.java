package dev.perfkit.monitor.micrometer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.fail;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.perfkit.Perf;
import dev.perfkit.PerfConfig;
import dev.perfkit.batch.BatchProcessor;
import dev.perfkit.cache.QueryCache;
import dev.perfkit.memory.MemoryManager;
import dev.perfkit.monitor.MonitorServer;
import dev.perfkit.monitor.PerfMonitor;
import dev.perfkit.profile.QueryProfiler;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.io.IOException;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

/**
 * Keeps docs/monitoring true: the Prometheus rules pass promtool's check and unit test, and every
 * metric the rules and the Grafana dashboard query is one a real scrape of perfkit exposes.
 */
class MonitoringDocsTest {
    private static final Path DOCS = Path.of("..", "docs", "monitoring");
    private static final Pattern METRIC = Pattern.compile("\\b(perfkit_[a-z_]+|cache_gets_total)\\b");

    @AfterEach
    void reset() {
        Perf.reset();
    }

    @Test
    void promtool_checksAndUnitTestsTheRules() throws Exception {
        Path promtool = promtool();
        assertThat(run(DOCS, promtool.toString(), "check", "rules", "perfkit-alerts.yml"))
                .contains("SUCCESS");
        assertThat(run(DOCS, promtool.toString(), "test", "rules", "perfkit-alerts-test.yml"))
                .contains("SUCCESS");
    }

    @Test
    void everyMetricTheRulesAndDashboardUse_isInARealScrape_whichPromtoolAccepts() throws Exception {
        String scrape = liveScrape();
        Set<String> exposed = new TreeSet<>();
        for (String line : scrape.split("\n")) {
            if (!line.startsWith("#") && !line.isBlank()) {
                exposed.add(line.replaceAll("[{ ].*", ""));
            }
        }

        Set<String> used = new TreeSet<>();
        Matcher rules = METRIC.matcher(Files.readString(DOCS.resolve("perfkit-alerts.yml")));
        while (rules.find()) {
            used.add(rules.group(1));
        }
        JsonNode dashboard = new ObjectMapper()
                .readTree(DOCS.resolve("grafana-dashboard.json").toFile());
        List<String> expressions = new ArrayList<>();
        for (JsonNode panel : dashboard.get("panels")) {
            for (JsonNode target : panel.get("targets")) {
                expressions.add(target.get("expr").asText());
            }
        }
        assertThat(expressions).hasSizeGreaterThanOrEqualTo(10);
        for (String expression : expressions) {
            Matcher matcher = METRIC.matcher(expression);
            while (matcher.find()) {
                used.add(matcher.group(1));
            }
        }

        assertThat(used).hasSizeGreaterThanOrEqualTo(10);
        assertThat(exposed).containsAll(used);

        Optional<Path> promtool = findPromtool();
        if (promtool.isPresent()) {
            Path file = Files.createTempFile("scrape", ".prom");
            Files.writeString(file, scrape);
            // check metrics reads stdin; lint problems (not errors) are reported but accepted
            ProcessBuilder builder = new ProcessBuilder(promtool.get().toString(), "check", "metrics")
                    .redirectInput(file.toFile())
                    .redirectErrorStream(true);
            Process process = builder.start();
            String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            assertThat(process.waitFor(60, TimeUnit.SECONDS)).isTrue();
            assertThat(output).doesNotContain("error while linting").doesNotContain("perfkit_requests");
            Files.delete(file);
        }
    }

    /** A scrape of a monitor over every default component, each used once. */
    private static String liveScrape() throws Exception {
        PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
        Perf.configure(PerfConfig.builder()
                .meterRegistry(registry)
                .performanceMonitoringEnabled(false)
                .build());
        QueryCache cache = Perf.getQueryCache();
        cache.set("a", 1);
        Object unused = cache.get("a");
        MemoryManager memory = Perf.getMemoryManager();
        double rss = memory.getMemoryUsage();
        assertThat(rss).isPositive();
        QueryProfiler profiler = Perf.getQueryProfiler();
        profiler.recordQuery("users", "find", Map.of("name", "x"), Duration.ofMillis(500), true, 1);
        Gauge.builder("perfkit.mongo.pool.utilization", () -> 0.5) // what perf-mongo's pool listener registers
                .tag("cluster", "test")
                .register(registry);
        Gauge.builder("perfkit.cache.redis.available", () -> 1) // what perf-redis's two-level cache registers
                .tag("cache", "default")
                .register(registry);
        try (BatchProcessor<String> batch =
                Perf.<String>batchProcessor(items -> {}).build()) {
            batch.add("x").get(10, TimeUnit.SECONDS);
            PerfMonitor monitor = Perf.getMonitor();
            monitor.recordRequest("balance", Duration.ofMillis(3), false);
            MonitorServer server = monitor.startServer();
            HttpResponse<String> response = HttpClient.newHttpClient()
                    .send(
                            HttpRequest.newBuilder(server.uri().resolve("/metrics/prometheus"))
                                    .build(),
                            HttpResponse.BodyHandlers.ofString());
            assertThat(response.statusCode()).isEqualTo(200);
            return response.body();
        }
    }

    private static Optional<Path> findPromtool() {
        for (String candidate : List.of("/usr/bin/promtool", "/usr/local/bin/promtool")) {
            if (Files.isExecutable(Path.of(candidate))) {
                return Optional.of(Path.of(candidate));
            }
        }
        return Optional.empty();
    }

    private static Path promtool() {
        Optional<Path> found = findPromtool();
        if (found.isEmpty()) {
            String message = "promtool not found (apt-get install prometheus)";
            if (Boolean.parseBoolean(System.getenv("PERFKIT_REQUIRE_TOOLS"))) {
                fail(message + "; PERFKIT_REQUIRE_TOOLS=true requires it");
            }
            Assumptions.abort(message);
        }
        return found.get();
    }

    private static String run(Path directory, String... command) throws IOException, InterruptedException {
        Process process = new ProcessBuilder(command)
                .directory(directory.toFile())
                .redirectErrorStream(true)
                .start();
        String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(process.waitFor(60, TimeUnit.SECONDS)).isTrue();
        assertThat(process.exitValue()).as(output).isZero();
        return output;
    }
}
