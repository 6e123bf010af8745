package dev.perfkit.bench.cli;

import static com.mongodb.client.model.Filters.eq;
import static com.mongodb.client.model.Updates.inc;

import com.mongodb.client.MongoClient;
import com.mongodb.client.MongoCollection;
import com.mongodb.client.MongoDatabase;
import com.mongodb.client.model.UpdateOneModel;
import com.mongodb.client.model.UpdateOptions;
import com.mongodb.event.CommandListener;
import com.mongodb.event.CommandStartedEvent;
import dev.perfkit.PerfConfig;
import dev.perfkit.bench.EmbeddedMongo;
import dev.perfkit.cache.caffeine.CaffeineQueryCache;
import dev.perfkit.memory.MemoryPressureRegistry;
import dev.perfkit.mongo.MongoBatchWriter;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.HdrHistogram.ConcurrentHistogram;
import org.HdrHistogram.Histogram;
import org.bson.Document;

/*
 * A chat bot shaped like the public Discord bots perfkit was tried on: per-guild settings read on
 * every message (most guilds have none, so most reads find nothing), XP incremented with an upsert
 * on most messages, and economy commands on per-member documents (balance, daily reward, pay).
 *
 * Toolkit off: the driver as such bots call it, one round trip per need. Toolkit on, following
 * docs/adopting.md: settings through a query cache with negative caching (getOrLoad with an
 * absentTtl), XP increments through a MongoBatchWriter, economy on the raw collection (it is
 * written on most reads, so caching it would buy nothing). Both runs replay the same seeded stream
 * of events, claimed by index by THREADS workers, and the final documents must be identical.
 */
final class ChatBotSimulation {
    static final int THREADS = 4;
    static final int GUILDS = 50;
    static final int GUILDS_WITH_SETTINGS = 10;

    enum Type {
        MESSAGE,
        BALANCE,
        DAILY,
        PAY
    }

    record Event(Type type, int user, int other, int guild, int amount) {}

    record RunResult(String label, int events, double seconds, long roundTrips, Map<Type, Histogram> latencies) {
        double eventsPerSecond() {
            return events / seconds;
        }
    }

    record Result(RunResult off, RunResult on, boolean identical, int documents) {}

    private final int members;
    private final Duration duration;
    private final List<Event> stream;

    ChatBotSimulation(int members, Duration duration, long seed) {
        if (members < 2) {
            throw new IllegalArgumentException("members must be at least 2: " + members);
        }
        this.members = members;
        this.duration = duration;
        SplittableRandom random = new SplittableRandom(seed);
        this.stream = new ArrayList<>();
        for (int i = 0; i < 2_000_000; i++) {
            int roll = random.nextInt(100);
            Type type = roll < 85 ? Type.MESSAGE : roll < 93 ? Type.BALANCE : roll < 97 ? Type.DAILY : Type.PAY;
            int user = random.nextInt(members);
            int other = (user + 1 + random.nextInt(members - 1)) % members;
            stream.add(new Event(type, user, other, user % GUILDS, 1 + random.nextInt(100)));
        }
    }

    Result run(String mongoUri) {
        try (EmbeddedMongo mongo = EmbeddedMongo.start(mongoUri)) {
            int[] count = new int[1];
            RunResult off = run(mongo, false, count);
            List<Document> offData = snapshot(mongo);
            RunResult on = run(mongo, true, count);
            List<Document> onData = snapshot(mongo);
            return new Result(off, on, offData.equals(onData), offData.size());
        }
    }

    private List<Document> snapshot(EmbeddedMongo mongo) {
        try (MongoClient client = mongo.client(settings -> {})) {
            MongoDatabase db = client.getDatabase("perfkit_chat_simulation");
            List<Document> all = new ArrayList<>();
            db.getCollection("members").find().sort(new Document("_id", 1)).into(all);
            db.getCollection("settings").find().sort(new Document("_id", 1)).into(all);
            return all;
        }
    }

    /** The off run works for the duration and records how many events it ran; the on run replays as many. */
    private RunResult run(EmbeddedMongo mongo, boolean toolkit, int[] count) {
        AtomicLong roundTrips = new AtomicLong();
        CommandListener counter = new CommandListener() {
            @Override
            public void commandStarted(CommandStartedEvent event) {
                roundTrips.incrementAndGet();
            }
        };
        try (MongoClient client = mongo.client(settings -> settings.addCommandListener(counter))) {
            MongoDatabase db = client.getDatabase("perfkit_chat_simulation");
            seed(db);
            roundTrips.set(0);
            Bot bot = toolkit ? new ToolkitBot(db) : new PlainBot(db);
            Map<Type, Histogram> latencies = new EnumMap<>(Type.class);
            for (Type type : Type.values()) {
                latencies.put(type, new ConcurrentHistogram(3_600_000_000L, 2));
            }
            AtomicInteger next = new AtomicInteger();
            int limit = toolkit ? count[0] : Integer.MAX_VALUE;
            long deadline = System.nanoTime() + duration.toNanos();
            long start = System.nanoTime();
            Workers.run(THREADS, "perfkit-chat", Workers.patience(duration), worker -> {
                while (true) {
                    if (!toolkit && System.nanoTime() >= deadline) {
                        return;
                    }
                    int index = next.getAndIncrement();
                    if (index >= limit || index >= stream.size()) {
                        return;
                    }
                    Event event = stream.get(index);
                    long began = System.nanoTime();
                    bot.handle(event);
                    latencies
                            .get(event.type())
                            .recordValue(Math.min(3_600_000_000L, (System.nanoTime() - began) / 1_000));
                }
            });
            int ran = Math.min(next.get(), limit);
            bot.finish();
            double seconds = (System.nanoTime() - start) / 1e9;
            if (!toolkit) {
                count[0] = ran;
            }
            return new RunResult(toolkit ? "toolkit on" : "toolkit off", ran, seconds, roundTrips.get(), latencies);
        }
    }

    private void seed(MongoDatabase db) {
        db.drop();
        List<Document> settings = new ArrayList<>();
        for (int g = 0; g < GUILDS_WITH_SETTINGS; g++) {
            settings.add(new Document("_id", g).append("prefix", "!").append("xpRate", 1 + g % 3));
        }
        db.getCollection("settings").insertMany(settings);
        List<Document> people = new ArrayList<>();
        for (int m = 0; m < members; m++) {
            people.add(new Document("_id", m).append("guild", m % GUILDS).append("coins", 100L));
        }
        db.getCollection("members").insertMany(people);
    }

    private interface Bot {
        void handle(Event event);

        void finish();
    }

    /** The XP a message earns: the guild's rate when it has settings, else 1. */
    private static long xpFor(Document settings) {
        return settings == null ? 1 : settings.getInteger("xpRate", 1);
    }

    private static final UpdateOptions UPSERT = new UpdateOptions().upsert(true);

    /** One round trip per need, as bots are written. */
    private static final class PlainBot implements Bot {
        private final MongoCollection<Document> settings;
        private final MongoCollection<Document> members;

        PlainBot(MongoDatabase db) {
            settings = db.getCollection("settings");
            members = db.getCollection("members");
        }

        @Override
        public void handle(Event event) {
            switch (event.type()) {
                case MESSAGE -> {
                    Document guild = settings.find(eq("_id", event.guild())).first();
                    members.updateOne(eq("_id", event.user()), inc("xp", xpFor(guild)), UPSERT);
                }
                case BALANCE -> members.find(eq("_id", event.user())).first();
                case DAILY -> members.updateOne(eq("_id", event.user()), inc("coins", 25L), UPSERT);
                case PAY -> {
                    members.updateOne(eq("_id", event.user()), inc("coins", (long) -event.amount()));
                    members.updateOne(eq("_id", event.other()), inc("coins", (long) event.amount()));
                }
            }
        }

        @Override
        public void finish() {}
    }

    /** The same bot after docs/adopting.md. */
    private static final class ToolkitBot implements Bot {
        private final MongoCollection<Document> settings;
        private final MongoCollection<Document> members;
        private final CaffeineQueryCache cache;
        private final MongoBatchWriter<Document> xp;

        ToolkitBot(MongoDatabase db) {
            settings = db.getCollection("settings");
            members = db.getCollection("members");
            SimpleMeterRegistry registry = new SimpleMeterRegistry();
            cache = CaffeineQueryCache.builder()
                    .name("chat-simulation")
                    .maxSize(10_000)
                    .meterRegistry(registry)
                    .pressureRegistry(MemoryPressureRegistry.create())
                    .build();
            xp = MongoBatchWriter.create(
                    members,
                    PerfConfig.builder().meterRegistry(registry).build(),
                    b -> b.batchSize(200).maxDelay(Duration.ofMillis(50)).drainOnShutdown(false),
                    (models, cause) -> {});
        }

        @Override
        public void handle(Event event) {
            switch (event.type()) {
                case MESSAGE -> {
                    Document guild = cache.getOrLoad(
                            "settings:" + event.guild(),
                            Duration.ofMinutes(10),
                            Duration.ofMinutes(1), // most guilds have no settings: remember that too
                            () -> settings.find(eq("_id", event.guild())).first());
                    xp.add(new UpdateOneModel<>(eq("_id", event.user()), inc("xp", xpFor(guild)), UPSERT));
                }
                case BALANCE -> members.find(eq("_id", event.user())).first();
                case DAILY -> members.updateOne(eq("_id", event.user()), inc("coins", 25L), UPSERT);
                case PAY -> {
                    members.updateOne(eq("_id", event.user()), inc("coins", (long) -event.amount()));
                    members.updateOne(eq("_id", event.other()), inc("coins", (long) event.amount()));
                }
            }
        }

        @Override
        public void finish() {
            xp.close(); // drains
            cache.close();
        }
    }
}
