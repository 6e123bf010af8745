package dev.perfkit.monitor.micrometer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.perfkit.Concurrently;
import dev.perfkit.PerfConfig;
import dev.perfkit.PerfException;
import dev.perfkit.cache.QueryCache;
import dev.perfkit.cache.caffeine.CaffeineQueryCache;
import dev.perfkit.db.MicrometerQueryProfiler;
import dev.perfkit.memory.MemoryManager;
import dev.perfkit.monitor.MonitorServer;
import dev.perfkit.profile.QueryProfiler;
import io.micrometer.core.instrument.composite.CompositeMeterRegistry;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.NetworkInterface;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Collections;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class HttpMonitorServerTest {
    static final String TOKEN = "s3cret-token";
    private static final ObjectMapper JSON = new ObjectMapper();

    private final CompositeMeterRegistry registry = new CompositeMeterRegistry();
    private final HttpClient http =
            HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    private QueryCache cache;
    private MicrometerQueryProfiler profiler;
    private final AtomicReference<Double> rss = new AtomicReference<>(321.0);
    private MicrometerPerfMonitor monitor;
    private MonitorServer server;

    @BeforeEach
    void start() {
        PerfConfig config = config().build();
        cache = CaffeineQueryCache.create(config);
        profiler = MicrometerQueryProfiler.create(config);
        monitor = MicrometerPerfMonitor.builder(config)
                .queryCache(cache)
                .queryProfiler(profiler)
                .memoryManager(Fakes.memory(rss))
                .background(false)
                .build();
        server = monitor.startServer();
    }

    private PerfConfig.Builder config() {
        return PerfConfig.builder().meterRegistry(registry).adminToken(TOKEN).memoryLimitMb(1_000);
    }

    @AfterEach
    void stop() {
        monitor.close();
        cache.close();
        profiler.close();
    }

    private HttpResponse<String> send(HttpRequest.Builder request) throws Exception {
        return http.send(request.timeout(Duration.ofSeconds(10)).build(), HttpResponse.BodyHandlers.ofString());
    }

    private HttpResponse<String> get(String path) throws Exception {
        return send(HttpRequest.newBuilder(server.uri().resolve(path)));
    }

    private JsonNode json(String path) throws Exception {
        HttpResponse<String> response = get(path);
        assertThat(response.statusCode()).as(path).isEqualTo(200);
        assertThat(response.headers().firstValue("Content-Type")).hasValue("application/json; charset=utf-8");
        return JSON.readTree(response.body());
    }

    @Test
    void bindsToLoopbackByDefault_onAFreePort() {
        assertThat(server.uri().getHost()).isEqualTo("127.0.0.1");
        assertThat(server.port()).isPositive();
    }

    @Test
    void endpoints_serveWhatTheComponentsSay() throws Exception {
        cache.set("a", 1);
        Object unused = cache.get("a");
        unused = cache.get("b");
        monitor.recordRequest("balance", Duration.ofMillis(4), true);
        profiler.recordQuery("users", "find", Map.of("name", "Alice"), Duration.ofMillis(250), true, 1);
        profiler.recordQuery("users", "find", Map.of("name", "Bob"), Duration.ofMillis(400), false, 0);

        JsonNode health = json("/health");
        assertThat(health.get("status").asText()).isEqualTo("UP");
        assertThat(health.get("components").get("cache").get("status").asText()).isEqualTo("UP");
        assertThat(health.get("components").get("pool").get("status").asText()).isEqualTo("ABSENT");

        JsonNode cacheJson = json("/cache");
        assertThat(cacheJson.get("hitRatio").asDouble()).isEqualTo(cache.stats().hitRatio());
        assertThat(cacheJson.get("hits").asLong()).isEqualTo(1);
        assertThat(json("/memory").get("rssMb").asDouble()).isEqualTo(321.0);
        assertThat(json("/memory").get("usagePercent").asDouble()).isEqualTo(32.1);
        JsonNode requests = json("/requests");
        assertThat(requests.get("requests").asLong()).isEqualTo(1);
        assertThat(requests.get("requestsPerSecond").isNumber()).isTrue();
        assertThat(requests.get("byName").has("balance")).isTrue();
        JsonNode queries = json("/queries");
        assertThat(queries.get("slowest")).hasSize(1); // one shape, seen twice
        JsonNode shape = queries.get("slowest").get(0);
        assertThat(shape.get("count").asLong()).isEqualTo(2);
        assertThat(shape.get("failures").asLong()).isEqualTo(1);
        assertThat(shape.get("durationMs").asDouble()).isEqualTo(400.0);
        assertThat(shape.get("shape").asText()).contains("name").doesNotContain("Alice", "Bob");
        assertThat(queries.toString()).doesNotContain("Alice").doesNotContain("Bob");
        assertThat(queries.get("indexAdvice").get(0).get("keys").has("name"))
                .isTrue(); // shapes only, never literal values
        assertThat(json("/alerts").get("alerts").isArray()).isTrue();
        assertThat(json("/pool").get("present").asBoolean()).isFalse();
        JsonNode status = json("/status");
        assertThat(status.get("cache").get("hitRatio").asDouble())
                .isEqualTo(cacheJson.get("hitRatio").asDouble());
        assertThat(status.get("requests").get("requests").asLong()).isEqualTo(1);
        assertThat(json("/metrics").get("meters").toString()).contains("perfkit.requests");

        HttpResponse<String> page = get("/");
        assertThat(page.statusCode()).isEqualTo(200);
        assertThat(page.headers().firstValue("Content-Type")).hasValue("text/html; charset=utf-8");
        assertThat(page.body()).contains("perfkit monitor").doesNotContain("http://", "https://");
    }

    @Test
    void prometheus_servesTextFormatWithPerfkitMeterNames() throws Exception {
        monitor.recordRequest("balance", Duration.ofMillis(4), true);
        Object unused = cache.get("missing");

        HttpResponse<String> response = get("/metrics/prometheus");

        assertThat(response.statusCode()).isEqualTo(200);
        assertThat(response.headers().firstValue("Content-Type").orElseThrow()).startsWith("text/plain; version=0.0.4");
        assertThat(response.body())
                .contains("perfkit_requests_seconds_count{monitor=\"default\",name=\"balance\"} 1")
                .contains("perfkit_requests_latency_seconds{")
                .contains("cache_gets_total{");
    }

    @Test
    void unknownPath_is404Json_wrongMethod_is405Json() throws Exception {
        HttpResponse<String> missing = get("/nope");
        assertThat(missing.statusCode()).isEqualTo(404);
        assertThat(JSON.readTree(missing.body()).get("error").asText()).contains("/nope");

        HttpResponse<String> post =
                send(HttpRequest.newBuilder(server.uri().resolve("/status")).POST(HttpRequest.BodyPublishers.noBody()));
        assertThat(post.statusCode()).isEqualTo(405);
        assertThat(post.headers().firstValue("Allow")).hasValue("GET");
        assertThat(JSON.readTree(post.body()).get("error").asText()).contains("POST");

        HttpResponse<String> getAdmin = get("/cache/clear");
        assertThat(getAdmin.statusCode()).isEqualTo(405);
        assertThat(getAdmin.headers().firstValue("Allow")).hasValue("POST");
    }

    private HttpResponse<String> postAdmin(String path, Optional<String> authorization) throws Exception {
        HttpRequest.Builder request =
                HttpRequest.newBuilder(server.uri().resolve(path)).POST(HttpRequest.BodyPublishers.noBody());
        authorization.ifPresent(value -> request.header("Authorization", value));
        return send(request);
    }

    @Test
    void adminActions_needTheBearerToken() throws Exception {
        cache.set("a", 1);

        HttpResponse<String> none = postAdmin("/cache/clear", Optional.empty());
        assertThat(none.statusCode()).isEqualTo(401);
        assertThat(none.headers().firstValue("WWW-Authenticate").orElseThrow()).startsWith("Bearer");
        assertThat(postAdmin("/cache/clear", Optional.of("Basic abc")).statusCode())
                .isEqualTo(401);
        assertThat(postAdmin("/cache/clear", Optional.of("Bearer wrong")).statusCode())
                .isEqualTo(403);
        assertThat(postAdmin("/cache/clear", Optional.of("Bearer " + TOKEN + "x"))
                        .statusCode())
                .isEqualTo(403);
        assertThat(cache.get("a")).isEqualTo(1); // nothing happened

        HttpResponse<String> ok = postAdmin("/cache/clear", Optional.of("Bearer " + TOKEN));
        assertThat(ok.statusCode()).isEqualTo(200);
        assertThat(JSON.readTree(ok.body()).get("entriesBefore").asLong()).isEqualTo(1);
        assertThat(cache.get("a")).isNull();
    }

    @Test
    void adminActions_areDisabledWithoutAConfiguredToken() throws Exception {
        try (MicrometerPerfMonitor open = MicrometerPerfMonitor.builder(
                        PerfConfig.builder().meterRegistry(registry).build())
                .queryCache(cache)
                .background(false)
                .build()) {
            MonitorServer noToken = open.startServer();
            HttpResponse<String> response = http.send(
                    HttpRequest.newBuilder(noToken.uri().resolve("/cache/clear"))
                            .header("Authorization", "Bearer ")
                            .POST(HttpRequest.BodyPublishers.noBody())
                            .build(),
                    HttpResponse.BodyHandlers.ofString());
            assertThat(response.statusCode()).isEqualTo(403);
            assertThat(response.body()).contains("PERF_ADMIN_TOKEN");
        }
    }

    @Test
    void memoryGc_runsWithTheToken_andReportsTheCollection() throws Exception {
        try (dev.perfkit.memory.oshi.OshiMemoryManager memory =
                dev.perfkit.memory.oshi.OshiMemoryManager.create(config().build())) {
            try (MicrometerPerfMonitor withMemory = MicrometerPerfMonitor.builder(config().build())
                    .memoryManager(memory)
                    .background(false)
                    .build()) {
                MonitorServer gcServer = withMemory.startServer();
                HttpResponse<String> response = http.send(
                        HttpRequest.newBuilder(gcServer.uri().resolve("/memory/gc"))
                                .header("Authorization", "Bearer " + TOKEN)
                                .POST(HttpRequest.BodyPublishers.noBody())
                                .build(),
                        HttpResponse.BodyHandlers.ofString());
                assertThat(response.statusCode()).isEqualTo(200);
                assertThat(JSON.readTree(response.body()).get("collections").asLong())
                        .isPositive();
            }
        }
    }

    @Test
    void nonLoopbackAddress_withoutToken_isRefused() throws Exception {
        Optional<InetAddress> external = Collections.list(NetworkInterface.getNetworkInterfaces()).stream()
                .flatMap(nic -> Collections.list(nic.getInetAddresses()).stream())
                .filter(address -> !address.isLoopbackAddress())
                .findFirst();
        InetAddress address = external.orElse(InetAddress.getByName("0.0.0.0"));
        try (MicrometerPerfMonitor open = MicrometerPerfMonitor.builder(
                        PerfConfig.builder().meterRegistry(registry).build())
                .background(false)
                .build()) {
            assertThatThrownBy(() -> open.startServer(new InetSocketAddress(address, 0)))
                    .isInstanceOf(PerfException.class)
                    .hasMessageContaining(address.getHostAddress())
                    .hasMessageContaining("PERF_ADMIN_TOKEN");
        }
    }

    @Test
    void oversizedHeaders_get431_oversizedBodies_get413_andTheServerLivesOn() throws Exception {
        HttpResponse<String> headers = send(HttpRequest.newBuilder(server.uri().resolve("/status"))
                .header("X-Big", "a".repeat(HttpMonitorServer.MAX_HEADER_BYTES + 1)));
        assertThat(headers.statusCode()).isEqualTo(431);

        HttpResponse<String> body = send(HttpRequest.newBuilder(server.uri().resolve("/cache/clear"))
                .header("Authorization", "Bearer " + TOKEN)
                .POST(HttpRequest.BodyPublishers.ofString("x".repeat(100_000))));
        assertThat(body.statusCode()).isEqualTo(413);

        assertThat(get("/health").statusCode()).isEqualTo(200);
    }

    @Test
    void malformedRequests_doNotHurtTheServer() throws Exception {
        String[] garbage = {
            "GARBAGE\r\n\r\n",
            "GET\r\n\r\n",
            "GET /status HTTP/9.9\r\n\r\n",
            "GET /status HTTP/1.1\r\nHost: x\r\nContent-Length: -5\r\n\r\n",
            "POST /cache/clear HTTP/1.1\r\nHost: x\r\nContent-Length: abc\r\n\r\n",
            "GET /%zz%00 HTTP/1.1\r\nHost: x\r\n\r\n",
            "\u0000\u0001\u0002\r\n\r\n",
            "GET /status HTTP/1.1\r\nHost: x\r\nX: " + "y".repeat(200_000) + "\r\n\r\n",
        };
        for (String request : garbage) {
            try (Socket socket = new Socket(server.uri().getHost(), server.port())) {
                socket.setSoTimeout(5_000);
                OutputStream out = socket.getOutputStream();
                try {
                    out.write(request.getBytes(StandardCharsets.ISO_8859_1));
                    out.flush();
                    InputStream in = socket.getInputStream();
                    byte[] unused = in.readNBytes(64);
                } catch (IOException expected) {
                    // the server may cut the connection: fine, as long as it keeps serving others
                }
            }
        }
        assertThat(get("/health").statusCode()).isEqualTo(200);
    }

    @Test
    void componentThatThrows_isReported_andHealthIsDown() throws Exception {
        try (MicrometerPerfMonitor broken = MicrometerPerfMonitor.builder(config().build())
                .queryCache(Fakes.broken(QueryCache.class))
                .memoryManager(Fakes.broken(MemoryManager.class))
                .queryProfiler(Fakes.broken(QueryProfiler.class))
                .background(false)
                .build()) {
            MonitorServer brokenServer = broken.startServer();
            URI base = brokenServer.uri();
            HttpResponse<String> health = http.send(
                    HttpRequest.newBuilder(base.resolve("/health")).build(), HttpResponse.BodyHandlers.ofString());
            assertThat(health.statusCode()).isEqualTo(503);
            JsonNode document = JSON.readTree(health.body());
            assertThat(document.get("status").asText()).isEqualTo("DOWN");
            assertThat(document.get("components").get("cache").get("detail").asText())
                    .contains("QueryCache is closed");

            for (String path : new String[] {"/cache", "/memory", "/queries", "/status"}) {
                HttpResponse<String> response = http.send(
                        HttpRequest.newBuilder(base.resolve(path)).build(), HttpResponse.BodyHandlers.ofString());
                assertThat(response.statusCode()).as(path).isEqualTo(200);
                assertThat(response.body()).as(path).contains("is closed");
            }
            HttpResponse<String> clear = http.send(
                    HttpRequest.newBuilder(base.resolve("/cache/clear"))
                            .header("Authorization", "Bearer " + TOKEN)
                            .POST(HttpRequest.BodyPublishers.noBody())
                            .build(),
                    HttpResponse.BodyHandlers.ofString());
            assertThat(clear.body()).contains("is closed");
        }
    }

    @Test
    void aCacheWorkingBelowItsConfiguration_showsDegradedInHealth() throws Exception {
        QueryCache degraded = new dev.perfkit.cache.ForwardingQueryCache() {
            @Override
            protected QueryCache delegate() {
                return cache;
            }

            @Override
            public String degradedReason() {
                return "Redis unavailable, working in memory only: connection refused";
            }
        };
        try (MicrometerPerfMonitor withDegraded = MicrometerPerfMonitor.builder(config().build())
                .queryCache(degraded)
                .background(false)
                .build()) {
            URI base = withDegraded.startServer().uri();
            HttpResponse<String> health = http.send(
                    HttpRequest.newBuilder(base.resolve("/health")).build(), HttpResponse.BodyHandlers.ofString());
            assertThat(health.statusCode()).isEqualTo(200); // degraded still serves
            JsonNode document = JSON.readTree(health.body());
            assertThat(document.get("status").asText()).isEqualTo("DEGRADED");
            assertThat(document.get("components").get("cache").get("detail").asText())
                    .contains("Redis unavailable");
            JsonNode cacheJson = JSON.readTree(http.send(
                            HttpRequest.newBuilder(base.resolve("/cache")).build(),
                            HttpResponse.BodyHandlers.ofString())
                    .body());
            assertThat(cacheJson.get("degraded").asText()).contains("connection refused");
        }
    }

    @Test
    void twoHundredConcurrentScrapes_allSucceed() throws Exception {
        monitor.recordRequest("balance", Duration.ofMillis(4), true);
        Concurrently.run(200, 60, thread -> {
            String path = thread % 2 == 0 ? "/metrics/prometheus" : "/status";
            HttpResponse<String> response = get(path);
            assertThat(response.statusCode()).as(path).isEqualTo(200);
            assertThat(response.body()).contains(thread % 2 == 0 ? "perfkit_requests" : "requestsPerSecond");
        });
    }

    @Test
    void startAndStopAHundredTimes_leaksNoThreadOrPort() throws Exception {
        server.close();
        Set<String> before = monitorThreads();
        for (int i = 0; i < 100; i++) {
            MonitorServer started = monitor.startServer();
            assertThat(get(started.uri(), "/health")).isEqualTo(200);
            started.close();
            started.close(); // idempotent
            try (ServerSocket reuse = new ServerSocket()) {
                reuse.bind(new InetSocketAddress("127.0.0.1", started.port())); // the port is free again
            }
        }
        org.awaitility.Awaitility.await()
                .atMost(Duration.ofSeconds(10))
                .untilAsserted(() -> assertThat(monitorThreads()).isSubsetOf(before));
    }

    private int get(URI base, String path) throws Exception {
        return http.send(HttpRequest.newBuilder(base.resolve(path)).build(), HttpResponse.BodyHandlers.ofString())
                .statusCode();
    }

    static Set<String> monitorThreads() {
        return Thread.getAllStackTraces().keySet().stream()
                .filter(Thread::isAlive)
                .map(Thread::getName)
                .filter(name -> name.startsWith("perfkit-monitor")
                        || name.startsWith("HTTP-Dispatcher")
                        || name.equals("server-timer"))
                .collect(Collectors.toSet());
    }

    @Test
    void close_ofTheMonitor_closesItsServers() throws Exception {
        URI base = server.uri();
        monitor.close();
        assertThatThrownBy(() -> get(base, "/health")).isInstanceOf(IOException.class);
        assertThatThrownBy(monitor::startServer).isInstanceOf(IllegalStateException.class);
    }
}
