package dev.perfkit.monitor.micrometer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.perfkit.FakeTicker;
import dev.perfkit.PerfConfig;
import dev.perfkit.cache.QueryCache;
import dev.perfkit.cache.caffeine.CaffeineQueryCache;
import dev.perfkit.db.MicrometerQueryProfiler;
import dev.perfkit.monitor.AlertRule;
import dev.perfkit.monitor.MonitorServer;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.atomic.AtomicReference;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The dashboard in a real headless Chromium: its numbers are the API's, and they follow changes. */
class DashboardBrowserTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path work;

    private final SimpleMeterRegistry registry = new SimpleMeterRegistry();
    private final FakeTicker ticker = new FakeTicker(); // frozen time: the page and the test see the same rates
    private final AtomicReference<Double> rss = new AtomicReference<>(321.0);
    private final AtomicReference<Double> queue = new AtomicReference<>(0.0);
    private final HttpClient http = HttpClient.newHttpClient();
    private QueryCache cache;
    private MicrometerQueryProfiler profiler;
    private MicrometerPerfMonitor monitor;
    private MonitorServer server;

    @BeforeEach
    void start() {
        PerfConfig config = PerfConfig.builder()
                .meterRegistry(registry)
                .memoryLimitMb(1_000)
                .build();
        cache = CaffeineQueryCache.create(config);
        profiler = MicrometerQueryProfiler.create(config);
        monitor = MicrometerPerfMonitor.builder(config)
                .queryCache(cache)
                .queryProfiler(profiler)
                .memoryManager(Fakes.memory(rss))
                .ticker(ticker)
                .background(false)
                .build();
        monitor.addAlertRule(AlertRule.above("queue_depth", queue::get)
                .warning(10)
                .unit("items")
                .build());
        server = monitor.startServer();
    }

    @AfterEach
    void stop() {
        monitor.close();
        cache.close();
        profiler.close();
    }

    @Test
    void pageShowsTheApiNumbers_andFollowsChanges() throws Exception {
        Chromium chromium = Chromium.find(work);
        ticker.advance(Duration.ofSeconds(4));
        for (int i = 1; i <= 10; i++) {
            monitor.recordRequest("balance", Duration.ofMillis(i * 10L), i != 10);
        }
        cache.set("a", 1);
        Object unused = cache.get("a");
        unused = cache.get("b");
        profiler.recordQuery("users", "find", Map.of("name", "Alice"), Duration.ofMillis(250), true, 1);

        Page first = load(chromium);
        assertMatchesApi(first);
        assertThat(first.text("status")).isEqualTo("UP");
        assertThat(first.dom).contains("users").contains("\"name\"").doesNotContain("Alice");
        assertThat(first.dom).doesNotContain("data-rule=\"queue_depth\"");

        for (int i = 0; i < 30; i++) {
            monitor.recordRequest("transfer", Duration.ofMillis(900), false);
        }
        for (int i = 0; i < 5; i++) {
            unused = cache.get("a");
        }
        rss.set(654.0);
        queue.set(99.0);
        monitor.evaluateNow();

        Page second = load(chromium);
        assertMatchesApi(second);
        assertThat(second.value("rps")).isNotEqualTo(first.value("rps"));
        assertThat(second.value("hit-ratio")).isNotEqualTo(first.value("hit-ratio"));
        assertThat(second.value("rss")).isEqualTo(654.0);
        assertThat(second.value("error-rate")).isGreaterThan(first.value("error-rate"));
        assertThat(second.dom).contains("data-rule=\"queue_depth\"");
        assertThat(second.text("status")).isEqualTo("DEGRADED");

        Path png = Path.of("target", "dashboard.png");
        Files.createDirectories(png.getParent());
        chromium.screenshot(server.uri(), png, 3_000);
        assertThat(Files.size(png)).isGreaterThan(10_000);
    }

    private Page load(Chromium chromium) throws Exception {
        return new Page(chromium.dumpDom(server.uri(), 3_000));
    }

    private void assertMatchesApi(Page page) throws Exception {
        assertThat(Integer.parseInt(page.attribute("body", "data-fetches"))).isPositive();
        JsonNode requests = api("/requests");
        JsonNode cacheJson = api("/cache");
        JsonNode memory = api("/memory");
        assertThat(page.value("rps"))
                .isEqualTo(requests.get("requestsPerSecond").asDouble());
        assertThat(page.text("rps")).isEqualTo(String.format(java.util.Locale.ROOT, "%.2f", page.value("rps")));
        assertThat(page.value("p50")).isEqualTo(requests.get("p50Ms").asDouble());
        assertThat(page.value("p95")).isEqualTo(requests.get("p95Ms").asDouble());
        assertThat(page.value("p99")).isEqualTo(requests.get("p99Ms").asDouble());
        assertThat(page.value("error-rate")).isEqualTo(requests.get("errorRate").asDouble());
        assertThat(page.value("hit-ratio")).isEqualTo(cacheJson.get("hitRatio").asDouble());
        assertThat(page.text("hit-ratio"))
                .isEqualTo(String.format(java.util.Locale.ROOT, "%.1f %%", page.value("hit-ratio") * 100));
        assertThat(page.value("cache-size")).isEqualTo(cacheJson.get("size").asDouble());
        assertThat(page.value("rss")).isEqualTo(memory.get("rssMb").asDouble());
        assertThat(page.value("mem-limit")).isEqualTo(memory.get("limitMb").asDouble(), within(0.0));
        JsonNode alerts = api("/alerts").get("alerts");
        for (JsonNode alert : alerts) {
            assertThat(page.dom).contains("data-rule=\"" + alert.get("rule").asText() + "\"");
        }
    }

    private JsonNode api(String path) throws Exception {
        HttpResponse<String> response = http.send(
                HttpRequest.newBuilder(server.uri().resolve(path)).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(response.statusCode()).isEqualTo(200);
        return JSON.readTree(response.body());
    }

    /** The DOM Chromium produced, with lookups by element id. */
    private record Page(String dom) {
        String attribute(String tag, String attribute) {
            Matcher matcher = Pattern.compile("<" + tag + "[^>]*\\s" + attribute + "=\"([^\"]*)\"")
                    .matcher(dom);
            assertThat(matcher.find()).as("<%s %s> in the page", tag, attribute).isTrue();
            return matcher.group(1);
        }

        double value(String id) {
            Matcher matcher =
                    Pattern.compile("id=\"" + id + "\" data-value=\"([^\"]*)\"").matcher(dom);
            assertThat(matcher.find()).as("#%s in the page", id).isTrue();
            return Double.parseDouble(matcher.group(1));
        }

        String text(String id) {
            Matcher matcher = Pattern.compile("id=\"" + id + "\"[^>]*>([^<]*)<").matcher(dom);
            assertThat(matcher.find()).as("#%s in the page", id).isTrue();
            return matcher.group(1).replace("&nbsp;", " ");
        }
    }
}
