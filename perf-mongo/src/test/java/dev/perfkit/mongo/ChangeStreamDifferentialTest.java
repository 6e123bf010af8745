package dev.perfkit.mongo;

import static com.mongodb.client.model.Filters.eq;
import static com.mongodb.client.model.Filters.gte;
import static org.assertj.core.api.Assertions.assertThat;

import com.mongodb.MongoException;
import com.mongodb.client.MongoClient;
import com.mongodb.client.MongoCollection;
import com.mongodb.client.model.IndexOptions;
import com.mongodb.client.model.Indexes;
import com.mongodb.client.model.ReplaceOptions;
import com.mongodb.client.model.UpdateOptions;
import com.mongodb.client.model.changestream.ChangeStreamDocument;
import com.mongodb.client.model.changestream.UpdateDescription;
import dev.perfkit.Concurrently;
import dev.perfkit.cache.caffeine.CaffeineQueryCache;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicIntegerArray;
import java.util.concurrent.atomic.AtomicLong;
import org.bson.BsonDocument;
import org.bson.BsonString;
import org.bson.Document;
import org.bson.conversions.Bson;
import org.junit.jupiter.api.Test;

/**
 * Writes made around the wrapper, applied from their change events, proven against the embedded
 * MongoDB: seeded random mixes of cached reads, writes through the wrapper and writes made directly
 * to the collection; once a direct write's events are applied, every cached read must equal the
 * same read made directly.
 */
class ChangeStreamDifferentialTest {
    private static MongoCollection<Document> members(MongoClient client, SplittableRandom random) {
        MongoCollection<Document> raw = MongoTestSupport.freshDatabase(client).getCollection("members");
        raw.createIndex(Indexes.ascending("u"), new IndexOptions().unique(true).sparse(true));
        for (int id = 0; id < 40; id++) {
            raw.insertOne(CachedCollectionDifferentialTest.document(id, random));
        }
        return raw;
    }

    /** A write made directly to the collection (around the wrapper); fails at times, which is fine. */
    private static String writeAround(MongoCollection<Document> raw, SplittableRandom random, int nextId) {
        switch (random.nextInt(8)) {
            case 0 -> {
                Document document = CachedCollectionDifferentialTest.document(nextId, random);
                raw.insertOne(document);
                return "insertOne " + document;
            }
            case 1 -> {
                List<Document> documents = List.of(
                        CachedCollectionDifferentialTest.document(nextId, random),
                        CachedCollectionDifferentialTest.document(nextId + 1, random));
                raw.insertMany(documents);
                return "insertMany " + documents;
            }
            case 2 -> {
                Bson filter = CachedCollectionDifferentialTest.filter(random);
                Bson update = CachedCollectionDifferentialTest.update(random);
                return "updateOne " + filter + " " + update + " " + raw.updateOne(filter, update);
            }
            case 3 -> {
                Bson filter = CachedCollectionDifferentialTest.filter(random);
                Bson update = CachedCollectionDifferentialTest.update(random);
                UpdateOptions options = new UpdateOptions().upsert(random.nextInt(4) == 0);
                return "updateMany " + filter + " " + update + " " + options + " "
                        + raw.updateMany(filter, update, options);
            }
            case 4 -> {
                int id = random.nextInt(60);
                Document replacement = CachedCollectionDifferentialTest.document(id, random);
                ReplaceOptions options = new ReplaceOptions().upsert(random.nextBoolean());
                return "replaceOne " + id + " " + replacement + " "
                        + raw.replaceOne(eq("_id", id), replacement, options);
            }
            case 5 -> {
                Bson filter = CachedCollectionDifferentialTest.filter(random);
                return "deleteOne " + filter + " " + raw.deleteOne(filter);
            }
            case 6 -> {
                if (random.nextInt(3) == 0) {
                    Bson filter = CachedCollectionDifferentialTest.filter(random);
                    return "deleteMany " + filter + " " + raw.deleteMany(filter);
                }
                return "nothing";
            }
            default -> {
                Bson filter = eq("_id", random.nextInt(60));
                Bson update = CachedCollectionDifferentialTest.update(random);
                return "updateOne " + filter + " " + update + " " + raw.updateOne(filter, update);
            }
        }
    }

    /** A write through the wrapper. */
    private static String writeThrough(CachedCollection<Document> cached, SplittableRandom random, int nextId) {
        switch (random.nextInt(4)) {
            case 0 -> {
                Document document = CachedCollectionDifferentialTest.document(nextId, random);
                cached.insertOne(document);
                return "insertOne " + document;
            }
            case 1 -> {
                Bson filter = CachedCollectionDifferentialTest.filter(random);
                Bson update = CachedCollectionDifferentialTest.update(random);
                return "updateOne " + filter + " " + update + " " + cached.updateOne(filter, update);
            }
            case 2 -> {
                Bson filter = CachedCollectionDifferentialTest.filter(random);
                return "deleteOne " + filter + " " + cached.deleteOne(filter);
            }
            default -> {
                Bson filter = eq("_id", random.nextInt(60));
                Bson update = CachedCollectionDifferentialTest.update(random);
                return "findOneAndUpdate " + filter + " " + update + " " + cached.findOneAndUpdate(filter, update);
            }
        }
    }

    private static void remember(java.util.ArrayDeque<String> trace, String write) {
        if (trace.size() == 30) {
            trace.removeFirst();
        }
        trace.addLast(write);
    }

    /**
     * The server's own change stream (the embedded server with its oplog): its inserts name their
     * documents, its deletes and replacements their _id, its updates nothing (so they drop all).
     */
    @Test
    void writesAroundTheWrapper_fromTheServersStream_cachedReadsEqualDirectReads() {
        long seed = MongoTestSupport.seed("ChangeStreamDifferentialTest.serverStream");
        SplittableRandom random = new SplittableRandom(seed);
        try (MongoClient client = ChangeStreamInvalidatorTest.client(new AtomicInteger());
                CaffeineQueryCache cache = CachedCollectionDifferentialTest.cache()) {
            MongoCollection<Document> raw = members(client, random);
            CachedCollection<Document> cached = MongoPerf.cached(raw, Duration.ofHours(1), cache);
            List<CachedCollectionDifferentialTest.ReadSpec> specs = new ArrayList<>();
            for (int i = 0; i < 40; i++) {
                specs.add(CachedCollectionDifferentialTest.readSpec(random));
            }
            int nextId = 1_000;
            int around = 0;
            java.util.ArrayDeque<String> trace = new java.util.ArrayDeque<>(); // the last writes, printed on a failure
            try (ChangeStreamInvalidator invalidator = cached.watchChanges()) {
                for (int op = 0; op < 5_000; op++) {
                    String context = "seed " + seed + " op " + op;
                    int roll = random.nextInt(100);
                    if (roll < 70) {
                        CachedCollectionDifferentialTest.ReadSpec spec = specs.get(random.nextInt(specs.size()));
                        try {
                            CachedCollectionDifferentialTest.assertSameRead(cached, raw, spec, context);
                        } catch (AssertionError stale) {
                            System.out.println("Failed read: " + spec + "\nLast writes:\n" + String.join("\n", trace));
                            throw stale;
                        }
                        continue;
                    }
                    try {
                        if (roll < 80) {
                            remember(trace, op + " through: " + writeThrough(cached, random, nextId));
                        } else {
                            around++;
                            remember(trace, op + " around: " + writeAround(raw, random, nextId));
                        }
                    } catch (MongoException expected) {
                        // a duplicate key, an $inc on a string: fine
                        remember(trace, op + " failed: " + expected.getMessage());
                        if (roll >= 80) {
                            // The embedded server logs a multi-document update's events only once it has
                            // updated them all: one that fails part-way leaves changes without events
                            // (a real server logs each document it changed). What the test must do then:
                            long unused = cached.invalidate();
                        }
                    }
                    nextId += 2;
                    if (roll >= 80) {
                        ChangeStreamInvalidatorTest.caughtUp(invalidator);
                    }
                }
                System.out.println("ChangeStreamDifferentialTest.serverStream: " + around + " writes around, "
                        + invalidator.eventsApplied() + " events applied, " + cache.stats());
                assertThat(invalidator.eventsApplied()).isPositive();
            }
            assertThat(cache.stats().hits()).as("seed %d: reads kept", seed).isPositive();
        }
    }

    /**
     * Events as a replica set reports them (an update names its document and its changed fields),
     * built from each direct write and applied as the listener applies them: exercises the precise
     * update rules the embedded server's own events cannot reach.
     */
    @Test
    void writesAroundTheWrapper_asAReplicaSetReportsThem_cachedReadsEqualDirectReads() {
        long seed = MongoTestSupport.seed("ChangeStreamDifferentialTest.replicaSetEvents");
        SplittableRandom random = new SplittableRandom(seed);
        try (MongoClient client = MongoTestSupport.client();
                CaffeineQueryCache cache = CachedCollectionDifferentialTest.cache()) {
            MongoCollection<Document> raw = members(client, random);
            CachedCollection<Document> cached = MongoPerf.cached(raw, Duration.ofHours(1), cache);
            List<CachedCollectionDifferentialTest.ReadSpec> specs = new ArrayList<>();
            for (int i = 0; i < 40; i++) {
                specs.add(CachedCollectionDifferentialTest.readSpec(random));
            }
            int nextId = 1_000;
            int events = 0;
            for (int op = 0; op < 20_000; op++) {
                String context = "seed " + seed + " op " + op;
                if (random.nextInt(100) < 65) {
                    CachedCollectionDifferentialTest.assertSameRead(
                            cached, raw, specs.get(random.nextInt(specs.size())), context);
                    continue;
                }
                try {
                    events += writeAroundAndReport(raw, cached, random, nextId);
                } catch (MongoException expected) {
                    // a duplicate key, an $inc on a string: fine (no event)
                }
                nextId++;
            }
            System.out.println(
                    "ChangeStreamDifferentialTest.replicaSetEvents: " + events + " events, " + cache.stats());
            assertThat(cache.stats().hits())
                    .as("seed %d: reads kept across writes around", seed)
                    .isGreaterThan(1_000);
        }
    }

    /** One write by _id made directly, then its event (if it changed anything) applied. */
    private static int writeAroundAndReport(
            MongoCollection<Document> raw, CachedCollection<Document> cached, SplittableRandom random, int nextId) {
        int id = random.nextInt(4) == 0 ? nextId : random.nextInt(60);
        Document before = raw.find(eq("_id", id)).first();
        Bson filter = eq("_id", id);
        switch (random.nextInt(4)) {
            case 0 -> {
                if (before != null) {
                    return 0;
                }
                Document inserted = CachedCollectionDifferentialTest.document(id, random);
                raw.insertOne(inserted);
                report(cached, "insert", id, inserted, null);
            }
            case 1 -> {
                if (raw.deleteOne(filter).getDeletedCount() == 0) {
                    return 0;
                }
                report(cached, "delete", id, null, null);
            }
            case 2 -> {
                if (before == null) {
                    return 0;
                }
                raw.replaceOne(filter, CachedCollectionDifferentialTest.document(id, random));
                report(cached, "replace", id, null, null);
            }
            default -> {
                if (raw.updateOne(filter, CachedCollectionDifferentialTest.update(random))
                                .getModifiedCount()
                        == 0) {
                    return 0; // a server reports no event for an update that changed nothing
                }
                report(
                        cached,
                        "update",
                        id,
                        null,
                        describe(before, raw.find(filter).first()));
            }
        }
        return 1;
    }

    /** The update description a replica set would give for a document changed from {@code before} to {@code after}. */
    private static UpdateDescription describe(Document before, Document after) {
        BsonDocument updated = new BsonDocument();
        BsonDocument afterBson = after.toBsonDocument();
        for (String field : after.keySet()) {
            if (!before.containsKey(field) || !java.util.Objects.equals(before.get(field), after.get(field))) {
                updated.put(field, afterBson.get(field));
            }
        }
        List<String> removed = new ArrayList<>();
        for (String field : before.keySet()) {
            if (!after.containsKey(field)) {
                removed.add(field);
            }
        }
        return new UpdateDescription(removed, updated);
    }

    private static void report(
            CachedCollection<Document> cached, String type, int id, Document full, UpdateDescription description) {
        ChangeStreamDocument<Document> event = event(type, new Document("_id", id).toBsonDocument(), full, description);
        ChangeStreamInvalidator.Change change = ChangeStreamInvalidator.translate(
                event, key -> new Document("_id", key.get("_id").asNumber().intValue()));
        cached.changedElsewhere(change.effect(), change.touched());
    }

    static ChangeStreamDocument<Document> event(
            String type, BsonDocument documentKey, Document full, UpdateDescription description) {
        return new ChangeStreamDocument<>(
                type,
                new BsonDocument("_data", new BsonString("0")),
                null,
                null,
                null,
                full,
                null,
                documentKey,
                null,
                description,
                null,
                null,
                null,
                null,
                null);
    }

    /**
     * Several readers and a writer around the wrapper: once a write's events are applied, a read
     * that starts after never sees data from before it.
     */
    @Test
    void concurrentReaders_neverSeeAWriteAroundUndoneAfterItsEventApplied() throws Exception {
        long seed = MongoTestSupport.seed("ChangeStreamDifferentialTest.concurrent");
        try (MongoClient client = ChangeStreamInvalidatorTest.client(new AtomicInteger());
                CaffeineQueryCache cache = CachedCollectionDifferentialTest.cache()) {
            MongoCollection<Document> raw =
                    MongoTestSupport.freshDatabase(client).getCollection("counters");
            for (int id = 0; id < 4; id++) {
                raw.insertOne(new Document("_id", id).append("v", 0));
            }
            CachedCollection<Document> cached = MongoPerf.cached(raw, Duration.ofHours(1), cache);
            AtomicLong applied = new AtomicLong(); // the last version whose events were applied
            AtomicIntegerArray appliedOf = new AtomicIntegerArray(4); // per counter, likewise
            AtomicInteger checks = new AtomicInteger();
            try (ChangeStreamInvalidator invalidator = cached.watchChanges()) {
                Concurrently.run(4, 120, thread -> {
                    SplittableRandom random = new SplittableRandom(seed + thread);
                    if (thread == 0) {
                        for (int version = 1; version <= 200; version++) {
                            int id = random.nextInt(4);
                            // Replacements are reported by _id: the precise path, racing the readers' loads.
                            raw.replaceOne(eq("_id", id), new Document("v", version));
                            if (random.nextInt(5) == 0) {
                                raw.insertOne(new Document("_id", 100 + version).append("v", version));
                            }
                            ChangeStreamInvalidatorTest.caughtUp(invalidator);
                            appliedOf.set(id, version);
                            applied.set(version);
                        }
                        return;
                    }
                    while (applied.get() < 200) {
                        long floor = applied.get();
                        int newest = 0;
                        for (Document counter : cached.find(gte("v", 0)).toList()) {
                            newest = Math.max(newest, counter.getInteger("v"));
                        }
                        assertThat((long) newest)
                                .as("seed %d thread %d", seed, thread)
                                .isGreaterThanOrEqualTo(floor);
                        int id = random.nextInt(4);
                        int floorOf = appliedOf.get(id);
                        Document own = cached.find(eq("_id", id)).first();
                        assertThat(own.getInteger("v"))
                                .as("seed %d thread %d counter %d", seed, thread, id)
                                .isGreaterThanOrEqualTo(floorOf);
                        checks.incrementAndGet();
                    }
                });
            }
            assertThat(checks.get()).isPositive();
            assertThat(raw.countDocuments(gte("v", 0))).isGreaterThanOrEqualTo(4);
        }
    }
}
