package dev.perfkit.mongo;

import static org.awaitility.Awaitility.await;

import com.mongodb.ConnectionString;
import com.mongodb.MongoClientSettings;
import com.mongodb.client.MongoClient;
import com.mongodb.client.MongoClients;
import com.mongodb.client.MongoDatabase;
import com.mongodb.event.CommandListener;
import com.mongodb.event.CommandStartedEvent;
import com.mongodb.event.CommandSucceededEvent;
import de.bwaldvogel.mongo.MongoServer;
import de.bwaldvogel.mongo.backend.memory.MemoryBackend;
import dev.perfkit.cache.caffeine.CaffeineQueryCache;
import dev.perfkit.memory.MemoryPressureRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Duration;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Consumer;

/**
 * The MongoDB the tests talk to: the embedded mongo-java-server (in memory, random port), or the
 * server named by {@code PERF_MONGO_URI} when it is set. Each test gets a fresh database.
 */
final class MongoTestSupport {
    private static final AtomicInteger DATABASES = new AtomicInteger();
    private static final String URI = System.getenv("PERF_MONGO_URI");
    private static MongoServer server;
    private static String connectionString;

    private MongoTestSupport() {}

    static synchronized String connectionString() {
        if (URI != null && !URI.isBlank()) {
            return URI;
        }
        if (server == null) {
            server = new MongoServer(new MemoryBackend());
            connectionString = server.bindAndGetConnectionString();
        }
        return connectionString;
    }

    private static MongoServer oplogServer;
    private static String oplogConnectionString;

    /**
     * A server with change streams: the embedded one with its oplog enabled (shared by the tests,
     * like the plain one), or the server of {@code PERF_MONGO_URI} (which must be a replica set).
     */
    static synchronized String oplogConnectionString() {
        if (URI != null && !URI.isBlank()) {
            return URI;
        }
        if (oplogServer == null) {
            MemoryBackend backend = new MemoryBackend();
            backend.enableOplog();
            oplogServer = new MongoServer(backend);
            oplogConnectionString = oplogServer.bindAndGetConnectionString();
        }
        return oplogConnectionString;
    }

    /** A client of {@link #oplogConnectionString()} that counts its {@code find} commands in {@code finds}. */
    static MongoClient oplogClient(AtomicInteger finds) {
        return MongoClients.create(MongoClientSettings.builder()
                .applyConnectionString(new ConnectionString(oplogConnectionString()))
                .applyToClusterSettings(cluster -> cluster.serverSelectionTimeout(5, TimeUnit.SECONDS))
                .addCommandListener(new CommandListener() {
                    @Override
                    public void commandStarted(CommandStartedEvent event) {
                        if (event.getCommandName().equals("find")) {
                            finds.incrementAndGet();
                        }
                    }
                })
                .build());
    }

    /** Waits until every event of the writes made so far has been applied (no sleep: polls are counted). */
    static void caughtUp(ChangeStreamInvalidator invalidator) {
        long mark = invalidator.pollsStarted();
        await().atMost(Duration.ofSeconds(30))
                .pollDelay(Duration.ZERO)
                .pollInterval(Duration.ofMillis(1)) // a barrier per write: the default 100 ms would dominate
                .until(() -> {
                    invalidator.wakeUp();
                    return invalidator.caughtUpSince(mark);
                });
    }

    static boolean embedded() {
        return URI == null || URI.isBlank();
    }

    /**
     * The seed of a randomized test: {@code -Dperfkit.seed=N} reruns one, else a fresh one. Printed
     * with the test's name, so that a failure can be replayed.
     */
    static long seed(String test) {
        long seed = Long.getLong("perfkit.seed", System.nanoTime());
        System.out.println(test + " seed=" + seed);
        return seed;
    }

    static MongoClient client() {
        return client(settings -> {});
    }

    static MongoClient client(Consumer<MongoClientSettings.Builder> customizer) {
        MongoClientSettings.Builder settings = MongoClientSettings.builder()
                .applyConnectionString(new ConnectionString(connectionString()))
                .applyToClusterSettings(cluster -> cluster.serverSelectionTimeout(5, TimeUnit.SECONDS));
        customizer.accept(settings);
        return MongoClients.create(settings.build());
    }

    static MongoDatabase freshDatabase(MongoClient client) {
        return client.getDatabase("perfkit_test_" + DATABASES.incrementAndGet() + "_"
                + ProcessHandle.current().pid());
    }

    /** A client whose commands named in {@code commandNames} are counted, to count round trips. */
    static MongoClient countingClient(AtomicInteger counter, String... commandNames) {
        Set<String> names = Set.of(commandNames);
        return client(settings -> settings.addCommandListener(new CommandListener() {
            @Override
            public void commandStarted(CommandStartedEvent event) {
                if (names.contains(event.getCommandName())) {
                    counter.incrementAndGet();
                }
            }
        }));
    }

    /**
     * A client that counts its {@code find} commands in {@code finds} and, when {@code hook} holds
     * a task, runs it once on the thread of the next command named {@code command} (asked each
     * time), between the server's reply and the command's return: a write or a read made there
     * lands deterministically inside it.
     */
    static MongoClient hookedClient(
            AtomicInteger finds, java.util.function.Supplier<String> command, AtomicReference<Runnable> hook) {
        return client(settings -> settings.addCommandListener(new CommandListener() {
            @Override
            public void commandStarted(CommandStartedEvent event) {
                if (event.getCommandName().equals("find")) {
                    finds.incrementAndGet();
                }
            }

            @Override
            public void commandSucceeded(CommandSucceededEvent event) {
                if (event.getCommandName().equals(command.get())) {
                    Runnable task = hook.getAndSet(null);
                    if (task != null) {
                        task.run();
                    }
                }
            }
        }));
    }

    /** A query cache of its own (registries included), maintained on the caller's thread. */
    static CaffeineQueryCache cache(String name) {
        return CaffeineQueryCache.builder()
                .name(name)
                .executor(Runnable::run)
                .meterRegistry(new SimpleMeterRegistry())
                .pressureRegistry(MemoryPressureRegistry.create())
                .build();
    }
}
