package dev.perfkit.mongo;

import com.mongodb.ConnectionString;
import com.mongodb.MongoClientSettings;
import com.mongodb.client.MongoClient;
import com.mongodb.client.MongoClients;
import com.mongodb.client.MongoDatabase;
import com.mongodb.event.CommandListener;
import com.mongodb.event.CommandStartedEvent;
import de.bwaldvogel.mongo.MongoServer;
import de.bwaldvogel.mongo.backend.memory.MemoryBackend;
import dev.perfkit.cache.caffeine.CaffeineQueryCache;
import dev.perfkit.memory.MemoryPressureRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
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

    static boolean embedded() {
        return URI == null || URI.isBlank();
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
