package dev.perfkit.mongo;

import static com.mongodb.client.model.Filters.and;
import static com.mongodb.client.model.Filters.eq;
import static com.mongodb.client.model.Filters.gt;
import static com.mongodb.client.model.Filters.in;
import static com.mongodb.client.model.Filters.lte;
import static com.mongodb.client.model.Filters.or;
import static org.assertj.core.api.Assertions.assertThat;

import com.mongodb.MongoException;
import com.mongodb.client.MongoClient;
import com.mongodb.client.MongoCollection;
import com.mongodb.client.model.Accumulators;
import com.mongodb.client.model.Aggregates;
import com.mongodb.client.model.BulkWriteOptions;
import com.mongodb.client.model.DeleteManyModel;
import com.mongodb.client.model.DeleteOneModel;
import com.mongodb.client.model.FindOneAndUpdateOptions;
import com.mongodb.client.model.IndexOptions;
import com.mongodb.client.model.Indexes;
import com.mongodb.client.model.InsertOneModel;
import com.mongodb.client.model.Projections;
import com.mongodb.client.model.ReplaceOneModel;
import com.mongodb.client.model.ReplaceOptions;
import com.mongodb.client.model.Sorts;
import com.mongodb.client.model.UpdateManyModel;
import com.mongodb.client.model.UpdateOneModel;
import com.mongodb.client.model.UpdateOptions;
import com.mongodb.client.model.Updates;
import com.mongodb.client.model.WriteModel;
import dev.perfkit.Concurrently;
import dev.perfkit.cache.caffeine.CaffeineQueryCache;
import dev.perfkit.memory.MemoryPressureRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.IntUnaryOperator;
import org.bson.BsonValue;
import org.bson.Document;
import org.bson.conversions.Bson;
import org.bson.types.Decimal128;
import org.junit.jupiter.api.Test;

/**
 * Precise invalidation, proven against the embedded MongoDB: a seeded random mix of cached reads
 * (finds with filters, sorts, skips, limits and projections; counts; distincts) and every kind of
 * write through the wrapper; after each read the same read is made directly, and the two must be
 * equal. Values include arrays, nulls, missing fields and mixed number types, so the matcher's
 * "might match" paths are exercised too.
 */
class CachedCollectionDifferentialTest {
    private static final int OPERATIONS = 100_000;

    /** One read a bot makes again and again. */
    record ReadSpec(int kind, Bson filter, Bson sort, int skip, int limit, Bson projection) {}

    static CaffeineQueryCache cache() {
        return CaffeineQueryCache.builder()
                .name("differential")
                .maxSize(100_000)
                .meterRegistry(new SimpleMeterRegistry())
                .pressureRegistry(MemoryPressureRegistry.create())
                .build();
    }

    static Object value(SplittableRandom random) {
        return switch (random.nextInt(10)) {
            case 0 -> (double) random.nextInt(4);
            case 1 -> (long) random.nextInt(4);
            case 2 -> List.of(random.nextInt(4), random.nextInt(4));
            case 3 -> null;
            case 4 -> random.nextBoolean() ? "x" : "y";
            default -> random.nextInt(4);
        };
    }

    static Document document(int id, SplittableRandom random) {
        Document document = new Document("_id", id);
        for (String field : List.of("a", "b", "c")) {
            if (random.nextInt(8) != 0) { // sometimes missing
                document.append(field, value(random));
            }
        }
        return document.append("g", random.nextInt(3)).append("u", id); // u: unique index
    }

    static Bson filter(SplittableRandom random) {
        String field = List.of("a", "b", "c", "g").get(random.nextInt(4));
        Object literal = random.nextInt(6) == 0 ? (random.nextBoolean() ? "x" : 1.0) : random.nextInt(4);
        return switch (random.nextInt(10)) {
            case 0 -> new Document();
            case 8 -> eq("u", random.nextInt(60)); // one document, by a unique field
            case 1 -> in(field, random.nextInt(4), random.nextInt(4));
            case 2 -> gt(field, random.nextInt(4));
            case 3 -> lte(field, random.nextInt(4));
            case 4 -> or(eq(field, random.nextInt(4)), eq("g", random.nextInt(3)));
            case 5 -> and(eq("g", random.nextInt(3)), gt(field, random.nextInt(3)));
            case 6 -> eq("_id", random.nextInt(60));
            default -> eq(field, literal);
        };
    }

    static Bson update(SplittableRandom random) {
        // "u" rarely: moving a unique value (mostly a duplicate-key failure) changes which document
        // an equality on it names
        String field =
                random.nextInt(20) == 0 ? "u" : List.of("a", "b", "c", "g", "d").get(random.nextInt(5));
        return switch (random.nextInt(5)) {
            case 0 -> Updates.inc(field, 1);
            case 1 -> Updates.unset(field);
            case 2 -> Updates.combine(Updates.set(field, value(random)), Updates.set("z", random.nextInt(3)));
            default -> Updates.set(field, value(random));
        };
    }

    /** A random bulk-write operation; {@code insertId} for an insert. */
    private static WriteModel<Document> model(SplittableRandom random, int insertId) {
        return switch (random.nextInt(7)) {
            case 0 -> new InsertOneModel<>(document(insertId, random));
            case 1 -> new UpdateOneModel<>(filter(random), update(random));
            case 2 -> new UpdateManyModel<>(filter(random), update(random));
            case 3 ->
                new UpdateOneModel<>(eq("_id", random.nextInt(70)), update(random), new UpdateOptions().upsert(true));
            case 4 -> {
                int id = random.nextInt(60);
                yield new ReplaceOneModel<>(eq("_id", id), document(id, random));
            }
            case 5 -> new DeleteOneModel<>(filter(random));
            default -> new DeleteManyModel<>(eq("_id", random.nextInt(60)));
        };
    }

    /** A random read, as a bot repeats it. */
    static ReadSpec readSpec(SplittableRandom random) {
        Bson sort =
                switch (random.nextInt(4)) {
                    case 0 -> Sorts.ascending("_id");
                    case 1 -> Sorts.orderBy(Sorts.descending("g"), Sorts.ascending("_id"));
                    case 2 -> Sorts.orderBy(Sorts.descending("a"), Sorts.ascending("_id")); // a leaderboard
                    default -> null; // the server's natural order
                };
        return new ReadSpec(
                random.nextInt(11),
                filter(random),
                sort,
                random.nextInt(4) == 0 ? 1 : 0,
                random.nextInt(3) == 0 ? 3 : 0,
                random.nextInt(4) == 0 ? Projections.include("a", "g") : null);
    }

    /** Makes a read through the wrapper and directly, and asserts both are equal. */
    static void assertSameRead(
            CachedCollection<Document> cached, MongoCollection<Document> raw, ReadSpec spec, String context) {
        Bson filter = spec.filter();
        if (spec.kind() < 6) {
            CachedFind<Document> find = cached.find(filter).skip(spec.skip()).limit(spec.limit());
            var direct = raw.find(filter).skip(spec.skip()).limit(spec.limit());
            if (spec.sort() != null) {
                find = find.sort(spec.sort());
                direct = direct.sort(spec.sort());
            }
            if (spec.projection() != null) {
                find = find.projection(spec.projection());
                direct = direct.projection(spec.projection());
            }
            assertThat(find.toList()).as(context).isEqualTo(direct.into(new ArrayList<>()));
        } else if (spec.kind() < 8) {
            assertThat(cached.countDocuments(filter)).as(context).isEqualTo(raw.countDocuments(filter));
        } else if (spec.kind() == 10) {
            List<Bson> pipeline = List.of(
                    Aggregates.match(filter),
                    Aggregates.group("$g", Accumulators.sum("n", 1)),
                    Aggregates.sort(Sorts.ascending("_id")));
            assertThat(cached.aggregate(pipeline))
                    .as(context)
                    .isEqualTo(raw.aggregate(pipeline).into(new ArrayList<>()));
        } else {
            List<BsonValue> viaCache = new ArrayList<>(cached.distinct("g", filter, BsonValue.class));
            List<BsonValue> direct = raw.distinct("g", filter, BsonValue.class).into(new ArrayList<>());
            viaCache.sort(Comparator.comparing(String::valueOf));
            direct.sort(Comparator.comparing(String::valueOf));
            assertThat(viaCache).as(context).isEqualTo(direct);
        }
    }

    @Test
    void randomReadsAndWrites_cachedReadsEqualDirectReads() {
        long seed = MongoTestSupport.seed("CachedCollectionDifferentialTest");
        SplittableRandom random = new SplittableRandom(seed);
        try (MongoClient client = MongoTestSupport.client();
                CaffeineQueryCache cache = cache()) {
            MongoCollection<Document> raw =
                    MongoTestSupport.freshDatabase(client).getCollection("diff");
            raw.createIndex(
                    Indexes.ascending("u"), new IndexOptions().unique(true).sparse(true));
            for (int id = 0; id < 40; id++) {
                raw.insertOne(document(id, random));
            }
            CachedCollection<Document> cached = MongoPerf.cached(raw, Duration.ofHours(1), cache);
            List<ReadSpec> specs = new ArrayList<>();
            for (int i = 0; i < 60; i++) {
                specs.add(readSpec(random));
            }
            int nextId = 1_000;
            int reads = 0;
            int writeFailures = 0;
            for (int op = 0; op < OPERATIONS; op++) {
                String context = "seed " + seed + " op " + op;
                int roll = random.nextInt(100);
                if (roll < 60) {
                    reads++;
                    ReadSpec spec = specs.get(random.nextInt(specs.size())); // a bot repeats its reads
                    assertSameRead(cached, raw, spec, context);
                } else {
                    try { // random writes fail at times ($inc on a string, duplicate keys): fine
                        switch (random.nextInt(12)) {
                            case 0 -> cached.insertOne(document(nextId++, random));
                            case 1 ->
                                cached.insertMany(List.of(document(nextId++, random), document(nextId++, random)));
                            case 2, 3 -> cached.updateOne(filter(random), update(random));
                            case 4 -> cached.updateMany(filter(random), update(random));
                            case 5 ->
                                cached.updateOne(
                                        eq("_id", random.nextInt(70)),
                                        update(random),
                                        new UpdateOptions().upsert(true));
                            case 6 -> {
                                int id = random.nextInt(60);
                                Document replacement = document(id, random);
                                cached.replaceOne(
                                        eq("_id", id), replacement, new ReplaceOptions().upsert(random.nextBoolean()));
                            }
                            case 7 -> cached.deleteOne(filter(random));
                            case 8 -> {
                                if (random.nextInt(4) == 0) {
                                    cached.deleteMany(filter(random));
                                }
                            }
                            case 9 ->
                                cached.findOneAndUpdate(
                                        filter(random),
                                        update(random),
                                        new FindOneAndUpdateOptions().upsert(random.nextInt(5) == 0));
                            case 10 -> cached.findOneAndDelete(filter(random));
                            default -> {
                                List<WriteModel<Document>> models = new ArrayList<>();
                                int size = 1 + random.nextInt(4);
                                for (int j = 0; j < size; j++) {
                                    models.add(model(random, 1_000_000 + op * 10 + j));
                                }
                                cached.bulkWrite(models, new BulkWriteOptions().ordered(random.nextBoolean()));
                            }
                        }
                    } catch (MongoException expected) {
                        writeFailures++;
                    }
                    if (raw.countDocuments() < 20) { // keep the collection populated
                        for (int i = 0; i < 10; i++) {
                            try {
                                cached.insertOne(document(nextId++, random));
                            } catch (MongoException duplicateUniqueValue) {
                                writeFailures++; // an $inc on "u" got there first
                            }
                        }
                    }
                }
            }
            assertThat(reads).isGreaterThan(OPERATIONS / 2);
            System.out.println("CachedCollectionDifferentialTest: " + reads + " reads compared, " + writeFailures
                    + " writes failed, " + cached.writesThrough() + " reads written through, " + cache.stats());
            assertThat(cache.stats().hits())
                    .as("seed %d: reads kept across writes, each checked against the server", seed)
                    .isGreaterThan(reads / 50);
        }
    }

    /** A number of the same type as {@code like}, or (one time in ten) of another type. */
    private static Number amountLike(Object like, SplittableRandom random) {
        int amount = random.nextInt(21) - 10;
        if (random.nextInt(10) == 0) {
            return random.nextBoolean() ? (Number) (amount + 0.5) : (Number) (long) amount;
        }
        if (like instanceof Long) {
            return (long) amount;
        }
        if (like instanceof Double) {
            return amount / 4.0;
        }
        if (like instanceof Decimal128) {
            return new Decimal128(java.math.BigDecimal.valueOf(amount * 25L, 2)); // 0.25 steps, scale 2
        }
        return amount;
    }

    /**
     * Write-through (a cached read of one whole document brought up to date after a pure {@code $inc}
     * by a unique value) against the server: payments by {@code _id} and by a unique field on int,
     * long, double and decimal fields (now and then with an amount of another type), transfers in
     * one bulk write, group moves, unique-value moves, deletes and re-inserts, and updates that
     * select by the incremented field; every read compared with the server.
     */
    @Test
    void writeThroughWorkload_cachedReadsEqualDirectReads() {
        long seed = MongoTestSupport.seed("CachedCollectionDifferentialTest.writeThrough");
        SplittableRandom random = new SplittableRandom(seed);
        try (MongoClient client = MongoTestSupport.client();
                CaffeineQueryCache cache = cache()) {
            MongoCollection<Document> raw =
                    MongoTestSupport.freshDatabase(client).getCollection("wallets");
            raw.createIndex(Indexes.ascending("u"), new IndexOptions().unique(true));
            int members = 20;
            for (int id = 0; id < members; id++) {
                raw.insertOne(wallet(id, 100 + id, random));
            }
            CachedCollection<Document> cached = MongoPerf.cached(raw, Duration.ofHours(1), cache);
            List<String> numbers = List.of("score", "xp", "ratio", "balance");
            int reads = 0;
            for (int op = 0; op < 30_000; op++) {
                String context = "seed " + seed + " op " + op;
                int id = random.nextInt(members);
                Bson byId = eq("_id", id);
                Bson byU = eq("u", 100 + random.nextInt(members + 5));
                int roll = random.nextInt(100);
                try {
                    if (roll < 55) {
                        reads++;
                        compareWalletRead(cached, raw, random.nextInt(5), byId, byU, random.nextInt(3), context);
                    } else if (roll < 85) {
                        Bson target = random.nextBoolean() ? byId : byU;
                        Document current = raw.find(target).first();
                        String field = numbers.get(random.nextInt(numbers.size()));
                        Object like = current == null ? 0 : current.get(field);
                        Bson update = random.nextInt(8) == 0
                                ? Updates.combine(
                                        Updates.inc(field, amountLike(like, random)),
                                        Updates.inc("xp", amountLike(current == null ? 0L : current.get("xp"), random)))
                                : Updates.inc(field, amountLike(like, random));
                        cached.updateOne(target, update);
                    } else if (roll < 90) {
                        int other = random.nextInt(members);
                        cached.bulkWrite(List.of(
                                new UpdateOneModel<>(byId, Updates.inc("score", -3)),
                                new UpdateOneModel<>(eq("_id", other), Updates.inc("score", 3))));
                    } else if (roll < 94) {
                        cached.updateOne(byId, Updates.set("g", random.nextInt(3)));
                    } else if (roll < 96) {
                        cached.updateMany(gt("score", 10 + random.nextInt(10)), Updates.inc("xp", 1L));
                    } else if (roll < 98) {
                        cached.updateOne(byId, Updates.set("u", 100 + random.nextInt(members + 5)));
                    } else {
                        Document gone = cached.findOneAndDelete(byId);
                        if (gone != null) {
                            cached.insertOne(wallet(id, gone.getInteger("u"), random));
                        }
                    }
                } catch (MongoException takenOrWrongType) {
                    // a unique value already held, an $inc that overflows: refused, nothing changed
                }
            }
            System.out.println("CachedCollectionDifferentialTest.writeThrough: " + reads + " reads compared, "
                    + cached.writesThrough() + " written through, " + cache.stats());
            assertThat(cached.writesThrough())
                    .as("seed %d: write-through exercised", seed)
                    .isGreaterThan(100);
        }
    }

    /** One of the wallet workload's reads, through the wrapper and directly. */
    private static void compareWalletRead(
            CachedCollection<Document> cached,
            MongoCollection<Document> raw,
            int kind,
            Bson byId,
            Bson byU,
            int group,
            String context) {
        switch (kind) {
            case 0 ->
                assertThat(cached.find(byId).first())
                        .as(context)
                        .isEqualTo(raw.find(byId).first());
            case 1 ->
                assertThat(cached.find(byU).first())
                        .as(context)
                        .isEqualTo(raw.find(byU).first());
            case 2 ->
                assertSameRanking(
                        cached,
                        raw,
                        group,
                        Sorts.orderBy(Sorts.descending("score"), Sorts.ascending("_id")),
                        3,
                        context);
            case 3 ->
                assertThat(cached.find(byU)
                                .projection(Projections.include("score"))
                                .toList())
                        .as(context)
                        .isEqualTo(raw.find(byU)
                                .projection(Projections.include("score"))
                                .into(new ArrayList<>()));
            default ->
                assertThat(cached.countDocuments(gt("score", 5)))
                        .as(context)
                        .isEqualTo(raw.countDocuments(gt("score", 5)));
        }
    }

    /** A group's ranking read through the wrapper and directly: both must be equal. */
    private static void assertSameRanking(
            CachedCollection<Document> cached,
            MongoCollection<Document> raw,
            int group,
            Bson sort,
            int limit,
            String context) {
        assertThat(cached.find(eq("g", group)).sort(sort).limit(limit).toList())
                .as(context)
                .isEqualTo(raw.find(eq("g", group)).sort(sort).limit(limit).into(new ArrayList<>()));
    }

    private static Document wallet(int id, int u, SplittableRandom random) {
        return new Document("_id", id)
                .append("u", u)
                .append("g", random.nextInt(3))
                .append("score", random.nextInt(20))
                .append("xp", (long) random.nextInt(100))
                .append("ratio", random.nextInt(8) / 8.0)
                .append("balance", new Decimal128(java.math.BigDecimal.valueOf(random.nextInt(100_000), 2)))
                .append("name", "member" + id);
    }

    /**
     * Members {@code _id} 0 to {@code count - 1}, with a unique {@code u} (from {@code firstU}), a
     * group {@code g} (the id modulo {@code groups}) and a {@code score}.
     */
    private static void seedMembers(
            MongoCollection<Document> raw, int count, int firstU, int groups, IntUnaryOperator score) {
        raw.createIndex(Indexes.ascending("u"), new IndexOptions().unique(true));
        for (int id = 0; id < count; id++) {
            raw.insertOne(new Document("_id", id)
                    .append("u", firstU + id)
                    .append("g", id % groups)
                    .append("score", score.applyAsInt(id)));
        }
    }

    /**
     * One ranking under score changes of members outside it, where perfkit keeps the ranking when
     * the change cannot carry the member past the window's last document: small groups, scores
     * close together (ties), members read one by one (so their documents are known), and amounts
     * as ints and as doubles. Every ranking read is checked against the server.
     */
    @Test
    void rankingUnderScoreChangesNearItsLastPlace_cachedReadsEqualDirectReads() {
        long seed = MongoTestSupport.seed("CachedCollectionDifferentialTest.rankingWindow");
        SplittableRandom random = new SplittableRandom(seed);
        try (MongoClient client = MongoTestSupport.client();
                CaffeineQueryCache cache = cache()) {
            MongoCollection<Document> raw =
                    MongoTestSupport.freshDatabase(client).getCollection("ranking");
            int members = 12;
            seedMembers(raw, members, 1_000, 2, id -> random.nextInt(15));
            CachedCollection<Document> cached = MongoPerf.cached(raw, Duration.ofHours(1), cache);
            int rankings = 0;
            for (int op = 0; op < 6_000; op++) {
                String context = "seed " + seed + " op " + op;
                int roll = random.nextInt(100);
                Bson member = eq("u", 1_000 + random.nextInt(members));
                if (roll < 45) {
                    rankings++;
                    int group = random.nextInt(2);
                    Bson sort = random.nextBoolean() ? Sorts.descending("score") : Sorts.ascending("score");
                    int limit = 2 + random.nextInt(2);
                    assertSameRanking(cached, raw, group, sort, limit, context);
                } else if (roll < 75) {
                    assertThat(cached.find(member).first())
                            .as(context)
                            .isEqualTo(raw.find(member).first());
                } else {
                    Number amount = random.nextInt(4) == 0
                            ? (Number) (random.nextInt(9) - 4 + 0.5)
                            : (Number) (random.nextInt(13) - 6);
                    cached.updateOne(member, Updates.inc("score", amount));
                }
            }
            System.out.println("CachedCollectionDifferentialTest.rankingWindow: " + rankings + " rankings compared, "
                    + cache.stats());
            assertThat(cache.stats().hits())
                    .as("seed %d: rankings kept across score changes outside them", seed)
                    .isGreaterThan(rankings / 10);
        }
    }

    /**
     * A bot's leaderboards, where precise invalidation decides the most: ranked reads per group
     * (sorted on a score, windows filled or not), reads of one member by a unique field or _id, and
     * score changes by that field, with members now and then moved between groups, given another
     * unique value, added or removed. Each read is checked against the server.
     */
    @Test
    void leaderboardWorkload_cachedReadsEqualDirectReads() {
        long seed = MongoTestSupport.seed("CachedCollectionDifferentialTest.leaderboard");
        SplittableRandom random = new SplittableRandom(seed);
        try (MongoClient client = MongoTestSupport.client();
                CaffeineQueryCache cache = cache()) {
            MongoCollection<Document> raw =
                    MongoTestSupport.freshDatabase(client).getCollection("leaderboard");
            int members = 30;
            seedMembers(raw, members, 1_000, 4, id -> random.nextInt(20));
            CachedCollection<Document> cached = MongoPerf.cached(raw, Duration.ofHours(1), cache);
            int nextId = members;
            int reads = 0;
            for (int op = 0; op < 30_000; op++) {
                String context = "seed " + seed + " op " + op;
                int roll = random.nextInt(100);
                int id = random.nextInt(nextId);
                Bson byMember = random.nextBoolean() ? eq("u", 1_000 + id) : eq("_id", id);
                try {
                    if (roll < 35) {
                        reads++;
                        int group = random.nextInt(4);
                        int limit = List.of(0, 3, 5, 20).get(random.nextInt(4));
                        Bson sort = List.of(
                                        Sorts.orderBy(Sorts.descending("score"), Sorts.ascending("_id")),
                                        Sorts.ascending("score"),
                                        Sorts.descending("score"))
                                .get(random.nextInt(3));
                        assertSameRanking(cached, raw, group, sort, limit, context);
                    } else if (roll < 60) {
                        reads++;
                        assertThat(cached.find(byMember).first())
                                .as(context)
                                .isEqualTo(raw.find(byMember).first());
                    } else if (roll < 80) {
                        cached.updateOne(byMember, Updates.inc("score", random.nextInt(7) - 3));
                    } else if (roll < 88) {
                        // by a field two members may share: which one changes is not known
                        cached.updateOne(eq("score", random.nextInt(20)), Updates.inc("score", random.nextInt(7)));
                    } else if (roll < 91) {
                        cached.updateOne(byMember, Updates.set("score", random.nextInt(20)));
                    } else if (roll < 94) {
                        cached.updateOne(byMember, Updates.set("g", random.nextInt(4)));
                    } else if (roll < 96) {
                        cached.updateOne(byMember, Updates.set("u", 1_000 + random.nextInt(nextId + 5)));
                    } else if (roll < 98) {
                        Document member = new Document("_id", nextId)
                                .append("u", 1_000 + nextId)
                                .append("g", random.nextInt(4));
                        if (random.nextInt(3) > 0) { // else no score yet: an $inc creates one
                            member.append("score", random.nextInt(20));
                        }
                        cached.insertOne(member);
                        nextId++;
                    } else {
                        cached.deleteOne(byMember);
                    }
                } catch (MongoException duplicateUniqueValue) {
                    // moving u onto a taken value: refused by the index, nothing changed
                }
            }
            System.out.println(
                    "CachedCollectionDifferentialTest.leaderboard: " + reads + " reads compared, " + cache.stats());
            assertThat(cache.stats().hits())
                    .as("seed %d: ranked reads kept across score changes", seed)
                    .isGreaterThan(reads / 25);
        }
    }

    /**
     * Four threads each own one document and write it through the wrapper while they and the others
     * read queries that include it: after a thread's write returned, its own reads never see an
     * older value of its document.
     */
    @Test
    void concurrentReadersAndWriters_aReadAfterAWriteNeverSeesOlderData() throws Exception {
        long seed = MongoTestSupport.seed("CachedCollectionDifferentialTest.concurrent");
        try (MongoClient client = MongoTestSupport.client();
                CaffeineQueryCache cache = cache()) {
            MongoCollection<Document> raw =
                    MongoTestSupport.freshDatabase(client).getCollection("concurrent");
            for (int id = 0; id < 4; id++) {
                raw.insertOne(new Document("_id", id).append("v", 0).append("g", 1));
            }
            CachedCollection<Document> cached = MongoPerf.cached(raw, Duration.ofHours(1), cache);
            AtomicInteger checks = new AtomicInteger();
            Concurrently.run(4, 120, thread -> {
                SplittableRandom random = new SplittableRandom(seed + thread);
                for (int version = 1; version <= 300; version++) {
                    switch (random.nextInt(3)) {
                        case 0 -> cached.updateOne(eq("_id", thread), Updates.set("v", version));
                        case 1 -> {
                            cached.findOneAndUpdate(eq("_id", thread), Updates.inc("v", 1));
                            cached.updateOne(eq("_id", thread), Updates.set("v", version));
                        }
                        default ->
                            cached.bulkWrite(List.of(
                                    new UpdateOneModel<>(eq("_id", thread), Updates.inc("v", 1)),
                                    new UpdateOneModel<>(eq("_id", thread), Updates.set("v", version))));
                    }
                    Document own = cached.find(eq("_id", thread)).first();
                    assertThat(own.getInteger("v"))
                            .as("seed %d thread %d", seed, thread)
                            .isEqualTo(version);
                    for (Document member :
                            cached.find(eq("g", 1)).sort(Sorts.ascending("_id")).toList()) {
                        if (member.getInteger("_id") == thread) {
                            assertThat(member.getInteger("v"))
                                    .as("seed %d thread %d", seed, thread)
                                    .isEqualTo(version);
                            checks.incrementAndGet();
                        }
                    }
                    assertThat(cached.countDocuments(and(eq("_id", thread), eq("v", version))))
                            .as("seed %d thread %d", seed, thread)
                            .isEqualTo(1);
                    assertThat(cached.aggregate(List.of(Aggregates.match(eq("_id", thread)))))
                            .as("seed %d thread %d", seed, thread)
                            .singleElement()
                            .extracting(d -> d.getInteger("v"))
                            .isEqualTo(version);
                }
            });
            assertThat(checks).hasValue(4 * 300);
        }
    }

    /**
     * Rankings spared by knowing which document an update changed (ReadIndex.knownTarget) must stay
     * right while other threads move unique values and groups around: two threads give members
     * other unique values and groups, two credit members by the unique value and read rankings
     * and members; whenever they have all stopped, every ranking and member read through the cache
     * must equal the server's.
     */
    @Test
    void concurrentMovesOfUniqueValues_leaveNoStaleRanking() throws Exception {
        movesAndCredits("uniqueMoves", true);
    }

    /**
     * The same with members moved between groups only: no write changes which document holds a
     * unique value, so credits are judged from last known copies of members (their group as a
     * dropped read saw it), which each move of a group must stop vouching for.
     */
    @Test
    void concurrentMovesBetweenGroups_leaveNoStaleRanking() throws Exception {
        movesAndCredits("groupMoves", false);
    }

    private static void movesAndCredits(String name, boolean uniqueMoves) throws Exception {
        long seed = MongoTestSupport.seed("CachedCollectionDifferentialTest." + name);
        try (MongoClient client = MongoTestSupport.client();
                CaffeineQueryCache cache = cache()) {
            MongoCollection<Document> raw =
                    MongoTestSupport.freshDatabase(client).getCollection("moves");
            seedMembers(raw, 12, 100, 3, id -> id % 5);
            CachedCollection<Document> cached = MongoPerf.cached(raw, Duration.ofHours(1), cache);
            // with group moves only, rank by the score alone: the window rules then apply too
            Bson ranking = uniqueMoves
                    ? Sorts.orderBy(Sorts.descending("score"), Sorts.ascending("_id"))
                    : Sorts.descending("score");
            for (int round = 0; round < 25; round++) {
                long roundSeed = seed + round;
                Concurrently.run(4, 120, thread -> {
                    SplittableRandom random = new SplittableRandom(roundSeed * 31 + thread);
                    for (int i = 0; i < 200; i++) {
                        Bson byValue = eq("u", 100 + random.nextInt(40));
                        try {
                            if (thread < 2) { // moves a member to another unique value, or group
                                Bson member = eq("_id", random.nextInt(12));
                                cached.updateOne(
                                        member,
                                        !uniqueMoves || random.nextInt(4) == 0
                                                ? Updates.set("g", random.nextInt(3))
                                                : Updates.set("u", 100 + random.nextInt(40)));
                                continue;
                            }
                            switch (random.nextInt(4)) {
                                case 0, 1 -> cached.updateOne(byValue, Updates.inc("score", 1 + random.nextInt(10)));
                                case 2 -> cached.find(byValue).first();
                                default ->
                                    cached.find(eq("g", random.nextInt(3)))
                                            .sort(ranking)
                                            .limit(2)
                                            .toList();
                            }
                        } catch (MongoException takenValue) {
                            // a unique value already held: refused, nothing changed
                        }
                    }
                });
                for (int group = 0; group < 3; group++) {
                    assertSameRanking(
                            cached,
                            raw,
                            group,
                            ranking,
                            2,
                            String.format("seed %d round %d group %d", seed, round, group));
                }
                for (int value = 100; value < 140; value++) {
                    assertThat(cached.find(eq("u", value)).first())
                            .as("seed %d round %d u %d", seed, round, value)
                            .isEqualTo(raw.find(eq("u", value)).first());
                }
            }
            System.out.println("CachedCollectionDifferentialTest." + name + ": " + cached.writesThrough()
                    + " reads written through");
        }
    }

    /**
     * Write-through under concurrency: four threads pay any of six members (so payments to one
     * member overlap), by a unique field or by {@code _id}, while now and then a bonus goes to every
     * member whose balance passed a mark (an update that selects by the incremented field), and
     * all read members. A member's balance read must never be below the payments acknowledged
     * before the read began, nor above the payments begun; after each round every cached read
     * must equal the server's.
     */
    @Test
    void concurrentPaymentsToSharedMembers_writeThroughNeverLosesOrDoublesOne() throws Exception {
        long seed = MongoTestSupport.seed("CachedCollectionDifferentialTest.sharedPayments");
        int members = 6;
        // Perturbs the schedule, not a wait: between a command's reply and its return, a thread
        // pauses at random (up to 0.3 ms), so that writes and loads overlap in every order.
        try (MongoClient client = MongoTestSupport.client(
                        settings -> settings.addCommandListener(new com.mongodb.event.CommandListener() {
                            @Override
                            public void commandSucceeded(com.mongodb.event.CommandSucceededEvent event) {
                                java.util.concurrent.locks.LockSupport.parkNanos(
                                        java.util.concurrent.ThreadLocalRandom.current()
                                                .nextLong(300_000));
                            }
                        }));
                CaffeineQueryCache cache = cache()) {
            MongoCollection<Document> raw =
                    MongoTestSupport.freshDatabase(client).getCollection("shared");
            raw.createIndex(Indexes.ascending("user"), new IndexOptions().unique(true));
            for (int user = 0; user < members; user++) {
                raw.insertOne(new Document("_id", user)
                        .append("user", user)
                        .append("paid", 0)
                        .append("bonus", 0));
            }
            CachedCollection<Document> cached = MongoPerf.cached(raw, Duration.ofHours(1), cache);
            java.util.concurrent.atomic.AtomicIntegerArray acknowledged =
                    new java.util.concurrent.atomic.AtomicIntegerArray(members);
            java.util.concurrent.atomic.AtomicIntegerArray attempted =
                    new java.util.concurrent.atomic.AtomicIntegerArray(members);
            for (int round = 0; round < 10; round++) {
                long roundSeed = seed * 31 + round;
                Concurrently.run(4, 120, thread -> {
                    SplittableRandom random = new SplittableRandom(roundSeed + thread);
                    for (int i = 0; i < 300; i++) {
                        int user = random.nextInt(members);
                        int roll = random.nextInt(10);
                        if (roll < 4) {
                            attempted.incrementAndGet(user);
                            cached.updateOne(
                                    random.nextBoolean() ? eq("user", user) : eq("_id", user), Updates.inc("paid", 1));
                            acknowledged.incrementAndGet(user);
                        } else if (roll == 4) {
                            cached.updateMany(gt("paid", random.nextInt(200)), Updates.inc("bonus", 1));
                        } else {
                            int floor = acknowledged.get(user);
                            Document member = cached.find(eq("user", user)).first();
                            assertThat(member.getInteger("paid"))
                                    .as("seed %d thread %d member %d", seed, thread, user)
                                    .isGreaterThanOrEqualTo(floor)
                                    .isLessThanOrEqualTo(attempted.get(user));
                        }
                    }
                });
                for (int user = 0; user < members; user++) {
                    assertThat(cached.find(eq("user", user)).first())
                            .as("seed %d round %d member %d", seed, round, user)
                            .isEqualTo(raw.find(eq("user", user)).first());
                    assertThat(cached.find(eq("_id", user)).first())
                            .as("seed %d round %d member %d", seed, round, user)
                            .isEqualTo(raw.find(eq("_id", user)).first());
                }
            }
            System.out.println("CachedCollectionDifferentialTest.sharedPayments: " + cached.writesThrough()
                    + " written through, " + cache.stats());
            assertThat(cached.writesThrough())
                    .as("seed %d: write-through exercised", seed)
                    .isPositive();
        }
    }

    /**
     * Loads that race payments and publish themselves after judging their documents
     * (ReadIndex.Pending) must never hand out a balance older than a payment already acknowledged:
     * four threads each pay their own member by a unique field, and read any member and their
     * group's ranking; every balance read must be at least the number of payments its owner had
     * seen acknowledged before the read started.
     */
    @Test
    void concurrentPaymentsByUniqueField_noReadSeesABalanceOlderThanAnAcknowledgedPayment() throws Exception {
        long seed = MongoTestSupport.seed("CachedCollectionDifferentialTest.payments");
        int members = 8;
        try (MongoClient client = MongoTestSupport.client();
                CaffeineQueryCache cache = cache()) {
            MongoCollection<Document> raw =
                    MongoTestSupport.freshDatabase(client).getCollection("payments");
            raw.createIndex(Indexes.ascending("user"), new IndexOptions().unique(true));
            for (int user = 0; user < members; user++) {
                raw.insertOne(new Document("user", user).append("g", user % 2).append("paid", 0));
            }
            CachedCollection<Document> cached = MongoPerf.cached(raw, Duration.ofHours(1), cache);
            java.util.concurrent.atomic.AtomicIntegerArray acknowledged =
                    new java.util.concurrent.atomic.AtomicIntegerArray(members);
            java.util.concurrent.atomic.AtomicIntegerArray attempted =
                    new java.util.concurrent.atomic.AtomicIntegerArray(members);
            AtomicInteger checks = new AtomicInteger();
            Concurrently.run(4, 120, thread -> {
                SplittableRandom random = new SplittableRandom(seed + thread);
                for (int i = 0; i < 400; i++) {
                    int own = thread + 4 * random.nextInt(2); // each member has one payer
                    if (random.nextInt(3) == 0) {
                        attempted.incrementAndGet(own);
                        cached.updateOne(eq("user", own), Updates.inc("paid", 1));
                        acknowledged.incrementAndGet(own);
                        continue;
                    }
                    int[] floor = new int[members];
                    for (int user = 0; user < members; user++) {
                        floor[user] = acknowledged.get(user);
                    }
                    List<Document> read = random.nextBoolean()
                            ? List.of(cached.find(eq("user", random.nextInt(members)))
                                    .first())
                            : cached.find(eq("g", random.nextInt(2)))
                                    .sort(Sorts.descending("paid"))
                                    .limit(3)
                                    .toList();
                    for (Document member : read) {
                        int user = member.getInteger("user");
                        // Never older than a payment acknowledged before the read, never ahead of
                        // the payments started (a payment written through twice would be).
                        assertThat(member.getInteger("paid"))
                                .as("seed %d thread %d member %s", seed, thread, user)
                                .isGreaterThanOrEqualTo(floor[user])
                                .isLessThanOrEqualTo(attempted.get(user));
                        checks.incrementAndGet();
                    }
                }
            });
            assertThat(checks.get()).isPositive();
            System.out.println("CachedCollectionDifferentialTest.payments: " + checks + " reads checked, "
                    + cached.writesThrough() + " written through");
            for (int user = 0; user < members; user++) {
                assertThat(cached.find(eq("user", user)).first().getInteger("paid"))
                        .isEqualTo(acknowledged.get(user));
            }
        }
    }
}
