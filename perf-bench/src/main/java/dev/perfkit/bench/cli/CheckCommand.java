package dev.perfkit.bench.cli;

import com.mongodb.client.MongoClient;
import dev.perfkit.Perf;
import dev.perfkit.PerfConfig;
import dev.perfkit.async.KeyedRateLimiter;
import dev.perfkit.async.TaskPoolStats;
import dev.perfkit.async.TaskPools;
import dev.perfkit.batch.BatchProcessor;
import dev.perfkit.bench.EmbeddedMongo;
import dev.perfkit.cache.QueryCache;
import dev.perfkit.cache.caffeine.CaffeineQueryCache;
import dev.perfkit.memory.MemoryManager;
import dev.perfkit.memory.MemoryPressureRegistry;
import dev.perfkit.mongo.CachedCollection;
import dev.perfkit.mongo.ChangeStreamInvalidator;
import dev.perfkit.mongo.MongoPerf;
import dev.perfkit.mongo.PingResult;
import dev.perfkit.monitor.MonitorServer;
import dev.perfkit.monitor.PerfMonitor;
import dev.perfkit.profile.QueryProfiler;
import dev.perfkit.spi.PerfProvider;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.io.PrintWriter;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.ServiceLoader;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import org.bson.Document;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code perfkit check}: every subsystem, ✅ or ❌ with the reason. */
@Command(
        name = "check",
        mixinStandardHelpOptions = true,
        description =
                "Checks every perfkit subsystem and prints an OPTIMIZATION STATUS block; exit 0 only if all pass.")
final class CheckCommand implements Callable<Integer> {
    @Mixin
    MongoOption mongo = new MongoOption();

    @Option(
            names = "--timeout",
            defaultValue = "3s",
            converter = DurationConverter.class,
            description = "How long to wait for MongoDB (default: ${DEFAULT-VALUE})")
    Duration timeout;

    @Spec
    picocli.CommandLine.Model.CommandSpec spec;

    record Result(String name, boolean passed, String detail) {}

    @Override
    public Integer call() {
        PrintWriter out = spec.commandLine().getOut();
        List<Result> results = run();
        out.println("=".repeat(60));
        out.println("                 OPTIMIZATION STATUS");
        out.println("=".repeat(60));
        for (Result result : results) {
            out.printf("%s %-22s %s%n", result.passed() ? "✅" : "❌", result.name(), result.detail());
        }
        out.println("=".repeat(60));
        long failed = results.stream().filter(r -> !r.passed()).count();
        out.println(
                failed == 0
                        ? "All " + results.size() + " checks passed."
                        : failed + " of " + results.size() + " checks failed.");
        out.flush();
        if (failed == 0) {
            return 0;
        }
        // An invalid configuration is a usage error, as for perf-test and simulate.
        boolean badConfiguration = results.stream().anyMatch(r -> r.name().equals("Configuration") && !r.passed());
        return badConfiguration ? PerfkitCli.BAD_USAGE : PerfkitCli.FAILED;
    }

    /** Sets a value and reads it back; leaves nothing behind. */
    private static boolean setAndReadBack(QueryCache cache) {
        cache.set("perfkit:check", "ok", Duration.ofSeconds(5));
        Object back = cache.get("perfkit:check");
        cache.invalidate("perfkit:check");
        return "ok".equals(back);
    }

    List<Result> run() {
        List<Result> results = new ArrayList<>();
        results.add(check("Modules", CheckCommand::modules));
        results.add(check("Configuration", () -> {
            PerfConfig config = Perf.getConfig();
            return "mode " + config.mode() + ", cache " + config.queryCacheSize() + " entries / "
                    + config.queryCacheTtl().toSeconds() + " s, memory limit " + config.memoryLimitMb() + " MB";
        }));
        results.add(check("Memory management", () -> {
            MemoryManager memory = Perf.getMemoryManager();
            double rss = memory.getMemoryUsage();
            if (!(rss > 0)) {
                throw new IllegalStateException("RSS reading is " + rss + " MB");
            }
            return String.format(
                    "RSS %.0f MB, heap %.0f MB used", rss, memory.snapshot().heapUsedMb());
        }));
        results.add(check("Query cache", () -> {
            QueryCache cache = Perf.getQueryCache();
            String summary = cache.getClass().getSimpleName() + ", max " + cache.getMaxSize() + " entries";
            if (setAndReadBack(cache)) {
                return summary;
            }
            // Memory-pressure relief runs on its own thread and may empty the cache between the two
            // steps; a cache that works reads the value back the second time.
            if (setAndReadBack(cache)) {
                return summary + " (a first value was dropped before it was read back, as memory-pressure"
                        + " relief does when the process is over its memory limit)";
            }
            throw new IllegalStateException("a value set was not read back, twice");
        }));
        results.add(check("Query profiler", () -> {
            QueryProfiler profiler = Perf.getQueryProfiler();
            long before = profiler.getStats().totalQueries();
            profiler.recordQuery("perfkit_check", "find", Map.of("check", 1), Duration.ofMillis(1), true, 1);
            if (profiler.getStats().totalQueries() != before + 1) {
                throw new IllegalStateException("a recorded query was not counted");
            }
            return profiler.getClass().getSimpleName() + ", slow threshold "
                    + profiler.getSlowThreshold().toMillis() + " ms";
        }));
        results.add(check("Batch processor", () -> {
            List<Integer> processed = new java.util.concurrent.CopyOnWriteArrayList<>();
            try (BatchProcessor<Integer> batch = Perf.<Integer>batchProcessor(processed::addAll)
                    .name("perfkit-check")
                    .build()) {
                batch.add(1);
                batch.add(2);
                batch.flush().get(10, TimeUnit.SECONDS);
            }
            if (processed.size() != 2) {
                throw new IllegalStateException("processed " + processed.size() + " of 2 items");
            }
            return "2 items processed in a flushed batch";
        }));
        results.add(check("Task pools", () -> {
            TaskPools pools = Perf.getTaskPools();
            List<Integer> squares = pools.pool(TaskPools.CPU)
                    .gather(List.<Callable<Integer>>of(() -> 1, () -> 4, () -> 9), Duration.ofSeconds(10))
                    .get(10, TimeUnit.SECONDS);
            if (!squares.equals(List.of(1, 4, 9))) {
                throw new IllegalStateException("gather returned " + squares);
            }
            StringBuilder sizes = new StringBuilder();
            for (String name : pools.names()) {
                TaskPoolStats stats = pools.pool(name).stats();
                sizes.append(sizes.length() == 0 ? "" : ", ")
                        .append(name)
                        .append(' ')
                        .append(stats.maxConcurrency());
            }
            return sizes + " at once; gather ok";
        }));
        results.add(check("Rate limiter", () -> {
            KeyedRateLimiter limiter = Perf.rateLimiter("perfkit-check", 2, Duration.ofMinutes(1));
            boolean first = limiter.tryAcquire("check");
            boolean second = limiter.tryAcquire("check");
            boolean third = limiter.tryAcquire("check");
            if (!first || !second || third) {
                throw new IllegalStateException("2 per minute gave " + first + ", " + second + ", " + third);
            }
            return "2 per minute per key: third refused, retry after "
                    + limiter.retryAfter("check").toSeconds() + " s";
        }));
        results.add(check("Monitor", () -> {
            PerfMonitor monitor = Perf.getMonitor();
            monitor.recordRequest("perfkit-check", Duration.ofMillis(1), true);
            if (monitor.requestReport().totalRequests() < 1) {
                throw new IllegalStateException("a recorded request was not counted");
            }
            try (MonitorServer server = monitor.startServer(new java.net.InetSocketAddress("127.0.0.1", 0))) {
                java.net.http.HttpResponse<String> health = java.net.http.HttpClient.newHttpClient()
                        .send(
                                java.net.http.HttpRequest.newBuilder(
                                                server.uri().resolve("/health"))
                                        .timeout(timeout)
                                        .build(),
                                java.net.http.HttpResponse.BodyHandlers.ofString());
                if (health.statusCode() != 200) {
                    throw new IllegalStateException(
                            "GET /health answered " + health.statusCode() + ": " + health.body());
                }
                return monitor.alertRules().size() + " alert rules; " + server.uri() + "health answered "
                        + monitor.health().status();
            }
        }));
        results.add(check("MongoDB", () -> {
            try (EmbeddedMongo server = EmbeddedMongo.start(mongo.uri)) {
                PingResult ping = MongoPerf.ping(server.connectionString(), timeout);
                if (!ping.reachable()) {
                    throw new IllegalStateException(ping.message());
                }
                return (server.embedded() ? "embedded server" : "server") + " reachable in "
                        + ping.latency().toMillis() + " ms, " + ping.message() + "; " + changeStreams(server);
            }
        }));
        Perf.reset();
        return results;
    }

    /**
     * Whether cached collections can follow writes made elsewhere on this server (change streams
     * need a replica set): informational, as perfkit works without them (the TTL is the bound).
     */
    private String changeStreams(EmbeddedMongo server) {
        try (MongoClient client = server.client(settings -> settings.applyToClusterSettings(
                        cluster -> cluster.serverSelectionTimeout(timeout.toMillis(), TimeUnit.MILLISECONDS)));
                CaffeineQueryCache cache = CaffeineQueryCache.builder()
                        .name("perfkit-check-changes")
                        .maxSize(10)
                        .meterRegistry(new SimpleMeterRegistry())
                        .pressureRegistry(MemoryPressureRegistry.create())
                        .build()) {
            CachedCollection<Document> probe = MongoPerf.cached(
                    client.getDatabase("perfkit_check").getCollection("changes"), Duration.ofSeconds(1), cache);
            try (ChangeStreamInvalidator listener = probe.watchChanges()) {
                return listener.state() == ChangeStreamInvalidator.State.UNAVAILABLE
                        ? "change streams unavailable (writes made elsewhere show in cached reads after their TTL)"
                        : "change streams available (CachedCollection.watchChanges())";
            }
        }
    }

    private static String modules() {
        List<String> found = new ArrayList<>();
        for (PerfProvider provider : ServiceLoader.load(PerfProvider.class)) {
            found.add(provider.getClass().getSimpleName());
        }
        List<String> missing = new ArrayList<>();
        requireClass("dev.perfkit.cache.caffeine.CaffeineQueryCache", "perf-cache", missing);
        requireClass("dev.perfkit.memory.oshi.OshiMemoryManager", "perf-memory", missing);
        requireClass("dev.perfkit.db.MicrometerQueryProfiler", "perf-db", missing);
        requireClass("dev.perfkit.mongo.MongoPerf", "perf-mongo", missing);
        requireClass("dev.perfkit.async.bulkhead.BulkheadTaskPools", "perf-async", missing);
        requireClass("dev.perfkit.monitor.micrometer.MicrometerPerfMonitor", "perf-monitor", missing);
        requireClass("dev.perfkit.redis.RedisQueryCache", "perf-redis", missing);
        if (!missing.isEmpty()) {
            throw new IllegalStateException("missing " + String.join(", ", missing));
        }
        return "perf-core, perf-memory, perf-cache, perf-db, perf-mongo, perf-async, perf-monitor, perf-redis (providers: "
                + String.join(", ", found) + ")";
    }

    private static void requireClass(String className, String artifact, List<String> missing) {
        try {
            Class.forName(className, false, CheckCommand.class.getClassLoader());
        } catch (ClassNotFoundException e) {
            missing.add("dev.perfkit:" + artifact);
        }
    }

    private static Result check(String name, Callable<String> body) {
        try {
            return new Result(name, true, body.call());
        } catch (Exception | LinkageError e) {
            String message = e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
            return new Result(name, false, message);
        }
    }
}
