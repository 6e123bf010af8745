package dev.perfkit.monitor.micrometer;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.sun.net.httpserver.Headers;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import dev.perfkit.PerfException;
import dev.perfkit.monitor.Health;
import dev.perfkit.monitor.MonitorServer;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/*
 * The monitor's HTTP server on the JDK's built-in server (com.sun.net.httpserver): no servlet
 * container, no extra dependency. One context routes every path, so that unknown paths and wrong
 * methods get JSON answers (404, 405) instead of the JDK's HTML ones.
 *
 * Defences: loopback by default, and a non-loopback address only with an admin token; admin actions
 * need "Authorization: Bearer <token>" compared in constant time (both sides hashed first, so the
 * length does not leak either); header blocks over 16 KiB get 431 and bodies over 1 KiB get 413
 * (drained up to 1 MiB so the answer arrives); a bounded pool of 4 threads with a bounded queue serves requests (excess
 * connections are refused, the server lives on); every handler failure is a JSON 500.
 */
final class HttpMonitorServer implements MonitorServer {
    private static final Logger log = LoggerFactory.getLogger(HttpMonitorServer.class);
    static final int MAX_HEADER_BYTES = 16 * 1024;
    static final int MAX_BODY_BYTES = 1024;
    static final int DRAIN_LIMIT = 1024 * 1024;
    private static final int THREADS = 4;
    private static final int QUEUE = 512;
    private static final AtomicInteger SERVERS = new AtomicInteger();
    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);
    private static final String DASHBOARD_RESOURCE = "dashboard.html";

    private final MicrometerPerfMonitor monitor;
    private final HttpServer server;
    private final ThreadPoolExecutor executor;
    private final URI uri;
    private final byte[] tokenHash;
    private final Consumer<HttpMonitorServer> onClose;
    private final AtomicBoolean closed = new AtomicBoolean();
    private final Map<String, Route> routes = new LinkedHashMap<>();

    private record Route(String method, Function<HttpExchange, Response> handler, boolean admin) {}

    private record Response(int status, String contentType, byte[] body) {}

    private HttpMonitorServer(
            MicrometerPerfMonitor monitor,
            HttpServer server,
            ThreadPoolExecutor executor,
            Consumer<HttpMonitorServer> onClose) {
        this.monitor = monitor;
        this.server = server;
        this.executor = executor;
        this.onClose = onClose;
        String token = monitor.config().adminToken();
        this.tokenHash = token.isEmpty() ? null : sha256(token);
        InetSocketAddress bound = server.getAddress();
        String host = bound.getAddress().getHostAddress();
        if (host.contains(":")) {
            host = "[" + host.replaceAll("%.*", "") + "]";
        }
        this.uri = URI.create("http://" + host + ":" + bound.getPort() + "/");
        get("/", exchange -> dashboard());
        get("/health", exchange -> {
            Health health = monitor.health();
            return json(health.status() == Health.Status.DOWN ? 503 : 200, Views.healthDocument(health));
        });
        get("/status", exchange -> json(200, Views.status(monitor)));
        get("/metrics", exchange -> json(200, Views.metrics(monitor)));
        get("/metrics/prometheus", exchange -> prometheus());
        get("/alerts", exchange -> json(200, Views.alerts(monitor)));
        get("/cache", exchange -> json(200, Views.cache(monitor)));
        get("/memory", exchange -> json(200, Views.memory(monitor)));
        get("/queries", exchange -> json(200, Views.queries(monitor)));
        get("/pool", exchange -> json(200, Views.pool(monitor)));
        get("/requests", exchange -> json(200, Views.requests(monitor)));
        routes.put("/cache/clear", new Route("POST", exchange -> json(200, Views.clearCache(monitor)), true));
        routes.put("/memory/gc", new Route("POST", exchange -> json(200, Views.collectGarbage(monitor)), true));
    }

    private void get(String path, Function<HttpExchange, Response> handler) {
        routes.put(path, new Route("GET", handler, false));
    }

    static HttpMonitorServer start(
            MicrometerPerfMonitor monitor, InetSocketAddress address, Consumer<HttpMonitorServer> onClose) {
        InetAddress host = address.getAddress();
        if (host == null) {
            throw new PerfException("Cannot resolve the monitor address " + address.getHostString());
        }
        if (!host.isLoopbackAddress() && monitor.config().adminToken().isEmpty()) {
            throw new PerfException("Refusing to bind the perfkit monitor to " + host.getHostAddress()
                    + ", which is not a loopback address, without an admin token: set PERF_ADMIN_TOKEN, or bind to"
                    + " 127.0.0.1 (PERF_MONITOR_HOST) and put a reverse proxy in front");
        }
        int id = SERVERS.incrementAndGet();
        AtomicInteger threads = new AtomicInteger();
        ThreadPoolExecutor executor = new ThreadPoolExecutor(
                THREADS,
                THREADS,
                30,
                TimeUnit.SECONDS,
                new ArrayBlockingQueue<>(QUEUE),
                runnable -> {
                    Thread thread =
                            new Thread(runnable, "perfkit-monitor-http-" + id + "-" + threads.incrementAndGet());
                    thread.setDaemon(true);
                    return thread;
                },
                new ThreadPoolExecutor.AbortPolicy());
        executor.allowCoreThreadTimeOut(true);
        HttpServer server;
        try {
            server = HttpServer.create(address, 64);
        } catch (IOException e) {
            executor.shutdownNow();
            throw new PerfException("Cannot start the perfkit monitor on " + address + ": " + e.getMessage(), e);
        }
        HttpMonitorServer monitorServer = new HttpMonitorServer(monitor, server, executor, onClose);
        server.setExecutor(executor);
        server.createContext("/", monitorServer::handle);
        server.start();
        return monitorServer;
    }

    @Override
    public URI uri() {
        return uri;
    }

    @Override
    public int port() {
        return uri.getPort();
    }

    @Override
    public void close() {
        if (!closed.compareAndSet(false, true)) {
            return;
        }
        server.stop(0);
        executor.shutdownNow();
        try {
            if (!executor.awaitTermination(5, TimeUnit.SECONDS)) {
                log.warn("perfkit monitor server threads did not stop within 5 s");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        onClose.accept(this);
    }

    private void handle(HttpExchange exchange) {
        try (exchange) {
            Response response;
            try {
                response = route(exchange);
            } catch (RuntimeException | LinkageError e) {
                log.warn(
                        "perfkit monitor failed to answer {} {}",
                        exchange.getRequestMethod(),
                        exchange.getRequestURI(),
                        e);
                response = error(500, "internal error: " + Views.describe(e));
            }
            send(exchange, response);
        } catch (IOException | UncheckedIOException e) {
            log.debug("perfkit monitor could not answer a client", e); // the client went away
        }
    }

    private Response route(HttpExchange exchange) throws IOException {
        if (headerBytes(exchange.getRequestHeaders()) > MAX_HEADER_BYTES) {
            exchange.getResponseHeaders().set("Connection", "close");
            return error(431, "request headers larger than " + MAX_HEADER_BYTES + " bytes");
        }
        if (!drainBody(exchange)) {
            exchange.getResponseHeaders().set("Connection", "close");
            return error(413, "request body larger than " + MAX_BODY_BYTES + " bytes");
        }
        String path = exchange.getRequestURI().getRawPath();
        if (path == null || path.isEmpty()) {
            path = "/";
        }
        if (path.length() > 1 && path.endsWith("/")) {
            path = path.substring(0, path.length() - 1);
        }
        Route route = routes.get(path);
        if (route == null) {
            return error(404, "no such endpoint: " + truncate(path) + " (see GET / for the dashboard)");
        }
        if (!route.method.equals(exchange.getRequestMethod())) {
            exchange.getResponseHeaders().set("Allow", route.method);
            return error(
                    405,
                    truncate(exchange.getRequestMethod()) + " is not allowed on " + path + "; use " + route.method);
        }
        if (route.admin) {
            Response denied = authorize(exchange);
            if (denied != null) {
                return denied;
            }
        }
        return route.handler.apply(exchange);
    }

    private Response authorize(HttpExchange exchange) {
        if (tokenHash == null) {
            return error(403, "admin actions are disabled: set PERF_ADMIN_TOKEN to enable them");
        }
        List<String> values = exchange.getRequestHeaders().get("Authorization");
        if (values == null || values.isEmpty()) {
            exchange.getResponseHeaders().set("WWW-Authenticate", "Bearer realm=\"perfkit\"");
            return error(401, "missing Authorization: Bearer <PERF_ADMIN_TOKEN>");
        }
        String value = values.get(0);
        if (values.size() > 1 || !value.regionMatches(true, 0, "Bearer ", 0, 7)) {
            exchange.getResponseHeaders().set("WWW-Authenticate", "Bearer realm=\"perfkit\"");
            return error(401, "expected one Authorization: Bearer <PERF_ADMIN_TOKEN> header");
        }
        byte[] given = sha256(value.substring(7).strip());
        if (!MessageDigest.isEqual(given, tokenHash)) {
            return error(403, "wrong admin token");
        }
        return null;
    }

    private static long headerBytes(Headers headers) {
        long total = 0;
        for (Map.Entry<String, List<String>> header : headers.entrySet()) {
            for (String value : header.getValue()) {
                total += header.getKey().length() + value.length() + 4;
            }
        }
        return total;
    }

    /**
     * Reads and discards the body; false when it is larger than allowed. An oversized body is
     * still read (and thrown away) up to {@link #DRAIN_LIMIT}, so that the 413 reaches the client
     * instead of a reset connection; beyond that the server stops reading.
     */
    private static boolean drainBody(HttpExchange exchange) throws IOException {
        String length = exchange.getRequestHeaders().getFirst("Content-Length");
        long declared = -1;
        if (length != null) {
            try {
                declared = Long.parseLong(length.strip());
            } catch (NumberFormatException e) {
                return false;
            }
            if (declared > DRAIN_LIMIT) {
                return false;
            }
        }
        InputStream body = exchange.getRequestBody();
        byte[] buffer = new byte[8192];
        long read = 0;
        for (int n; (n = body.read(buffer)) > 0; ) {
            read += n;
            if (read > DRAIN_LIMIT) {
                return false;
            }
        }
        return read <= MAX_BODY_BYTES && declared <= MAX_BODY_BYTES;
    }

    private Response prometheus() {
        if (!monitor.config().prometheusEnabled()) {
            return error(404, "Prometheus export is disabled (PROMETHEUS_ENABLED=false)");
        }
        PrometheusScrape scrape = monitor.prometheus();
        if (scrape.unavailable() != null) {
            return error(503, scrape.unavailable());
        }
        return new Response(200, PrometheusScrape.CONTENT_TYPE, scrape.scrape().getBytes(StandardCharsets.UTF_8));
    }

    private static Response dashboard() {
        try (InputStream page = HttpMonitorServer.class.getResourceAsStream(DASHBOARD_RESOURCE)) {
            if (page == null) {
                return error(500, "dashboard page missing from the perf-monitor jar");
            }
            return new Response(200, "text/html; charset=utf-8", page.readAllBytes());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static Response json(int status, Object document) {
        try {
            return new Response(status, "application/json; charset=utf-8", JSON.writeValueAsBytes(document));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static Response error(int status, String message) {
        Map<String, Object> document = new LinkedHashMap<>();
        document.put("status", status);
        document.put("error", message);
        return json(status, document);
    }

    private static void send(HttpExchange exchange, Response response) throws IOException {
        Headers headers = exchange.getResponseHeaders();
        headers.set("Content-Type", response.contentType());
        headers.set("Cache-Control", "no-store");
        headers.set("X-Content-Type-Options", "nosniff");
        headers.set(
                "Content-Security-Policy",
                "default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline';"
                        + " connect-src 'self'; img-src 'self' data:");
        exchange.sendResponseHeaders(response.status(), response.body().length == 0 ? -1 : response.body().length);
        try (OutputStream out = exchange.getResponseBody()) {
            out.write(response.body());
        }
    }

    private static String truncate(String text) {
        return text.length() <= 100 ? text : text.substring(0, 100) + "...";
    }

    private static byte[] sha256(String text) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(text.getBytes(StandardCharsets.UTF_8));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is required of every JDK", e);
        }
    }
}
