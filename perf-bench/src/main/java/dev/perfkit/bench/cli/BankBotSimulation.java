package dev.perfkit.bench.cli;

import static com.mongodb.client.model.Filters.eq;
import static com.mongodb.client.model.Filters.gte;
import static com.mongodb.client.model.Filters.or;
import static com.mongodb.client.model.Sorts.descending;
import static com.mongodb.client.model.Updates.inc;
import static com.mongodb.client.model.Updates.mul;
import static com.mongodb.client.model.Updates.set;

import com.mongodb.client.MongoClient;
import com.mongodb.client.MongoCollection;
import com.mongodb.client.MongoDatabase;
import com.mongodb.client.model.IndexOptions;
import com.mongodb.client.model.Indexes;
import com.mongodb.client.model.UpdateOneModel;
import com.mongodb.event.CommandListener;
import com.mongodb.event.CommandStartedEvent;
import dev.perfkit.PerfConfig;
import dev.perfkit.bench.EmbeddedMongo;
import dev.perfkit.cache.QueryCache;
import dev.perfkit.cache.caffeine.CaffeineQueryCache;
import dev.perfkit.db.MicrometerQueryProfiler;
import dev.perfkit.memory.MemoryManager;
import dev.perfkit.memory.MemoryPressureRegistry;
import dev.perfkit.memory.oshi.OshiMemoryManager;
import dev.perfkit.mongo.AccountSchema;
import dev.perfkit.mongo.BulkOperations;
import dev.perfkit.mongo.CachedCollection;
import dev.perfkit.mongo.MongoBatchWriter;
import dev.perfkit.mongo.MongoIndexAdvisor;
import dev.perfkit.mongo.MongoPerf;
import dev.perfkit.mongo.MongoQueryOptimizer;
import dev.perfkit.monitor.PerfMonitor;
import dev.perfkit.profile.IndexRecommendation;
import dev.perfkit.profile.ProfilerScope;
import dev.perfkit.profile.QueryProfiler;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.composite.CompositeMeterRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.math.BigDecimal;
import java.time.Duration;
import java.time.LocalDate;
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
import org.bson.conversions.Bson;
import org.bson.types.Decimal128;

/*
 * A bank bot of the seeds' kind, run twice on the same data: toolkit off (plain driver calls as a
 * bot writes them, N+1 leaderboard included) and toolkit on (cached collections, batch writer,
 * optimizer, bulk daily interest). Both runs are observed by an instrumented client and profiler
 * scopes, so the off run's findings can be reported.
 *
 * Determinism: the commands are a seeded stream. Worker threads claim them by index. The off run
 * works for half the time, pays interest, works for the other half, and records how many commands
 * each phase claimed; the on run replays exactly those. Transfers are additions, so their order
 * within a phase does not matter, and interest is paid between phases: final balances must be
 * identical, and the simulation checks that they are.
 */
final class BankBotSimulation {
    static final int THREADS = 4;
    static final int GUILDS = 10;
    static final double INTEREST_RATE = 0.01;
    static final double INTEREST_MINIMUM = 1_000;

    enum Type {
        BALANCE,
        TRANSFER,
        LEADERBOARD,
        PROFILE;

        final String label = name().toLowerCase(java.util.Locale.ROOT);
    }

    record Command(Type type, int user, int other, int amount, int guild) {}

    /** What one run measured. */
    record RunResult(
            String label,
            int commands,
            double seconds,
            long roundTrips,
            Map<Type, Histogram> latencies,
            double rssStartMb,
            double rssEndMb,
            List<BigDecimal> balances,
            double cacheHitRatio) {
        double commandsPerSecond() {
            return commands / seconds;
        }
    }

    /** The off run, the on run, and what the profiler found in the off run. */
    record Result(RunResult off, RunResult on, List<String> findings, boolean balancesIdentical, BigDecimal total) {}

    /**
     * Builds a monitor over the toolkit run's components: {@code perfkit monitor} and the monitor's
     * overhead figure. The simulation records every command in it and closes it at the end.
     */
    interface Attachment {
        PerfMonitor attach(QueryCache cache, MemoryManager memory, QueryProfiler profiler, MeterRegistry registry);

        /** Called once the bot has stopped; closes the monitor. */
        default void detach(PerfMonitor monitor) {
            monitor.close();
        }
    }

    private final int users;
    private final Duration duration;
    private final List<Command> stream;
    private volatile PerfMonitor observer; // when set, each command is recorded in it as a request

    BankBotSimulation(int users, Duration duration, long seed) {
        if (users < 2) {
            throw new IllegalArgumentException("users must be at least 2: " + users);
        }
        this.users = users;
        this.duration = duration;
        this.stream = commands(users, seed, 2_000_000);
    }

    private static List<Command> commands(int users, long seed, int count) {
        SplittableRandom random = new SplittableRandom(seed);
        List<Command> commands = new ArrayList<>(count);
        for (int i = 0; i < count; i++) {
            int roll = random.nextInt(100);
            int user = random.nextInt(users);
            Type type =
                    roll < 60 ? Type.BALANCE : roll < 75 ? Type.TRANSFER : roll < 85 ? Type.LEADERBOARD : Type.PROFILE;
            int other = (user + 1 + random.nextInt(users - 1)) % users;
            commands.add(new Command(type, user, other, 1 + random.nextInt(50), user % GUILDS));
        }
        return commands;
    }

    Result run(String mongoUri) {
        try (EmbeddedMongo mongo = EmbeddedMongo.start(mongoUri)) {
            int[] phases = new int[2];
            MicrometerQueryProfiler offProfiler = profiler();
            RunResult off = run(mongo, false, offProfiler, phases, true);
            RunResult on = run(mongo, true, profiler(), phases, false);
            boolean identical = off.balances().size() == on.balances().size();
            BigDecimal total = BigDecimal.ZERO;
            for (int i = 0; identical && i < off.balances().size(); i++) {
                identical = off.balances().get(i).compareTo(on.balances().get(i)) == 0;
                total = total.add(off.balances().get(i));
            }
            List<String> findings;
            try (MongoClient client = mongo.client(settings -> {})) {
                findings = findings(offProfiler, client.getDatabase("perfkit_simulation"));
            }
            return new Result(off, on, findings, identical, total);
        }
    }

    /**
     * Runs only the toolkit bot, for the simulation's duration, with a monitor attached: what
     * {@code perfkit monitor} shows. The registry is a composite, so the monitor can serve Prometheus.
     */
    RunResult runMonitored(String mongoUri, Attachment attachment) {
        try (EmbeddedMongo mongo = EmbeddedMongo.start(mongoUri)) {
            return run(mongo, true, profiler(), new int[2], true, attachment);
        }
    }

    /**
     * Measures what attaching a monitor costs the toolkit bot: rounds of {@code round} each, in
     * pairs (detached, attached) in a seeded random order, on one seeded database and one bot.
     * Returns the throughput loss of each pair, in percent (negative when the attached round was
     * faster): the caller takes the median.
     */
    List<Double> monitorOverhead(String mongoUri, int pairs, Duration round, Attachment attachment) {
        List<Double> overheads = new ArrayList<>();
        try (EmbeddedMongo mongo = EmbeddedMongo.start(mongoUri)) {
            MicrometerQueryProfiler profiler = profiler();
            CompositeMeterRegistry registry = new CompositeMeterRegistry();
            try (MongoClient client =
                            mongo.client(settings -> MongoPerf.instrument(settings, () -> profiler, registry));
                    OshiMemoryManager memory = memory(registry)) {
                MongoDatabase db = client.getDatabase("perfkit_simulation");
                seed(db);
                ToolkitBot bot = new ToolkitBot(db, registry);
                Map<Type, Histogram> latencies = new EnumMap<>(Type.class);
                for (Type type : Type.values()) {
                    latencies.put(type, new ConcurrentHistogram(3_600_000_000L, 2));
                }
                AtomicInteger next = new AtomicInteger();
                SplittableRandom order = new SplittableRandom(7);
                for (int pair = -1; pair < pairs; pair++) { // pair -1 warms both up
                    boolean attachedFirst = order.nextBoolean();
                    double detached = 0;
                    double attached = 0;
                    for (int side = 0; side < 2; side++) {
                        boolean attach = (side == 0) == attachedFirst;
                        PerfMonitor monitor = attach ? attachment.attach(bot.cache, memory, profiler, registry) : null;
                        observer = monitor;
                        int before = next.get();
                        long started = System.nanoTime();
                        phase(bot, profiler, latencies, next, -1, round.toNanos());
                        double rate = (next.get() - before) / ((System.nanoTime() - started) / 1e9);
                        observer = null;
                        if (monitor != null) {
                            attachment.detach(monitor);
                            attached = rate;
                        } else {
                            detached = rate;
                        }
                    }
                    if (pair >= 0) {
                        overheads.add((detached / attached - 1) * 100);
                    }
                }
                bot.finish();
            } finally {
                profiler.close();
            }
        }
        return overheads;
    }

    private static OshiMemoryManager memory(MeterRegistry registry) {
        return OshiMemoryManager.builder()
                .config(PerfConfig.builder().meterRegistry(registry).build())
                .pressureRegistry(MemoryPressureRegistry.create())
                .backgroundSampling(false)
                .build();
    }

    private static MicrometerQueryProfiler profiler() {
        return MicrometerQueryProfiler.create(PerfConfig.builder()
                .meterRegistry(new SimpleMeterRegistry())
                .slowQueryThreshold(Duration.ofMillis(5))
                .build());
    }

    private RunResult run(
            EmbeddedMongo mongo, boolean toolkit, MicrometerQueryProfiler profiler, int[] phases, boolean timed) {
        return run(mongo, toolkit, profiler, phases, timed, null);
    }

    private RunResult run(
            EmbeddedMongo mongo,
            boolean toolkit,
            MicrometerQueryProfiler profiler,
            int[] phases,
            boolean timed,
            Attachment attachment) {
        AtomicLong roundTrips = new AtomicLong();
        CommandListener counter = new CommandListener() {
            @Override
            public void commandStarted(CommandStartedEvent event) {
                roundTrips.incrementAndGet();
            }
        };
        MeterRegistry registry = attachment == null ? new SimpleMeterRegistry() : new CompositeMeterRegistry();
        PerfMonitor monitor = null;
        try (MongoClient client = mongo.client(settings ->
                        MongoPerf.instrument(settings, () -> profiler, registry).addCommandListener(counter));
                OshiMemoryManager memory = memory(registry)) {
            MongoDatabase db = client.getDatabase("perfkit_simulation");
            seed(db);
            roundTrips.set(0);
            Bot bot = toolkit ? new ToolkitBot(db, registry) : new PlainBot(db);
            if (attachment != null) {
                monitor = attachment.attach(((ToolkitBot) bot).cache, memory, profiler, registry);
                observer = monitor;
            }
            Map<Type, Histogram> latencies = new EnumMap<>(Type.class);
            for (Type type : Type.values()) {
                latencies.put(type, new ConcurrentHistogram(3_600_000_000L, 2));
            }
            double rssStart = memory.snapshot().rssMb();
            long start = System.nanoTime();
            AtomicInteger next = new AtomicInteger();
            int first = phase(bot, profiler, latencies, next, timed ? -1 : phases[0], duration.toNanos() / 2);
            bot.dailyInterest();
            int second =
                    phase(bot, profiler, latencies, next, timed ? -1 : phases[0] + phases[1], duration.toNanos() / 2);
            observer = null;
            bot.finish();
            double seconds = (System.nanoTime() - start) / 1e9;
            if (timed) {
                phases[0] = first;
                phases[1] = second - first;
            }
            List<BigDecimal> balances = new ArrayList<>();
            for (Document account : db.getCollection("accounts").find().sort(new Document("_id", 1))) {
                balances.add(((Decimal128) account.get("balance")).bigDecimalValue());
            }
            return new RunResult(
                    toolkit ? "toolkit on" : "toolkit off",
                    second,
                    seconds,
                    roundTrips.get(),
                    latencies,
                    rssStart,
                    memory.snapshot().rssMb(),
                    balances,
                    bot.cacheHitRatio());
        } finally {
            observer = null;
            if (monitor != null) {
                attachment.detach(monitor);
            }
        }
    }

    /** Runs commands until the time is up (limit -1) or the stream index reaches limit; returns the index. */
    private int phase(
            Bot bot,
            MicrometerQueryProfiler profiler,
            Map<Type, Histogram> latencies,
            AtomicInteger next,
            int limit,
            long nanos) {
        long end = System.nanoTime() + nanos;
        Workers.run(THREADS, "perfkit-simulate", Workers.patience(Duration.ofNanos(nanos)), worker -> {
            while (true) {
                if (limit < 0 && System.nanoTime() >= end) {
                    break;
                }
                int index = next.getAndIncrement();
                if ((limit >= 0 && index >= limit) || index >= stream.size()) {
                    break;
                }
                Command command = stream.get(index);
                long started = System.nanoTime();
                boolean success = false;
                try (ProfilerScope scope = profiler.scope(command.type().label)) {
                    bot.execute(command);
                    success = true;
                } finally {
                    PerfMonitor monitor = observer;
                    if (monitor != null) {
                        monitor.recordRequestNanos(command.type().label, System.nanoTime() - started, success);
                    }
                }
                latencies
                        .get(command.type())
                        .recordValue(Math.min(3_600_000_000L, (System.nanoTime() - started) / 1_000));
            }
        });
        // Every index claimed below the limit was executed; the next free index is the count.
        int claimed = Math.min(next.get(), stream.size());
        if (limit >= 0) {
            claimed = Math.min(claimed, limit);
        }
        next.set(claimed);
        return claimed;
    }

    private void seed(MongoDatabase db) {
        db.getCollection("accounts").drop();
        db.getCollection("users").drop();
        List<Document> accounts = new ArrayList<>();
        List<Document> profiles = new ArrayList<>();
        for (int i = 0; i < users; i++) {
            accounts.add(new Document("_id", i)
                    .append("user_id", i)
                    .append("guild_id", i % GUILDS)
                    .append("balance", new Decimal128(new BigDecimal(500 + (i * 37) % 1_000))));
            profiles.add(new Document("_id", i).append("user_id", i).append("name", "user" + i));
        }
        // One account per user, as any bank bot declares it; both runs have the index. (With it,
        // the cached collection knows which account a transfer by user_id changed.)
        db.getCollection("accounts").createIndex(Indexes.ascending("user_id"), new IndexOptions().unique(true));
        db.getCollection("accounts").insertMany(accounts);
        db.getCollection("users").insertMany(profiles);
    }

    private interface Bot {
        void execute(Command command);

        void dailyInterest();

        /** The query cache's hit ratio, NaN for a bot without one. */
        default double cacheHitRatio() {
            return Double.NaN;
        }

        void finish();
    }

    /** The bot as the seeds' "before" examples write it: a query per need, N+1 leaderboard. */
    private static final class PlainBot implements Bot {
        private final MongoCollection<Document> accounts;
        private final MongoCollection<Document> profiles;

        PlainBot(MongoDatabase db) {
            this.accounts = db.getCollection("accounts");
            this.profiles = db.getCollection("users");
        }

        @Override
        public void execute(Command command) {
            switch (command.type()) {
                case BALANCE -> accounts.find(eq("user_id", command.user())).first();
                case TRANSFER -> {
                    Decimal128 amount = new Decimal128(command.amount());
                    accounts.updateOne(
                            eq("user_id", command.user()), inc("balance", new Decimal128(-command.amount())));
                    accounts.updateOne(eq("user_id", command.other()), inc("balance", amount));
                }
                case LEADERBOARD -> {
                    for (Document account : accounts.find(eq("guild_id", command.guild()))
                            .sort(descending("balance"))
                            .limit(10)) {
                        profiles.find(eq("user_id", account.get("user_id"))).first(); // one query per row
                    }
                }
                case PROFILE ->
                    profiles.updateOne(
                            eq("user_id", command.user()), set("last_command", "profile-" + command.amount()));
            }
        }

        @Override
        public void dailyInterest() {
            Decimal128 factor = new Decimal128(BigDecimal.ONE.add(BigDecimal.valueOf(INTEREST_RATE)));
            for (Document account : accounts.find(gte("balance", INTEREST_MINIMUM))) {
                accounts.updateOne(eq("_id", account.get("_id")), mul("balance", factor));
            }
        }

        @Override
        public void finish() {}
    }

    /**
     * The same bot with perfkit: cached reads, one $in query per leaderboard, a transfer's two
     * updates in one bulk write, batched profile writes.
     */
    private static final class ToolkitBot implements Bot {
        private final MongoDatabase db;
        private final CaffeineQueryCache cache;
        private final CachedCollection<Document> accounts;
        private final CachedCollection<Document> profiles;
        private final MongoBatchWriter<Document> profileWrites;

        ToolkitBot(MongoDatabase db, MeterRegistry registry) {
            this.db = db;
            this.cache = CaffeineQueryCache.builder()
                    .name("simulation")
                    .maxSize(10_000)
                    .meterRegistry(registry)
                    .pressureRegistry(MemoryPressureRegistry.create())
                    .build();
            this.accounts = MongoPerf.cached(db.getCollection("accounts"), Duration.ofSeconds(30), cache);
            this.profiles = MongoPerf.cached(db.getCollection("users"), Duration.ofSeconds(30), cache);
            // through the cached collection: the leaderboards' cached profile reads see each batch
            this.profileWrites = MongoBatchWriter.create(
                    profiles,
                    PerfConfig.builder().meterRegistry(registry).build(),
                    b -> b.batchSize(100).maxDelay(Duration.ofMillis(20)),
                    (models, cause) -> {
                        throw new IllegalStateException("profile writes failed", cause);
                    });
        }

        @Override
        public void execute(Command command) {
            switch (command.type()) {
                case BALANCE -> accounts.find(eq("user_id", command.user())).first();
                case TRANSFER -> {
                    // Debit and credit in one ordered bulk write: one round trip, and (since bulk
                    // writes invalidate per operation) only the two accounts' reads are dropped.
                    Object unused = accounts.bulkWrite(List.of(
                            new UpdateOneModel<>(
                                    eq("user_id", command.user()), inc("balance", new Decimal128(-command.amount()))),
                            new UpdateOneModel<>(
                                    eq("user_id", command.other()), inc("balance", new Decimal128(command.amount())))));
                }
                case LEADERBOARD -> {
                    List<Document> top = accounts.find(eq("guild_id", command.guild()), descending("balance"), 10);
                    List<Bson> byUser = new ArrayList<>();
                    top.forEach(account -> byUser.add(eq("user_id", account.get("user_id"))));
                    if (!byUser.isEmpty()) {
                        // written as a bot would write it; the optimizer turns the $or into one $in
                        profiles.find(MongoQueryOptimizer.optimizeQuery(or(byUser)))
                                .toList();
                    }
                }
                case PROFILE ->
                    profileWrites.add(new UpdateOneModel<>(
                            eq("user_id", command.user()), set("last_command", "profile-" + command.amount())));
            }
        }

        @Override
        public void dailyInterest() {
            BulkOperations.processDailyInterest(
                    db, AccountSchema.DEFAULT, INTEREST_RATE, INTEREST_MINIMUM, LocalDate.of(2026, 1, 1));
            accounts.invalidate();
        }

        private double hitRatio = Double.NaN;

        @Override
        public double cacheHitRatio() {
            return hitRatio;
        }

        @Override
        public void finish() {
            profileWrites.close();
            hitRatio = cache.stats().hitRatio();
            cache.close();
        }
    }

    private static List<String> findings(MicrometerQueryProfiler profiler, MongoDatabase db) {
        List<String> findings = new ArrayList<>();
        profiler.getStats().operations().stream()
                .limit(3)
                .forEach(op -> findings.add(String.format(
                        java.util.Locale.ROOT,
                        "most time: %s.%s, %d queries, %d ms total, %.2f ms average",
                        op.collection(),
                        op.operation(),
                        op.count(),
                        op.totalTime().toMillis(),
                        op.avgTime().toNanos() / 1e6)));
        profiler.getSlowQueries().stream()
                .limit(3)
                .forEach(slow -> findings.add("slow query: " + slow.collection() + "." + slow.operation() + " "
                        + slow.shape() + " took " + slow.duration().toMillis() + " ms"));
        profiler.getNPlusOneWarnings()
                .forEach(warning -> findings.add("N+1: in '" + warning.scope() + "', "
                        + warning.collection() + " " + warning.shape() + " ran " + warning.count()
                        + " times per command ("
                        + warning.occurrences() + " commands) — " + warning.suggestion()));
        // Through the advisor: only indexes the database does not already have (the unique user_id
        // index on accounts serves the lookups by user_id).
        MongoIndexAdvisor.recommend(db, profiler).forEach(advice -> {
            IndexRecommendation index = advice.recommendation();
            findings.add("index: " + index.collection() + " " + index.keys() + " — " + index.reason());
        });
        return findings;
    }
}
