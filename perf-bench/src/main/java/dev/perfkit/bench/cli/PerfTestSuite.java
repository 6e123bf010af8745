package dev.perfkit.bench.cli;

import static com.mongodb.client.model.Filters.eq;
import static com.mongodb.client.model.Updates.inc;

import com.mongodb.client.MongoClient;
import com.mongodb.client.MongoCollection;
import com.mongodb.client.model.IndexOptions;
import com.mongodb.client.model.Indexes;
import com.mongodb.client.model.InsertOneModel;
import dev.perfkit.PerfConfig;
import dev.perfkit.batch.BatchProcessor;
import dev.perfkit.bench.CommandListenerBenchmark;
import dev.perfkit.bench.EmbeddedMongo;
import dev.perfkit.bench.EmbeddedRedisServer;
import dev.perfkit.bench.MongoQueryOptimizerBenchmark;
import dev.perfkit.bench.MonitoredRegistry;
import dev.perfkit.bench.QueryCacheBenchmark;
import dev.perfkit.cache.caffeine.CaffeineQueryCache;
import dev.perfkit.db.BatchProcessors;
import dev.perfkit.db.MicrometerQueryProfiler;
import dev.perfkit.memory.MemoryPressureRegistry;
import dev.perfkit.memory.oshi.OshiMemoryManager;
import dev.perfkit.mongo.CachedCollection;
import dev.perfkit.mongo.MongoBatchWriter;
import dev.perfkit.mongo.MongoPerf;
import dev.perfkit.monitor.micrometer.MicrometerPerfMonitor;
import dev.perfkit.redis.RedisQueryCache;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;
import org.HdrHistogram.Histogram;
import org.bson.Document;

/**
 * The {@code perf-test} measurement suite: every perfkit subsystem against its baseline, measured
 * in the same run, each as a ratio plus absolute figures.
 */
final class PerfTestSuite {
    /** A step of the suite, for progress display. */
    record Step(String name, Runnable body) {}

    private static final long HIGHEST_NANOS = TimeUnit.HOURS.toNanos(1);

    private final boolean quick;
    private final String mongoUri;
    private final long budgetNanos;
    private final List<Figure> figures = new ArrayList<>();
    private final List<Report.Percentiles> percentiles = new ArrayList<>();
    private final List<Report.BeforeAfter> beforeAfter = new ArrayList<>();
    private final SimpleMeterRegistry meters = new SimpleMeterRegistry();
    private final PerfConfig config = PerfConfig.builder().meterRegistry(meters).build();

    /** Every figure id the suite reports, in order: what budgets are checked against before a run. */
    static final List<String> FIGURE_IDS = List.of(
            "cache.hit.perfkit",
            "cache.hit.caffeine",
            "cache.hit.lru",
            "cache.hit.vs_caffeine",
            "cache.miss.perfkit",
            "cache.hit.2threads.perfkit",
            "cache.hit.2threads.lru",
            "cache.hit.2threads.vs_lru",
            "cache.stampede.loads",
            "cache.stampede.naive_loads",
            "profiler.recordQuery",
            "batch.throughput",
            "memory.getMemoryUsage.cached",
            "memory.trackObject",
            "memory.snapshot",
            "memory.rss",
            "optimizer.optimizeQuery",
            "mongo.writes.one_by_one",
            "mongo.writes.batched",
            "mongo.writes.ratio",
            "mongo.find.uncached",
            "mongo.find.cached",
            "mongo.find.cached.untimed",
            "mongo.find.cache_hit",
            "mongo.find.cached.vs_cache_hit",
            "mongo.find.cached_document.vs_cache_hit",
            "mongo.find.ratio",
            "mongo.write.plain",
            "mongo.write.cached",
            "mongo.write.cached.vs_plain",
            "mongo.findOne.plain",
            "mongo.findOne.instrumented",
            "mongo.instrumentation.overhead",
            "mongo.instrumentation.noise_floor",
            "mongo.instrumentation.write_overhead",
            "mongo.instrumentation.write_noise_floor",
            "mongo.instrumentation.listener_cost",
            "monitor.recordRequest",
            "monitor.recordRequest.timer",
            "monitor.recordRequest.vs_timer",
            "monitor.recordRequest.alloc",
            "monitor.scrape",
            "monitor.simulate.overhead",
            "redis.hit.memory",
            "redis.hit.memory.vs_caffeine",
            "redis.hit.shared",
            "redis.invalidation.p50",
            "redis.invalidation.p99",
            "redis.setAll.vs_single");

    PerfTestSuite(boolean quick, String mongoUri) {
        this(quick, mongoUri, TimeUnit.MILLISECONDS.toNanos(quick ? 1_500 : 8_000));
    }

    /** A suite with another time budget per figure (tests run it with a tiny one). */
    PerfTestSuite(boolean quick, String mongoUri, long budgetNanos) {
        this.quick = quick;
        this.mongoUri = mongoUri;
        this.budgetNanos = budgetNanos;
    }

    /**
     * Runs every step, reporting each before it starts.
     *
     * @param onStep called with the name of each step as it starts, and its index
     * @return the report
     */
    Report run(java.util.function.BiConsumer<Integer, String> onStep) {
        Instant started = Instant.now();
        List<Report.MemoryPoint> memory = new java.util.concurrent.CopyOnWriteArrayList<>();
        OshiMemoryManager memoryManager = OshiMemoryManager.builder()
                .config(config)
                .pressureRegistry(MemoryPressureRegistry.create())
                .backgroundSampling(false)
                .build();
        ScheduledExecutorService sampler = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread thread = new Thread(r, "perfkit-perf-test-memory");
            thread.setDaemon(true);
            return thread;
        });
        long t0 = System.nanoTime();
        sampler.scheduleAtFixedRate(
                () -> memory.add(new Report.MemoryPoint(
                        (System.nanoTime() - t0) / 1e9, memoryManager.snapshot().rssMb())),
                0,
                250,
                TimeUnit.MILLISECONDS);
        try (EmbeddedMongo mongo = EmbeddedMongo.start(mongoUri)) {
            List<Step> steps = steps(mongo, memoryManager);
            for (int i = 0; i < steps.size(); i++) {
                onStep.accept(i, steps.get(i).name());
                // Isolate the steps: garbage one step leaves (the memory step leaves millions of weak
                // references) must not be collected on the next step's clock.
                System.gc();
                steps.get(i).body().run();
            }
            Map<String, String> environment = new LinkedHashMap<>();
            environment.put(
                    "java", System.getProperty("java.version") + " (" + System.getProperty("java.vm.name") + ")");
            environment.put("os", System.getProperty("os.name") + " " + System.getProperty("os.arch"));
            environment.put("cores", String.valueOf(Runtime.getRuntime().availableProcessors()));
            environment.put(
                    "mongodb", mongo.embedded() ? "embedded mongo-java-server" : "PERF_MONGO_URI / --mongo-uri");
            environment.put("time budget per figure", (budgetNanos / 1_000_000) + " ms");
            return new Report(
                    started, quick ? "quick" : "full", environment, figures, percentiles, beforeAfter, memory);
        } finally {
            sampler.shutdownNow();
            memoryManager.close();
        }
    }

    /** Returns the number of steps, for the progress bar. */
    static int stepCount() {
        return 13;
    }

    private List<Step> steps(EmbeddedMongo mongo, OshiMemoryManager memoryManager) {
        List<Step> steps = new ArrayList<>();
        steps.add(new Step("cache: hits and misses", this::cacheSingleThread));
        steps.add(new Step("cache: two threads", this::cacheTwoThreads));
        steps.add(new Step("cache: stampede", this::cacheStampede));
        steps.add(new Step("profiler: recordQuery", this::profiler));
        steps.add(new Step("batch processor", this::batch));
        steps.add(new Step("memory manager", () -> memory(memoryManager)));
        steps.add(new Step("query optimizer", this::optimizer));
        steps.add(new Step("mongo: batched vs one-by-one writes", () -> writes(mongo)));
        steps.add(new Step("mongo: cached vs uncached finds", () -> finds(mongo)));
        steps.add(new Step("mongo: writes with 10,000 reads cached", () -> cachedWrites(mongo)));
        steps.add(new Step("mongo: instrumentation overhead", this::instrumentation));
        steps.add(new Step("monitor: record, scrape, attached to the bank bot", () -> monitor(mongo)));
        steps.add(new Step("redis: two-level cache on an embedded Redis", this::redis));
        return steps;
    }

    /** A single reading, whose spread is not measured. */
    private void add(String id, String group, String name, double value, String unit, boolean higherIsBetter) {
        figures.add(new Figure(id, group, name, value, unit, higherIsBetter));
    }

    /** A timed figure with its round-to-round spread. */
    private void add(
            String id, String group, String name, Timing.Measurement value, String unit, boolean higherIsBetter) {
        figures.add(new Figure(id, group, name, value.value(), unit, higherIsBetter, value.noise()));
    }

    // ---- cache

    private static String[] keys(int n) {
        String[] keys = new String[n];
        for (int i = 0; i < n; i++) {
            keys[i] = "user:" + i + ":profile";
        }
        return keys;
    }

    private void cacheSingleThread() {
        String[] keys = keys(10_000);
        QueryCacheBenchmark.Adapter perfkit = QueryCacheBenchmark.Impl.CAFFEINE_QUERY_CACHE.create();
        QueryCacheBenchmark.Adapter caffeine = QueryCacheBenchmark.Impl.RAW_CAFFEINE.create();
        QueryCacheBenchmark.Adapter lru = QueryCacheBenchmark.Impl.SYNCHRONIZED_LRU.create();
        for (String key : keys) {
            perfkit.set(key, key);
            caffeine.set(key, key);
            lru.set(key, key);
        }
        // An untimed pass first: this is the suite's first step, in a JVM whose compiler is still busy.
        Timing.compare(
                i -> perfkit.get(keys[(int) (i % keys.length)]),
                i -> caffeine.get(keys[(int) (i % keys.length)]),
                budgetNanos);
        Timing.Measurement[] vsCaffeine = Timing.compare(
                i -> perfkit.get(keys[(int) (i % keys.length)]),
                i -> caffeine.get(keys[(int) (i % keys.length)]),
                budgetNanos);
        Timing.Measurement lruHit = Timing.measure(i -> lru.get(keys[(int) (i % keys.length)]), budgetNanos / 2);
        Timing.Measurement miss = Timing.measure(i -> perfkit.get("absent:" + (i & 1023)), budgetNanos / 2);
        add("cache.hit.perfkit", "cache", "get, hit (CaffeineQueryCache)", vsCaffeine[0], "ns/op", false);
        add("cache.hit.caffeine", "cache", "get, hit (raw Caffeine)", vsCaffeine[1], "ns/op", false);
        add("cache.hit.lru", "cache", "get, hit (synchronized LRU)", lruHit, "ns/op", false);
        add(
                "cache.hit.vs_caffeine",
                "cache",
                "hit time / raw Caffeine's",
                vsCaffeine[0].over(vsCaffeine[1]),
                "x",
                false);
        add("cache.miss.perfkit", "cache", "get, miss (CaffeineQueryCache)", miss, "ns/op", false);
    }

    private void cacheTwoThreads() {
        String[] keys = keys(10_000);
        QueryCacheBenchmark.Adapter perfkit = QueryCacheBenchmark.Impl.CAFFEINE_QUERY_CACHE.create();
        QueryCacheBenchmark.Adapter lru = QueryCacheBenchmark.Impl.SYNCHRONIZED_LRU.create();
        for (String key : keys) {
            perfkit.set(key, key);
            lru.set(key, key);
        }
        // Alternate short windows of each, so drifting load hits both, and keep every window's rate.
        List<Double> oursRates = new ArrayList<>();
        List<Double> theirsRates = new ArrayList<>();
        for (int window = 0; window < 5; window++) {
            oursRates.add(throughput(perfkit, keys, 2, budgetNanos / 10));
            theirsRates.add(throughput(lru, keys, 2, budgetNanos / 10));
        }
        Timing.Measurement ours = Timing.summarize(oursRates);
        Timing.Measurement theirs = Timing.summarize(theirsRates);
        add("cache.hit.2threads.perfkit", "cache", "hits/s, 2 threads (CaffeineQueryCache)", ours, "ops/s", true);
        add("cache.hit.2threads.lru", "cache", "hits/s, 2 threads (synchronized LRU)", theirs, "ops/s", true);
        add("cache.hit.2threads.vs_lru", "cache", "hit throughput / synchronized LRU's", ours.over(theirs), "x", true);
        beforeAfter.add(
                new Report.BeforeAfter("cache hits per second, 2 threads", theirs.value(), ours.value(), "ops/s"));
    }

    private static double throughput(
            QueryCacheBenchmark.Adapter cache, String[] keys, int threads, long durationNanos) {
        AtomicLong operations = new AtomicLong();
        CountDownLatch done = new CountDownLatch(threads);
        for (int t = 0; t < threads; t++) {
            int offset = t * 7919;
            Thread worker = new Thread(() -> {
                long end = System.nanoTime() + durationNanos;
                long count = 0;
                while (System.nanoTime() < end) {
                    for (int i = 0; i < 256; i++) {
                        cache.get(keys[(int) ((offset + count + i) % keys.length)]);
                    }
                    count += 256;
                }
                operations.addAndGet(count);
                done.countDown();
            });
            worker.setDaemon(true);
            worker.start();
        }
        try {
            done.await();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        return operations.get() / (durationNanos / 1e9);
    }

    private void cacheStampede() {
        int callers = 16;
        CaffeineQueryCache cache = CaffeineQueryCache.builder()
                .name("perf-test-stampede")
                .meterRegistry(meters)
                .pressureRegistry(MemoryPressureRegistry.create())
                .build();
        AtomicInteger perfkitLoads = new AtomicInteger();
        stampede(callers, () -> cache.getOrLoad("hot", Duration.ofMinutes(1), () -> slowLoad(perfkitLoads)));
        ConcurrentHashMap<String, Object> naive = new ConcurrentHashMap<>();
        AtomicInteger naiveLoads = new AtomicInteger();
        stampede(callers, () -> {
            // check-then-load, as a hand-written cache in a bot often does
            Object value = naive.get("hot");
            if (value == null) {
                value = slowLoad(naiveLoads);
                naive.put("hot", value);
            }
        });
        cache.close();
        add(
                "cache.stampede.loads",
                "cache",
                "loads for 16 concurrent misses (CaffeineQueryCache)",
                perfkitLoads.get(),
                "loads",
                false);
        add(
                "cache.stampede.naive_loads",
                "cache",
                "loads for 16 concurrent misses (check-then-load map)",
                naiveLoads.get(),
                "loads",
                false);
    }

    private static Object slowLoad(AtomicInteger loads) {
        loads.incrementAndGet();
        try {
            Thread.sleep(20); // stands for the database query being saved
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        return "value";
    }

    private static void stampede(int callers, Runnable call) {
        CountDownLatch start = new CountDownLatch(1);
        CountDownLatch done = new CountDownLatch(callers);
        for (int i = 0; i < callers; i++) {
            Thread caller = new Thread(() -> {
                try {
                    start.await();
                    call.run();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                } finally {
                    done.countDown();
                }
            });
            caller.setDaemon(true);
            caller.start();
        }
        start.countDown();
        try {
            done.await(30, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    // ---- profiler, batches, memory, optimizer

    private void profiler() {
        MicrometerQueryProfiler profiler = MicrometerQueryProfiler.create(config);
        Document[] queries = new Document[1024];
        for (int i = 0; i < queries.length; i++) {
            queries[i] = new Document("guild_id", 1_000L + i)
                    .append("active", i % 2 == 0)
                    .append("balance", new Document("$gte", i * 10));
        }
        Duration duration = Duration.ofMillis(3);
        Timing.Measurement record = Timing.measure(
                i -> profiler.recordQuery("accounts", "find", queries[(int) (i & 1023)], duration, true, 1),
                budgetNanos);
        profiler.close();
        add("profiler.recordQuery", "profiler", "recordQuery, 3-field query", record, "ns/op", false);
    }

    private void batch() {
        try (BatchProcessor<Long> processor = BatchProcessors.builder(config, (List<Long> batch) -> {})
                .name("perf-test")
                .batchSize(1_000)
                .maxPending(100_000)
                .maxDelay(Duration.ofMillis(5))
                .build()) {
            Timing.Measurement perItem = Timing.measure(processor::add, budgetNanos);
            processor.flush().join();
            add("batch.throughput", "batch", "add throughput, no-op handler", perItem.perSecond(1), "items/s", true);
        }
    }

    private void memory(OshiMemoryManager manager) {
        OshiMemoryManager tracker = OshiMemoryManager.builder()
                .config(PerfConfig.builder()
                        .meterRegistry(new SimpleMeterRegistry()) // its own: one manager's gauges per registry
                        .maxTrackedObjects(100_000)
                        .build())
                .pressureRegistry(MemoryPressureRegistry.create())
                .backgroundSampling(false)
                .build();
        Timing.Measurement cached = Timing.measure(i -> manager.getMemoryUsage(), budgetNanos / 3);
        Timing.Measurement track = Timing.measure(i -> tracker.trackObject(new Object(), "session"), budgetNanos / 3);
        Timing.Measurement snapshot = Timing.measure(i -> manager.snapshot(), budgetNanos / 3);
        tracker.close();
        add("memory.getMemoryUsage.cached", "memory", "getMemoryUsage(), cached reading", cached, "ns/op", false);
        add("memory.trackObject", "memory", "trackObject", track, "ns/op", false);
        add("memory.snapshot", "memory", "snapshot() (fresh OSHI reading)", snapshot.in(1_000), "us/op", false);
        add("memory.rss", "memory", "process RSS now", manager.snapshot().rssMb(), "MB", false);
    }

    private void optimizer() {
        MongoQueryOptimizerBenchmark benchmark = new MongoQueryOptimizerBenchmark();
        Timing.Measurement time = Timing.measure(i -> benchmark.optimizeQuery(), budgetNanos);
        add("optimizer.optimizeQuery", "optimizer", "optimizeQuery, the seed's query", time, "ns/op", false);
    }

    // ---- MongoDB

    private void writes(EmbeddedMongo mongo) {
        try (MongoClient client = mongo.client(settings -> {})) {
            MongoCollection<Document> events =
                    client.getDatabase("perfkit_perf_test").getCollection("events");
            events.drop();
            AtomicLong ids = new AtomicLong();
            int perRound = quick ? 200 : 1_000;
            try (MongoBatchWriter<Document> writer = MongoBatchWriter.create(
                    events, config, b -> b.batchSize(perRound).maxDelay(Duration.ofMillis(5)), (models, cause) -> {})) {
                Timing.Measurement[] times = Timing.compare(
                        i -> {
                            for (int k = 0; k < perRound; k++) {
                                events.insertOne(new Document("_id", ids.incrementAndGet()));
                            }
                        },
                        i -> {
                            for (int k = 0; k < perRound; k++) {
                                writer.add(new InsertOneModel<>(new Document("_id", ids.incrementAndGet())));
                            }
                            writer.flush().join();
                        },
                        budgetNanos * 2);
                Timing.Measurement oneByOne = times[0].perSecond(perRound);
                Timing.Measurement batched = times[1].perSecond(perRound);
                add("mongo.writes.one_by_one", "mongo", "inserts/s, one insertOne each", oneByOne, "ops/s", true);
                add("mongo.writes.batched", "mongo", "inserts/s, batch writer", batched, "ops/s", true);
                add(
                        "mongo.writes.ratio",
                        "mongo",
                        "batched / one-by-one throughput",
                        batched.over(oneByOne),
                        "x",
                        true);
                beforeAfter.add(
                        new Report.BeforeAfter("inserts per second", oneByOne.value(), batched.value(), "ops/s"));
            }
            events.drop();
        }
    }

    private void finds(EmbeddedMongo mongo) {
        try (MongoClient client = mongo.client(settings -> {})) {
            MongoCollection<Document> users = seededUsers(client, "users");
            CaffeineQueryCache cache = queryCache("perf-test-find", 10_000);
            CachedCollection<Document> cached = MongoPerf.cached(users, Duration.ofHours(1), cache);
            for (int i = 0; i < 1_000; i++) {
                cached.find(eq("user_id", i)).toList();
            }
            Histogram plain = new Histogram(HIGHEST_NANOS, 2);
            Histogram hit = new Histogram(HIGHEST_NANOS, 2);
            Timing.Measurement[] times = Timing.compare(
                    i -> timed(plain, () -> users.find(eq("user_id", (int) (i % 1_000)))
                            .first()),
                    i -> timed(hit, () -> cached.find(eq("user_id", (int) (i % 1_000)))
                            .toList()),
                    budgetNanos * 2);
            // The floor a cached find can approach: a hit on the same QueryCache, key already built.
            String[] keys = new String[1_000];
            for (int i = 0; i < keys.length; i++) {
                keys[i] = "user:" + i;
                cache.set(keys[i], List.of(new Document("user_id", i)), Duration.ofHours(1));
            }
            Timing.Measurement[] hits = Timing.compare(
                    i -> cached.find(eq("user_id", (int) (i % 1_000))).toList(),
                    i -> cache.get(keys[(int) (i % 1_000)]),
                    budgetNanos);
            // The same read with a Document filter: keyed by walking the caller's Document, where a
            // driver filter (Filters.eq) must first be rendered to BSON by the driver's codecs.
            for (int i = 0; i < 1_000; i++) {
                cached.find(new Document("user_id", i)).toList();
            }
            Timing.Measurement[] documentHits = Timing.compare(
                    i -> cached.find(new Document("user_id", (int) (i % 1_000))).toList(),
                    i -> cache.get(keys[(int) (i % 1_000)]),
                    budgetNanos);
            cache.close();
            add("mongo.find.uncached", "mongo", "find by user_id, uncached", times[0].in(1_000), "us/op", false);
            add("mongo.find.cached", "mongo", "find by user_id, cached (hit)", times[1].in(1_000), "us/op", false);
            add(
                    "mongo.find.cached.untimed",
                    "mongo",
                    "find by user_id, cached (hit), no histogram",
                    hits[0],
                    "ns/op",
                    false);
            add("mongo.find.cache_hit", "mongo", "QueryCache hit under a built key", hits[1], "ns/op", false);
            add(
                    "mongo.find.cached.vs_cache_hit",
                    "mongo",
                    "cached find hit / QueryCache hit",
                    hits[0].over(hits[1]),
                    "x",
                    false);
            add(
                    "mongo.find.cached_document.vs_cache_hit",
                    "mongo",
                    "cached find hit, Document filter / QueryCache hit",
                    documentHits[0].over(documentHits[1]),
                    "x",
                    false);
            // The hit's own cost, not the histogram's: a hit is ~0.2 µs and recording it in a histogram
            // costs about as much, where the uncached read's 100 µs do not notice theirs.
            add(
                    "mongo.find.ratio",
                    "mongo",
                    "uncached / cached hit latency (hit without histogram)",
                    times[0].over(hits[0]),
                    "x",
                    true);
            percentiles.add(percentilesOf("find, uncached", plain));
            percentiles.add(percentilesOf("find, cached (hit)", hit));
            beforeAfter.add(new Report.BeforeAfter(
                    "find latency (µs)", times[0].value() / 1_000, times[1].value() / 1_000, "µs"));
        }
    }

    /** Members whose balance reads are cached before cachedWrites times its payments. */
    private static final int CACHED_MEMBERS = 10_000;

    /**
     * A payment ({@code updateOne} by a unique user_id) through a cached collection holding 10,000
     * members' balance reads, against the same payment through the driver. A write judges only the
     * reads it may affect, so the wrapper's share does not grow with the reads cached; when every
     * write judged every read, a scratch program measured about 15 times the plain write
     * (docs/mongo.md).
     */
    private void cachedWrites(EmbeddedMongo mongo) {
        try (MongoClient client = mongo.client(settings -> {})) {
            MongoCollection<Document> members =
                    client.getDatabase("perfkit_perf_test").getCollection("members");
            members.drop();
            members.createIndex(Indexes.ascending("user_id"), new IndexOptions().unique(true));
            List<Document> documents = new ArrayList<>();
            for (int i = 0; i < CACHED_MEMBERS; i++) {
                documents.add(
                        new Document("user_id", i).append("guild_id", i % 50).append("balance", 0L));
            }
            members.insertMany(documents);
            CaffeineQueryCache cache = queryCache("perf-test-writes", 100_000);
            CachedCollection<Document> cached = MongoPerf.cached(members, Duration.ofHours(1), cache);
            for (int i = 0; i < CACHED_MEMBERS; i++) {
                Object unused = cached.find(eq("user_id", i)).first();
            }
            // Payments to members spread over the whole range (write-through keeps their reads cached).
            Timing.Measurement[] times = Timing.compare(
                    i -> members.updateOne(eq("user_id", (int) (i * 7_919 % CACHED_MEMBERS)), inc("balance", 1L)),
                    i -> cached.updateOne(eq("user_id", (int) (i * 7_919 % CACHED_MEMBERS)), inc("balance", 1L)),
                    budgetNanos);
            cache.close();
            add("mongo.write.plain", "mongo", "updateOne by user_id, plain", times[0].in(1_000), "us/op", false);
            add(
                    "mongo.write.cached",
                    "mongo",
                    "updateOne by user_id, cached collection, 10,000 reads cached",
                    times[1].in(1_000),
                    "us/op",
                    false);
            add(
                    "mongo.write.cached.vs_plain",
                    "mongo",
                    "cached collection write / plain write (10,000 reads cached)",
                    times[1].over(times[0]),
                    "x",
                    false);
        }
    }

    /**
     * End to end, as a host feels it: findOne and insertOne through plain clients and through
     * clients with {@code MongoPerf.instrument}, CLIENTS of each (so one connection's luck on the
     * embedded server's threads does not decide), rounds alternated in shuffled order on clients
     * drawn at random, and the figure is the median of the per-round ratios with its spread. A
     * second set of plain clients runs in the same rounds: its "overhead" over the first is the
     * method's own noise floor, reported beside the figure so a reader can tell what it resolves.
     * The embedded server of this step serves every connection on one thread, so that the sides
     * differ by their listeners and not by the server thread their connections landed on.
     */
    private void instrumentation() {
        // its own server, one worker thread: see EmbeddedMongo.startForComparison
        try (EmbeddedMongo mongo = EmbeddedMongo.startForComparison(mongoUri)) {
            instrumentation(mongo);
        }
    }

    private void instrumentation(EmbeddedMongo mongo) {
        MicrometerQueryProfiler profiler = MicrometerQueryProfiler.create(config);
        List<MongoClient> clients = new ArrayList<>();
        try {
            String collectionName = "instrumented_users";
            List<List<MongoCollection<Document>>> sides =
                    List.of(new ArrayList<>(), new ArrayList<>(), new ArrayList<>());
            for (int i = 0; i < CLIENTS; i++) {
                for (int side = 0; side < sides.size(); side++) {
                    MongoClient client = side == INSTRUMENTED
                            ? mongo.client(settings -> MongoPerf.instrument(settings, () -> profiler, meters))
                            : mongo.client(settings -> {});
                    clients.add(client);
                    if (clients.size() == 1) {
                        seededUsers(client, collectionName);
                    }
                    sides.get(side).add(client.getDatabase("perfkit_perf_test").getCollection(collectionName));
                }
            }
            AtomicLong next = new AtomicLong();
            Alternated reads =
                    alternatedRounds(sides, users -> users.find(eq("user_id", (int) (next.incrementAndGet() % 1_000)))
                            .first());
            Alternated writes =
                    alternatedRounds(sides, users -> users.insertOne(new Document("n", next.incrementAndGet())));
            add("mongo.findOne.plain", "mongo", "findOne, plain client", reads.plain(), "us/op", false);
            add(
                    "mongo.findOne.instrumented",
                    "mongo",
                    "findOne, instrumented client",
                    reads.instrumented(),
                    "us/op",
                    false);
            add(
                    "mongo.instrumentation.overhead",
                    "mongo",
                    "instrumentation overhead on findOne, end to end (median of paired rounds)",
                    reads.overhead(),
                    "%",
                    false);
            add(
                    "mongo.instrumentation.noise_floor",
                    "mongo",
                    "the same measured between two sets of plain clients (noise floor)",
                    reads.noiseFloor(),
                    "%",
                    false);
            add(
                    "mongo.instrumentation.write_overhead",
                    "mongo",
                    "instrumentation overhead on insertOne, end to end (median of paired rounds)",
                    writes.overhead(),
                    "%",
                    false);
            add(
                    "mongo.instrumentation.write_noise_floor",
                    "mongo",
                    "the same measured between two sets of plain clients (noise floor)",
                    writes.noiseFloor(),
                    "%",
                    false);
            Timing.Measurement listeners = listenerCost();
            add(
                    "mongo.instrumentation.listener_cost",
                    "mongo",
                    "command listener's own cost per command",
                    listeners.in(1_000),
                    "us/op",
                    false);
        } finally {
            clients.forEach(MongoClient::close);
            profiler.close();
        }
    }

    // ---- monitor

    private void monitor(EmbeddedMongo mongo) {
        String[] names = {"balance", "transfer", "daily", "leaderboard", "profile", "shop", "work", "help"};
        Timing.Measurement[] record;
        double allocated;
        try (MicrometerPerfMonitor monitor = MicrometerPerfMonitor.builder(PerfConfig.builder()
                        .meterRegistry(new SimpleMeterRegistry())
                        .performanceMonitoringEnabled(false)
                        .build())
                .build()) {
            Timer timer = Timer.builder("baseline")
                    .publishPercentiles(0.5, 0.95, 0.99)
                    .percentilePrecision(2)
                    .register(new SimpleMeterRegistry());
            record = Timing.compare(
                    i -> monitor.recordRequestNanos(names[(int) (i & 7)], 100_000 + (i & 1023) * 1_000, (i & 63) != 0),
                    i -> timer.record(100_000 + (i & 1023) * 1_000, TimeUnit.NANOSECONDS),
                    budgetNanos);
            allocated = allocatedPerCall(
                    i -> monitor.recordRequestNanos(names[(int) (i & 7)], 100_000 + (i & 1023) * 1_000, true));
        }
        add("monitor.recordRequest", "monitor", "recordRequest, 8 names", record[0], "ns/op", false);
        add(
                "monitor.recordRequest.timer",
                "monitor",
                "baseline: one Micrometer timer with percentiles",
                record[1],
                "ns/op",
                false);
        add(
                "monitor.recordRequest.vs_timer",
                "monitor",
                "recordRequest vs the bare Micrometer timer",
                record[0].over(record[1]),
                "x",
                false);
        add("monitor.recordRequest.alloc", "monitor", "bytes allocated per recordRequest", allocated, "B/op", false);

        try (MonitoredRegistry registry = new MonitoredRegistry()) {
            Timing.Measurement scrape = Timing.measure(i -> registry.scrape(), budgetNanos / 2);
            add(
                    "monitor.scrape",
                    "monitor",
                    "Prometheus scrape of every perfkit meter (" + registry.meterCount() + " meters)",
                    scrape.in(1_000_000),
                    "ms",
                    false);
        }

        int pairs = quick ? 3 : 6;
        Duration round = Duration.ofMillis(quick ? 1_000 : 2_000);
        List<Double> overheads = new BankBotSimulation(200, round, 42)
                .monitorOverhead(mongo.connectionString(), pairs, round, (cache, memory, profiler, registry) -> {
                    MicrometerPerfMonitor monitor = MicrometerPerfMonitor.builder(PerfConfig.builder()
                                    .meterRegistry(registry)
                                    .performanceMonitoringInterval(Duration.ofSeconds(1))
                                    .build())
                            .queryCache(cache)
                            .memoryManager(memory)
                            .queryProfiler(profiler)
                            .build();
                    monitor.startServer();
                    return monitor;
                });
        add(
                "monitor.simulate.overhead",
                "monitor",
                "bank bot throughput lost with the monitor attached (median of paired rounds)",
                Timing.summarize(overheads),
                "%",
                false);
    }

    /** Bytes the calling thread allocates per call, over a million calls after warm-up. */
    private static double allocatedPerCall(java.util.function.LongConsumer call) {
        com.sun.management.ThreadMXBean threads =
                (com.sun.management.ThreadMXBean) java.lang.management.ManagementFactory.getThreadMXBean();
        for (long i = 0; i < 200_000; i++) {
            call.accept(i);
        }
        long thread = Thread.currentThread().getId();
        long before = threads.getThreadAllocatedBytes(thread);
        int calls = 1_000_000;
        for (long i = 0; i < calls; i++) {
            call.accept(i);
        }
        return (double) (threads.getThreadAllocatedBytes(thread) - before) / calls;
    }

    // ---- two-level cache

    /** The two-level cache on the embedded Redis, or on PERF_REDIS_URI / REDIS_URL when set. */
    private void redis() {
        try (EmbeddedRedisServer server = EmbeddedRedisServer.start()) {
            RedisQueryCache memoryFirst = server.cache("perf-test", dev.perfkit.cache.CacheLevel.BOTH);
            RedisQueryCache other = server.cache("perf-test", dev.perfkit.cache.CacheLevel.BOTH);
            RedisQueryCache redisOnly = server.cache("perf-test", dev.perfkit.cache.CacheLevel.REDIS);
            CaffeineQueryCache caffeine = CaffeineQueryCache.builder()
                    .name("perf-test-redis-baseline")
                    .maxSize(10_000)
                    .meterRegistry(new SimpleMeterRegistry())
                    .pressureRegistry(MemoryPressureRegistry.create())
                    .build();
            try {
                String[] keys = keys(1_024);
                for (String key : keys) {
                    memoryFirst.set(key, "value of " + key);
                    caffeine.set(key, "value of " + key);
                }
                Timing.Measurement[] hits = Timing.compare(
                        i -> memoryFirst.get(keys[(int) (i & 1023)]),
                        i -> caffeine.get(keys[(int) (i & 1023)]),
                        budgetNanos);
                add(
                        "redis.hit.memory",
                        "redis",
                        "two-level cache: hit in the in-process level",
                        hits[0],
                        "ns/op",
                        false);
                add(
                        "redis.hit.memory.vs_caffeine",
                        "redis",
                        "in-process hit / CaffeineQueryCache hit",
                        hits[0].over(hits[1]),
                        "x",
                        false);
                Timing.Measurement shared = Timing.measure(i -> redisOnly.get(keys[(int) (i & 1023)]), budgetNanos / 2);
                add(
                        "redis.hit.shared",
                        "redis",
                        "hit in Redis (one loopback round trip)",
                        shared.in(1_000),
                        "us/op",
                        false);

                Histogram propagation = new Histogram(3_600_000_000L, 2);
                int rounds = quick ? 300 : 2_000;
                for (long version = 1; version <= rounds; version++) {
                    Object unused = other.get("shared");
                    long start = System.nanoTime();
                    memoryFirst.set("shared", version);
                    while (!Long.valueOf(version).equals(other.get("shared"))) {
                        Thread.onSpinWait();
                    }
                    propagation.recordValue(Math.min(3_600_000_000L, (System.nanoTime() - start) / 1_000));
                }
                add(
                        "redis.invalidation.p50",
                        "redis",
                        "a write until another instance sees it, p50",
                        propagation.getValueAtPercentile(50) / 1_000.0,
                        "ms",
                        false);
                add(
                        "redis.invalidation.p99",
                        "redis",
                        "a write until another instance sees it, p99",
                        propagation.getValueAtPercentile(99) / 1_000.0,
                        "ms",
                        false);

                Map<String, Object> batch = new LinkedHashMap<>();
                for (int i = 0; i < 100; i++) {
                    batch.put("batch:" + i, "value " + i);
                }
                Timing.Measurement[] writes = Timing.compare(
                        i -> batch.forEach(redisOnly::set),
                        i -> redisOnly.setAll(batch, Duration.ofMinutes(5)),
                        budgetNanos / 2);
                add(
                        "redis.setAll.vs_single",
                        "redis",
                        "100 sets one by one / one pipelined setAll",
                        writes[0].over(writes[1]),
                        "x",
                        true);
            } finally {
                memoryFirst.close();
                other.close();
                redisOnly.close();
                caffeine.close();
            }
        }
    }

    private static final int CLIENTS = 4;
    private static final int OPS_PER_ROUND = 20;

    /**
     * Rounds run before measuring: 15,000 commands a side. The instrumented path (the driver's event
     * code and the listeners) takes that long to be compiled on two cores; earlier steps have
     * warmed the plain path already. Measured from a fresh JVM in 4-second windows, the overhead
     * was 13 % in the first window and 3-4 % in every later one; with 5 warm-up rounds this figure
     * read 8-20 %.
     */
    private static final int WARMUP_ROUNDS = 750;

    /** The sides of alternatedRounds, by index. */
    private static final int PLAIN = 0;

    private static final int PLAIN_AGAIN = 1;
    private static final int INSTRUMENTED = 2;

    /** What alternatedRounds measured: µs/op of two sides, and two overheads in percent. */
    private record Alternated(
            Timing.Measurement plain,
            Timing.Measurement instrumented,
            Timing.Measurement overhead,
            Timing.Measurement noiseFloor) {}

    /**
     * Runs {@code op} in rounds on every side (plain, plain again, instrumented), each round on a
     * client of each side drawn at random, the sides in a shuffled order; returns the plain and
     * instrumented µs/op, the overhead of INSTRUMENTED over the mean of both plain sides and that of
     * PLAIN_AGAIN over PLAIN (the noise floor) in percent (medians of per-round ratios), each with
     * its spread.
     */
    private Alternated alternatedRounds(
            List<List<MongoCollection<Document>>> sides, Consumer<MongoCollection<Document>> op) {
        java.util.SplittableRandom random = new java.util.SplittableRandom(42);
        List<List<Double>> micros = List.of(new ArrayList<>(), new ArrayList<>(), new ArrayList<>());
        List<Double> overheads = new ArrayList<>();
        List<Double> noise = new ArrayList<>();
        List<Integer> order = new ArrayList<>(List.of(PLAIN, PLAIN_AGAIN, INSTRUMENTED));
        double[] round = new double[sides.size()];
        long end = Long.MAX_VALUE;
        int rounds = 0;
        do {
            if (rounds == WARMUP_ROUNDS) {
                end = System.nanoTime() + budgetNanos * 3; // measure for this long once every side is warm
            }
            Collections.shuffle(order, new java.util.Random(random.nextLong()));
            for (int side : order) {
                List<MongoCollection<Document>> clientsOfSide = sides.get(side);
                round[side] = timeRound(clientsOfSide.get(random.nextInt(clientsOfSide.size())), op);
            }
            if (rounds >= WARMUP_ROUNDS) {
                for (int side = 0; side < round.length; side++) {
                    micros.get(side).add(round[side]);
                }
                // against both plain sets: twice the plain clients average out their placement
                overheads.add((round[INSTRUMENTED] / ((round[PLAIN] + round[PLAIN_AGAIN]) / 2) - 1) * 100);
                noise.add((round[PLAIN_AGAIN] / round[PLAIN] - 1) * 100);
            }
            rounds++;
        } while (System.nanoTime() < end || overheads.size() < 5);
        return new Alternated(
                Timing.summarize(micros.get(PLAIN)),
                Timing.summarize(micros.get(INSTRUMENTED)),
                Timing.summarize(overheads),
                Timing.summarize(noise));
    }

    private static double timeRound(MongoCollection<Document> users, Consumer<MongoCollection<Document>> op) {
        long start = System.nanoTime();
        for (int i = 0; i < OPS_PER_ROUND; i++) {
            op.accept(users);
        }
        return (System.nanoTime() - start) / 1_000.0 / OPS_PER_ROUND;
    }

    /** What the listeners added by MongoPerf.instrument cost per command (CommandListenerBenchmark's work). */
    private Timing.Measurement listenerCost() {
        CommandListenerBenchmark benchmark = new CommandListenerBenchmark();
        benchmark.setUp();
        return Timing.measure(i -> benchmark.findCommand(), budgetNanos / 2);
    }

    private static MongoCollection<Document> seededUsers(MongoClient client, String name) {
        MongoCollection<Document> users =
                client.getDatabase("perfkit_perf_test").getCollection(name);
        users.drop();
        List<Document> documents = new ArrayList<>();
        for (int i = 0; i < 1_000; i++) {
            documents.add(new Document("user_id", i).append("name", "user" + i).append("balance", i * 10));
        }
        users.insertMany(documents);
        return users;
    }

    /** A query cache of the suite, its meters on the suite's registry. */
    private CaffeineQueryCache queryCache(String name, long maxSize) {
        return CaffeineQueryCache.builder()
                .name(name)
                .maxSize(maxSize)
                .meterRegistry(meters)
                .pressureRegistry(MemoryPressureRegistry.create())
                .build();
    }

    /** Records in nanoseconds, so that a cached hit well under a microsecond is not a zero. */
    private static void timed(Histogram histogram, Runnable call) {
        long start = System.nanoTime();
        call.run();
        histogram.recordValue(Math.min(HIGHEST_NANOS, System.nanoTime() - start));
    }

    private static Report.Percentiles percentilesOf(String label, Histogram histogram) {
        return new Report.Percentiles(
                label,
                histogram.getValueAtPercentile(50) / 1_000.0,
                histogram.getValueAtPercentile(95) / 1_000.0,
                histogram.getValueAtPercentile(99) / 1_000.0);
    }
}
