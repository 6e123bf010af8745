package dev.perfkit.mongo;

import static java.util.Objects.requireNonNull;

import com.mongodb.MongoClientSettings;
import com.mongodb.MongoNamespace;
import com.mongodb.client.MongoCollection;
import com.mongodb.client.model.WriteModel;
import dev.perfkit.Perf;
import dev.perfkit.PerfConfig;
import dev.perfkit.PerformanceMode;
import dev.perfkit.batch.BatchProcessorBuilder;
import dev.perfkit.cache.QueryCache;
import dev.perfkit.profile.QueryProfiler;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.binder.mongodb.MongoMetricsConnectionPoolListener;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * perfkit for the MongoDB Java driver: instrumentation, pool presets, cached collections and batch
 * writers.
 *
 * <pre>{@code
 * MongoClientSettings.Builder settings = MongoClientSettings.builder()
 *         .applyConnectionString(new ConnectionString(uri));
 * MongoPerf.instrument(settings);                                // profiler + metrics listeners
 * MongoPerf.poolSettings(settings, Perf.getConfig().mode());     // pool preset of the mode
 * MongoClient client = MongoClients.create(settings.build());
 *
 * CachedCollection<Document> accounts = MongoPerf.cached(db.getCollection("accounts"), Duration.ofSeconds(30));
 * MongoBatchWriter<Document> writes = MongoPerf.batchWriter(db.getCollection("events"));
 * }</pre>
 */
public final class MongoPerf {
    private static final Logger log = LoggerFactory.getLogger(MongoPerf.class);

    private MongoPerf() {}

    /**
     * Adds perfkit's listeners to client settings: every find, aggregate, count, distinct, update,
     * delete, insert, findAndModify and getMore is recorded in {@code Perf.getQueryProfiler()}
     * (collection, command, filter and sort shapes, time, success, and for slow queries the
     * documents returned or affected); every command is timed in Micrometer's {@code
     * mongodb.driver.commands} timer (the name, description and tags of Micrometer's {@code
     * MongoMetricsCommandListener}, which this replaces, so do not register both); Micrometer's
     * {@code MongoMetricsConnectionPoolListener} plus perfkit's pool utilization gauge ({@code
     * perfkit.mongo.pool.utilization}) and checkout-wait timer ({@code
     * perfkit.mongo.pool.checkout.wait}) publish to {@code Perf.getMeterRegistry()}.
     *
     * <p>The listeners never throw into the driver. End to end on the embedded server they cost
     * 4–6 % of a {@code findOne} (see docs/mongo.md).
     *
     * @param settings the settings being built
     * @return {@code settings}
     */
    public static MongoClientSettings.Builder instrument(MongoClientSettings.Builder settings) {
        return instrument(settings, Perf::getQueryProfiler, Perf.getMeterRegistry());
    }

    /**
     * Adds perfkit's listeners with an explicit profiler and registry, for hosts that inject.
     *
     * @param settings the settings being built
     * @param profiler where commands are recorded (looked up at the first command)
     * @param registry where metrics go
     * @return {@code settings}
     */
    public static MongoClientSettings.Builder instrument(
            MongoClientSettings.Builder settings, Supplier<QueryProfiler> profiler, MeterRegistry registry) {
        requireNonNull(settings, "settings");
        requireNonNull(profiler, "profiler");
        requireNonNull(registry, "registry");
        DriverRequirement.check();
        // One listener profiles and times each command (it replaces Micrometer's
        // MongoMetricsCommandListener, keeping its timer; see ProfilingCommandListener for why).
        settings.addCommandListener(new ProfilingCommandListener(profiler, registry));
        settings.applyToConnectionPoolSettings(pool -> pool.addConnectionPoolListener(
                        new SafeConnectionPoolListener(new MongoMetricsConnectionPoolListener(registry)))
                .addConnectionPoolListener(new PoolMetricsListener(registry)));
        return settings;
    }

    /**
     * Returns the connection-pool preset of a mode.
     *
     * <table>
     *   <caption>Pool presets</caption>
     *   <tr><th>mode</th><th>max</th><th>min</th><th>max connecting</th><th>max idle</th><th>max wait</th></tr>
     *   <tr><td>LOW</td><td>10</td><td>0</td><td>2</td><td>60 s</td><td>2 s</td></tr>
     *   <tr><td>MEDIUM</td><td>50</td><td>2</td><td>2</td><td>300 s</td><td>5 s</td></tr>
     *   <tr><td>HIGH</td><td>100</td><td>10</td><td>4</td><td>600 s</td><td>10 s</td></tr>
     * </table>
     *
     * @param mode the mode
     * @return its preset
     */
    public static PoolPreset poolPreset(PerformanceMode mode) {
        return switch (requireNonNull(mode, "mode")) {
            case LOW -> new PoolPreset(10, 0, 2, Duration.ofSeconds(60), Duration.ofSeconds(2));
            case MEDIUM -> new PoolPreset(50, 2, 2, Duration.ofSeconds(300), Duration.ofSeconds(5));
            case HIGH -> new PoolPreset(100, 10, 4, Duration.ofSeconds(600), Duration.ofSeconds(10));
        };
    }

    /**
     * Applies the connection-pool preset of a mode to client settings (see {@link #poolPreset}).
     *
     * @param settings the settings being built
     * @param mode the mode
     * @return {@code settings}
     */
    public static MongoClientSettings.Builder poolSettings(MongoClientSettings.Builder settings, PerformanceMode mode) {
        requireNonNull(settings, "settings");
        DriverRequirement.check();
        PoolPreset preset = poolPreset(mode);
        settings.applyToConnectionPoolSettings(pool -> pool.maxSize(preset.maxSize())
                .minSize(preset.minSize())
                .maxConnecting(preset.maxConnecting())
                .maxConnectionIdleTime(preset.maxIdleTime().toMillis(), TimeUnit.MILLISECONDS)
                .maxWaitTime(preset.maxWaitTime().toMillis(), TimeUnit.MILLISECONDS));
        return settings;
    }

    /**
     * Wraps a collection so that reads go through {@code Perf.getQueryCache()} and writes
     * invalidate them (see {@link CachedCollection} for the consistency contract).
     *
     * @param collection the collection
     * @param ttl how long a cached read lives
     * @param <T> the document type
     * @return the cached collection
     */
    public static <T> CachedCollection<T> cached(MongoCollection<T> collection, Duration ttl) {
        return cached(collection, ttl, Perf.getQueryCache());
    }

    /**
     * Wraps a collection with an explicit cache.
     *
     * @param collection the collection
     * @param ttl how long a cached read lives, not negative
     * @param cache the cache
     * @param <T> the document type
     * @return the cached collection
     */
    public static <T> CachedCollection<T> cached(MongoCollection<T> collection, Duration ttl, QueryCache cache) {
        DriverRequirement.check();
        return new CachedCollection<>(collection, ttl, cache);
    }

    /**
     * Creates a batch writer with the configuration's batch settings ({@code BATCH_SIZE}, {@code
     * BATCH_MAX_DELAY_MS}, ...), retrying MongoDB's transient errors and draining on JVM shutdown (a
     * bot stopped with Ctrl-C still writes what it accepted); operations that fail for good are
     * logged.
     *
     * @param collection the collection
     * @param <T> the document type
     * @return a running writer; close it to drain
     */
    public static <T> MongoBatchWriter<T> batchWriter(MongoCollection<T> collection) {
        return batchWriter(collection, builder -> {});
    }

    /**
     * Creates a batch writer like {@link #batchWriter(MongoCollection)}, with other settings: {@code
     * options} may change any setting of the underlying {@link BatchProcessorBuilder}, e.g. {@code
     * b -> b.batchSize(500).maxDelay(Duration.ofMillis(200))} or {@code b -> b.drainOnShutdown(false)}.
     *
     * @param collection the collection
     * @param options adjusts the processor
     * @param <T> the document type
     * @return a running writer; close it to drain
     */
    public static <T> MongoBatchWriter<T> batchWriter(
            MongoCollection<T> collection, Consumer<BatchProcessorBuilder<?>> options) {
        requireNonNull(collection, "collection");
        return MongoBatchWriter.create(
                collection, Perf.getConfig(), drainingOnShutdown(options), loggedFailures(collection.getNamespace()));
    }

    /**
     * Creates a batch writer like {@link #batchWriter(MongoCollection)} whose batches go through a
     * cached collection, so that the wrapper's cached reads see them: each batch invalidates the
     * reads it may have changed before its operations' futures complete. Use it when the collection
     * written in batches is also read through {@code cached}; a writer over the raw collection is,
     * for the wrapper, a write made elsewhere (seen once cached reads expire).
     *
     * @param collection the cached collection
     * @param <T> the document type
     * @return a running writer; close it to drain
     */
    public static <T> MongoBatchWriter<T> batchWriter(CachedCollection<T> collection) {
        return batchWriter(collection, builder -> {});
    }

    /**
     * Creates a batch writer like {@link #batchWriter(CachedCollection)}, with other settings (see
     * {@link #batchWriter(MongoCollection, Consumer)}).
     *
     * @param collection the cached collection
     * @param options adjusts the processor
     * @param <T> the document type
     * @return a running writer; close it to drain
     */
    public static <T> MongoBatchWriter<T> batchWriter(
            CachedCollection<T> collection, Consumer<BatchProcessorBuilder<?>> options) {
        requireNonNull(collection, "collection");
        return MongoBatchWriter.create(
                collection,
                Perf.getConfig(),
                drainingOnShutdown(options),
                loggedFailures(collection.unwrap().getNamespace()));
    }

    /** The batch writers' defaults: drain on JVM shutdown, then the caller's options. */
    private static Consumer<BatchProcessorBuilder<?>> drainingOnShutdown(Consumer<BatchProcessorBuilder<?>> options) {
        requireNonNull(options, "options");
        return builder -> {
            builder.drainOnShutdown(true);
            options.accept(builder);
        };
    }

    /** Operations that failed for good, logged: the batch writers' default dead letters. */
    private static <T> dev.perfkit.batch.DeadLetterHandler<WriteModel<T>> loggedFailures(MongoNamespace namespace) {
        return (models, cause) ->
                log.error("{} write operations on {} failed for good", models.size(), namespace, cause);
    }

    /**
     * Creates a batch writer with an explicit configuration and dead-letter handler.
     *
     * @param collection the collection
     * @param config supplies the batch settings
     * @param deadLetters receives operations that failed for good
     * @param <T> the document type
     * @return a running writer
     */
    public static <T> MongoBatchWriter<T> batchWriter(
            MongoCollection<T> collection,
            PerfConfig config,
            dev.perfkit.batch.DeadLetterHandler<WriteModel<T>> deadLetters) {
        return MongoBatchWriter.create(collection, config, builder -> {}, deadLetters);
    }

    /**
     * Checks whether a MongoDB server answers, within a bound: a health check that fails with a
     * clear message instead of hanging when the server is down or the address is wrong.
     *
     * @param connectionString the server's connection string
     * @param timeout how long to try (server selection, connect and read)
     * @return whether it answered, how fast, and why not
     * @throws NullPointerException if an argument is null
     * @throws IllegalArgumentException if {@code timeout} is not positive
     */
    public static PingResult ping(String connectionString, Duration timeout) {
        requireNonNull(connectionString, "connectionString");
        requireNonNull(timeout, "timeout");
        DriverRequirement.check();
        if (timeout.isNegative() || timeout.isZero()) {
            throw new IllegalArgumentException("timeout must be positive: " + timeout);
        }
        long millis = timeout.toMillis();
        long start = System.nanoTime();
        try (com.mongodb.client.MongoClient client =
                com.mongodb.client.MongoClients.create(MongoClientSettings.builder()
                        .applyConnectionString(new com.mongodb.ConnectionString(connectionString))
                        .applyToClusterSettings(
                                cluster -> cluster.serverSelectionTimeout(millis, TimeUnit.MILLISECONDS))
                        .applyToSocketSettings(socket -> socket.connectTimeout((int) millis, TimeUnit.MILLISECONDS)
                                .readTimeout((int) millis, TimeUnit.MILLISECONDS))
                        .build())) {
            org.bson.Document info = client.getDatabase("admin").runCommand(new org.bson.Document("buildInfo", 1));
            client.getDatabase("admin").runCommand(new org.bson.Document("ping", 1));
            return new PingResult(
                    true, Duration.ofNanos(System.nanoTime() - start), "ok, server version " + info.get("version"));
        } catch (RuntimeException e) {
            String why = e instanceof com.mongodb.MongoTimeoutException
                    ? "no server answered at " + redact(connectionString) + " within " + millis + " ms"
                    : e.getClass().getSimpleName() + ": " + e.getMessage();
            return new PingResult(false, Duration.ofNanos(System.nanoTime() - start), why);
        }
    }

    /** A connection string without its password, for messages. */
    static String redact(String connectionString) {
        return connectionString.replaceAll("(mongodb(?:\\+srv)?://[^:/@]+):[^@/]*@", "$1:***@");
    }

    /**
     * Tells whether a failure is a transient MongoDB error worth retrying ({@link MongoRetryPolicy}).
     *
     * @param failure the failure
     * @return whether to retry
     */
    public static boolean isTransient(Throwable failure) {
        return MongoRetryPolicy.isTransient(failure);
    }
}
