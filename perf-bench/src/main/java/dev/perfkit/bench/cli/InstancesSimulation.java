package dev.perfkit.bench.cli;

import static com.mongodb.client.model.Filters.eq;
import static com.mongodb.client.model.Updates.combine;
import static com.mongodb.client.model.Updates.inc;

import com.mongodb.client.MongoClient;
import com.mongodb.client.MongoCollection;
import com.mongodb.client.model.FindOneAndUpdateOptions;
import com.mongodb.client.model.ReturnDocument;
import com.mongodb.event.CommandListener;
import com.mongodb.event.CommandStartedEvent;
import dev.perfkit.bench.EmbeddedMongo;
import dev.perfkit.bench.EmbeddedRedisServer;
import dev.perfkit.cache.QueryCache;
import dev.perfkit.cache.caffeine.CaffeineQueryCache;
import dev.perfkit.memory.MemoryPressureRegistry;
import dev.perfkit.redis.RedisQueryCache;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.atomic.AtomicLong;
import org.HdrHistogram.ConcurrentHistogram;
import org.HdrHistogram.Histogram;
import org.bson.Document;

/*
 * A bank bot run as several instances on one MongoDB, three times: without a cache, with a cache per
 * instance (in memory), and with the two-level cache sharing one Redis. Each instance has its own
 * client and cache and two threads working a seeded mix of balance reads (80 %) and transfers
 * (20 %); a transfer updates both accounts, then invalidates their cached balances.
 *
 * Stale reads are counted against the truth: every account carries a version that each transfer
 * increments, and the simulation remembers when each version's write (and invalidation) returned.
 * A read that began more than the propagation window after a version was acknowledged, but returns
 * an older one, is stale.
 */
final class InstancesSimulation {
    static final int THREADS_PER_INSTANCE = 2;
    static final Duration WINDOW = Duration.ofMillis(500);

    enum Mode {
        NO_CACHE("no cache"),
        MEMORY("cache per instance"),
        TWO_LEVEL("two-level (Redis)");

        final String label;

        Mode(String label) {
            this.label = label;
        }
    }

    record RunResult(
            Mode mode,
            long commands,
            double seconds,
            long roundTrips,
            Histogram reads,
            Histogram transfers,
            long memoryHits,
            long redisHits,
            long lookups,
            long staleReads) {
        double commandsPerSecond() {
            return commands / seconds;
        }
    }

    private final int instances;
    private final int users;
    private final Duration duration;
    private final long seed;

    InstancesSimulation(int instances, int users, Duration duration, long seed) {
        if (instances < 2) {
            throw new IllegalArgumentException("instances must be at least 2: " + instances);
        }
        if (users < 2) {
            throw new IllegalArgumentException("users must be at least 2: " + users);
        }
        this.instances = instances;
        this.users = users;
        this.duration = duration;
        this.seed = seed;
    }

    /** Runs the three configurations; {@code redisUri} blank starts an embedded Redis. */
    List<RunResult> run(String mongoUri, String redisUri) {
        boolean embedded = redisUri == null || redisUri.isBlank() || redisUri.equals("embedded");
        try (EmbeddedRedisServer redis =
                        embedded ? EmbeddedRedisServer.startEmbedded() : EmbeddedRedisServer.external(redisUri);
                EmbeddedMongo mongo = EmbeddedMongo.start(mongoUri)) {
            List<RunResult> results = new ArrayList<>();
            for (Mode mode : Mode.values()) {
                results.add(run(mongo, redis, mode));
            }
            return results;
        }
    }

    private RunResult run(EmbeddedMongo mongo, EmbeddedRedisServer redis, Mode mode) {
        AtomicLong roundTrips = new AtomicLong();
        CommandListener counter = new CommandListener() {
            @Override
            public void commandStarted(CommandStartedEvent event) {
                roundTrips.incrementAndGet();
            }
        };
        String cacheName = "simulation-" + mode.name().toLowerCase(java.util.Locale.ROOT) + "-" + System.nanoTime();
        List<MongoClient> clients = new ArrayList<>();
        List<QueryCache> caches = new ArrayList<>();
        // versions[user]: acknowledged versions and when, newest last (a short history per account)
        long[][] ackedVersions = new long[users][16];
        long[][] ackedAt = new long[users][16];
        int[] next = new int[users];
        try {
            for (int i = 0; i < instances; i++) {
                clients.add(mongo.client(settings -> settings.addCommandListener(counter)));
                caches.add(cache(mode, redis, cacheName));
            }
            MongoCollection<Document> seedAccounts =
                    clients.get(0).getDatabase("perfkit_instances").getCollection("accounts");
            seedAccounts.drop();
            List<Document> accounts = new ArrayList<>();
            for (int user = 0; user < users; user++) {
                accounts.add(new Document("_id", user).append("balance", 1_000L).append("version", 0L));
            }
            seedAccounts.insertMany(accounts);
            roundTrips.set(0);

            Histogram reads = new ConcurrentHistogram(3_600_000_000L, 2);
            Histogram transfers = new ConcurrentHistogram(3_600_000_000L, 2);
            AtomicLong commands = new AtomicLong();
            AtomicLong stale = new AtomicLong();
            long end = System.nanoTime() + duration.toNanos();
            long start = System.nanoTime();
            Workers.run(instances * THREADS_PER_INSTANCE, "perfkit-instances", Workers.patience(duration), worker -> {
                int instance = worker / THREADS_PER_INSTANCE;
                MongoCollection<Document> collection =
                        clients.get(instance).getDatabase("perfkit_instances").getCollection("accounts");
                QueryCache cache = caches.get(instance);
                SplittableRandom random = new SplittableRandom(seed + worker + 1);
                while (System.nanoTime() < end) {
                    int user = random.nextInt(users);
                    long began = System.nanoTime();
                    if (random.nextInt(5) == 0) {
                        int other = (user + 1 + random.nextInt(users - 1)) % users;
                        transfer(collection, cache, user, other, ackedVersions, ackedAt, next);
                        transfers.recordValue(Math.min(3_600_000_000L, (System.nanoTime() - began) / 1_000));
                    } else {
                        long mustSee = acknowledgedBefore(user, began - WINDOW.toNanos(), ackedVersions, ackedAt);
                        long version = balance(collection, cache, user)[1];
                        if (version < mustSee) {
                            stale.incrementAndGet();
                        }
                        reads.recordValue(Math.min(3_600_000_000L, (System.nanoTime() - began) / 1_000));
                    }
                    commands.incrementAndGet();
                }
            });
            double seconds = (System.nanoTime() - start) / 1e9;
            long memoryHits = 0;
            long redisHits = 0;
            long lookups = 0;
            for (QueryCache cache : caches) {
                if (cache instanceof RedisQueryCache two) {
                    memoryHits += two.redisStats().memoryHits();
                    redisHits += two.redisStats().redisHits();
                    lookups += two.redisStats().memoryHits()
                            + two.redisStats().redisHits()
                            + two.redisStats().misses();
                } else if (cache != null) {
                    memoryHits += cache.stats().hits();
                    lookups += cache.stats().requests();
                }
            }
            return new RunResult(
                    mode,
                    commands.get(),
                    seconds,
                    roundTrips.get(),
                    reads,
                    transfers,
                    memoryHits,
                    redisHits,
                    lookups,
                    stale.get());
        } finally {
            caches.forEach(cache -> {
                if (cache != null) {
                    cache.close();
                }
            });
            clients.forEach(MongoClient::close);
        }
    }

    private static QueryCache cache(Mode mode, EmbeddedRedisServer redis, String name) {
        return switch (mode) {
            case NO_CACHE -> null;
            case MEMORY ->
                CaffeineQueryCache.builder()
                        .name(name)
                        .maxSize(100_000)
                        .meterRegistry(new SimpleMeterRegistry())
                        .pressureRegistry(MemoryPressureRegistry.create())
                        .build();
            case TWO_LEVEL -> redis.cache(name, dev.perfkit.cache.CacheLevel.BOTH, 100_000);
        };
    }

    /** A balance and its version: from the cache, or from MongoDB. */
    private static long[] balance(MongoCollection<Document> accounts, QueryCache cache, int user) {
        if (cache == null) {
            return read(accounts, user);
        }
        String cached = cache.getOrLoad("balance:" + user, Duration.ofMinutes(1), () -> {
            long[] read = read(accounts, user);
            return read[0] + ":" + read[1];
        });
        int colon = cached.indexOf(':');
        return new long[] {Long.parseLong(cached.substring(0, colon)), Long.parseLong(cached.substring(colon + 1))};
    }

    private static long[] read(MongoCollection<Document> accounts, int user) {
        Document account = accounts.find(eq("_id", user)).first();
        return new long[] {account.getLong("balance"), account.getLong("version")};
    }

    private static void transfer(
            MongoCollection<Document> accounts,
            QueryCache cache,
            int from,
            int to,
            long[][] ackedVersions,
            long[][] ackedAt,
            int[] next) {
        FindOneAndUpdateOptions after = new FindOneAndUpdateOptions().returnDocument(ReturnDocument.AFTER);
        Document debited =
                accounts.findOneAndUpdate(eq("_id", from), combine(inc("balance", -1L), inc("version", 1L)), after);
        Document credited =
                accounts.findOneAndUpdate(eq("_id", to), combine(inc("balance", 1L), inc("version", 1L)), after);
        if (cache != null) {
            cache.invalidate("balance:" + from);
            cache.invalidate("balance:" + to);
        }
        long now = System.nanoTime();
        acknowledge(from, debited.getLong("version"), now, ackedVersions, ackedAt, next);
        acknowledge(to, credited.getLong("version"), now, ackedVersions, ackedAt, next);
    }

    private static void acknowledge(
            int user, long version, long at, long[][] ackedVersions, long[][] ackedAt, int[] next) {
        synchronized (ackedVersions[user]) {
            int slot = next[user]++ & 15;
            ackedVersions[user][slot] = version;
            ackedAt[user][slot] = at;
        }
    }

    /** The newest version of the account acknowledged before {@code before}, 0 if none remembered. */
    private static long acknowledgedBefore(int user, long before, long[][] ackedVersions, long[][] ackedAt) {
        long newest = 0;
        synchronized (ackedVersions[user]) {
            for (int i = 0; i < 16; i++) {
                if (ackedAt[user][i] != 0 && ackedAt[user][i] < before && ackedVersions[user][i] > newest) {
                    newest = ackedVersions[user][i];
                }
            }
        }
        return newest;
    }
}
