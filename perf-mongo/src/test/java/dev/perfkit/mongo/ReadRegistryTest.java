package dev.perfkit.mongo;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.Date;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.bson.Document;
import org.bson.types.Decimal128;
import org.bson.types.ObjectId;
import org.junit.jupiter.api.Test;

/**
 * The index that narrows a write down to the reads it must judge ({@link ReadRegistry}): it may list
 * more reads than a write affects, never fewer. Seeded random reads and writes over values that
 * test its reasoning (ints and longs that are equal, doubles and decimals it does not key, arrays,
 * embedded documents, nulls, missing fields, projections, skips, sorts); rerun one with {@code
 * -Dperfkit.seed=N}.
 */
class ReadRegistryTest {
    private static final long HOUR = TimeUnit.HOURS.toNanos(1);
    private static final List<String> FIELDS = List.of("_id", "user", "guild", "tags", "score");
    private static final List<ObjectId> OBJECT_IDS = List.of(new ObjectId(), new ObjectId(), new ObjectId());

    @Test
    void everyReadAWriteAffectsIsListed() {
        long seed = MongoTestSupport.seed("ReadRegistryTest.everyReadAWriteAffectsIsListed");
        SplittableRandom random = new SplittableRandom(seed);
        ReadRegistry registry = new ReadRegistry();
        long judged = 0;
        long listedTotal = 0;
        long affected = 0;
        int served = 0;
        for (int step = 0; step < 4_000; step++) {
            // Reads come and go between the writes, so fields start being watched while reads exist.
            for (int i = 0; i < 3; i++) {
                String key = "read:" + random.nextInt(300);
                if (random.nextInt(6) == 0) {
                    ReadIndex.ReadInfo current = registry.get(key);
                    if (current != null) {
                        registry.unregister(key, current);
                    }
                } else if (random.nextInt(6) == 0 && registry.get(key) != null) {
                    ReadIndex.ReadInfo current = registry.get(key);
                    if (current.kind() == ReadIndex.Kind.FIND && current.documents() != null) {
                        assertThat(registry.replace(key, current, current.withDocuments(documents(random))))
                                .isTrue();
                    }
                } else {
                    registry.register(key, read(random));
                }
            }
            ReadIndex.Effect effect = write(random);
            List<Map.Entry<String, ReadIndex.ReadInfo>> candidates = registry.candidates(List.of(effect));
            boolean serves = effect.kind() == ReadIndex.EffectKind.INSERT
                    || (effect.filter() != null
                            && (effect.kind() == ReadIndex.EffectKind.DELETE
                                    || (effect.kind() == ReadIndex.EffectKind.UPDATE && effect.touched() != null)));
            if (candidates == null) {
                continue; // every read is judged: nothing to prove
            }
            assertThat(serves)
                    .as("seed %d step %d: only inserts, updates and deletes are served", seed, step)
                    .isTrue();
            served++;
            listedTotal += candidates.size();
            judged += registry.size();
            Document target = documents(random).stream().findFirst().orElse(null);
            affected += assertListsEveryAffectedRead(
                    registry, effect, candidates, target, "seed " + seed + " step " + step);
        }
        System.out.printf(
                "  %d writes served by the index: %d reads registered, %d listed, %d affected%n",
                served, judged, listedTotal, affected);
        assertThat(served).as("the index served most writes").isGreaterThan(1_000);
        assertThat(affected).as("the writes affected reads").isGreaterThan(1_000);
        assertThat(listedTotal).as("the index leaves reads out").isLessThan(judged * 9 / 10);
    }

    @Test
    void knownTargetIsTheSameWithTheIndexAsWithoutIt() {
        long seed = MongoTestSupport.seed("ReadRegistryTest.knownTargetIsTheSameWithTheIndexAsWithoutIt");
        SplittableRandom random = new SplittableRandom(seed);
        ReadIndex indexed = new ReadIndex();
        ReadIndex scanned = new ReadIndex();
        for (String field : FIELDS) { // a write pinning each field makes the first index watch it
            Object unused = indexed.reads.candidates(List.of(ReadIndex.Effect.delete(new Document(field, 1))));
        }
        Set<String> unique = new HashSet<>(FIELDS);
        long now = System.nanoTime();
        int found = 0;
        for (int round = 0; round < 200; round++) {
            for (int i = 0; i < 20; i++) {
                String key = "read:" + random.nextInt(100);
                ReadIndex.ReadInfo read = read(random);
                indexed.reads.register(key, read);
                scanned.reads.register(key, read);
            }
            for (int i = 0; i < 20; i++) {
                String field = FIELDS.get(random.nextInt(FIELDS.size()));
                Document filter = new Document(field, scalar(random));
                Document viaIndex = indexed.knownTarget(filter, unique, now, (key, read) -> true);
                Document viaScan = scanned.knownTarget(filter, unique, now, (key, read) -> true);
                assertThat(viaIndex)
                        .as("seed %d: knownTarget(%s)", seed, filter)
                        .isEqualTo(viaScan);
                if (viaScan != null) {
                    found++;
                }
            }
        }
        assertThat(found).as("some lookups found their document").isGreaterThan(50);
    }

    @Test
    void theIndexEmptiesWithItsReads() {
        ReadRegistry registry = new ReadRegistry();
        SplittableRandom random = new SplittableRandom(7);
        Object unused = registry.candidates(List.of(ReadIndex.Effect.delete(new Document("user", 1))));
        for (int i = 0; i < 500; i++) {
            registry.register("read:" + (i % 50), read(random)); // replaced ones leave the index too
        }
        assertThat(registry.bucketCount()).isPositive();

        registry.clear();

        assertThat(registry.size()).isZero();
        assertThat(registry.bucketCount()).as("buckets left behind").isZero();
    }

    @Test
    void removeExpiredRemovesOnlyExpiredReadsAndTheirBuckets() {
        ReadRegistry registry = new ReadRegistry();
        for (int i = 0; i < 50; i++) {
            List<Document> held = List.of(new Document("_id", i).append("user", i));
            registry.register("expired:" + i, ReadIndex.find(new Document("user", i), null, null, 0, 0, held, 0));
            registry.register("live:" + i, ReadIndex.find(new Document("user", i), null, null, 0, 0, held, HOUR));
        }
        int bucketsWithBoth = registry.bucketCount();

        assertThat(registry.removeExpired(System.nanoTime())).isEqualTo(50);

        assertThat(registry.size()).isEqualTo(50);
        assertThat(registry.all())
                .allSatisfy(entry -> assertThat(entry.getKey()).startsWith("live:"));
        assertThat(registry.bucketCount()).as("the live reads' buckets stay").isEqualTo(bucketsWithBoth);
        registry.clear();
        assertThat(registry.bucketCount()).isZero();
    }

    /**
     * Registrations, replacements and removals racing the first writes that pin new fields (which
     * index every registered read under the write lock): afterwards, every read a write affects is
     * still listed, and removing every read leaves no bucket behind.
     */
    @Test
    void registrationsRacingNewWatchedFieldsLoseNoRead() throws Exception {
        long seed = MongoTestSupport.seed("ReadRegistryTest.registrationsRacingNewWatchedFieldsLoseNoRead");
        for (int round = 0; round < 20; round++) {
            ReadRegistry registry = new ReadRegistry();
            ExecutorService threads = Executors.newFixedThreadPool(4);
            CountDownLatch start = new CountDownLatch(1);
            List<Future<?>> work = new ArrayList<>();
            for (int t = 0; t < 3; t++) {
                SplittableRandom random = new SplittableRandom(seed + round * 10L + t);
                work.add(threads.submit(() -> {
                    start.await();
                    for (int i = 0; i < 400; i++) {
                        String key = "read:" + random.nextInt(60);
                        ReadIndex.ReadInfo current = registry.get(key);
                        if (current != null && random.nextInt(4) == 0) {
                            registry.unregister(key, current);
                        } else if (current != null
                                && current.kind() == ReadIndex.Kind.FIND
                                && current.documents() != null
                                && random.nextInt(3) == 0) {
                            // as a write-through does; false when another thread changed the key first
                            registry.replace(key, current, current.withDocuments(documents(random)));
                        } else {
                            registry.register(key, read(random));
                        }
                    }
                    return null;
                }));
            }
            work.add(threads.submit(() -> {
                start.await();
                for (String field : FIELDS) {
                    Object unused = registry.candidates(List.of(ReadIndex.Effect.delete(new Document(field, 2))));
                }
                return null;
            }));
            start.countDown();
            for (Future<?> future : work) {
                future.get(30, TimeUnit.SECONDS);
            }
            threads.shutdown();

            SplittableRandom random = new SplittableRandom(seed + round);
            for (int i = 0; i < 200; i++) {
                ReadIndex.Effect effect = write(random);
                List<Map.Entry<String, ReadIndex.ReadInfo>> candidates = registry.candidates(List.of(effect));
                if (candidates == null) {
                    continue;
                }
                assertListsEveryAffectedRead(registry, effect, candidates, null, "seed " + seed + " round " + round);
            }
            registry.clear();
            assertThat(registry.bucketCount())
                    .as("seed %d round %d: buckets left", seed, round)
                    .isZero();
        }
    }

    /** Checks that every read the rules find the write affects is listed; returns how many were. */
    private static int assertListsEveryAffectedRead(
            ReadRegistry registry,
            ReadIndex.Effect effect,
            List<Map.Entry<String, ReadIndex.ReadInfo>> candidates,
            Document target,
            String context) {
        Set<ReadIndex.ReadInfo> listed = identitySet();
        candidates.forEach(entry -> listed.add(entry.getValue()));
        int affected = 0;
        for (Map.Entry<String, ReadIndex.ReadInfo> entry : registry.all()) {
            if (ReadIndex.affects(effect, entry.getValue(), () -> target)) {
                affected++;
                assertThat(listed)
                        .as("%s: %s affects %s, which the index did not list", context, effect, entry)
                        .contains(entry.getValue());
            }
        }
        return affected;
    }

    // ---- random reads and writes

    private static Set<ReadIndex.ReadInfo> identitySet() {
        return java.util.Collections.newSetFromMap(new java.util.IdentityHashMap<>());
    }

    private static ReadIndex.ReadInfo read(SplittableRandom random) {
        Document filter = filter(random);
        return switch (random.nextInt(10)) {
            case 0 -> ReadIndex.count(filter, HOUR);
            case 1 -> ReadIndex.distinct(FIELDS.get(random.nextInt(FIELDS.size())), filter, HOUR);
            case 2 -> ReadIndex.aggregate(HOUR);
            case 3 -> ReadIndex.find(new Document("$where", "true"), null, null, 0, 0, documents(random), HOUR);
            default ->
                ReadIndex.find(
                        filter,
                        random.nextInt(3) == 0 ? new Document(FIELDS.get(random.nextInt(FIELDS.size())), -1) : null,
                        random.nextInt(5) == 0 ? new Document("score", 1) : null,
                        random.nextInt(6) == 0 ? 1 : 0,
                        random.nextInt(3) == 0 ? 2 : 0,
                        documents(random),
                        HOUR);
        };
    }

    private static Document filter(SplittableRandom random) {
        Document filter = new Document();
        int clauses = random.nextInt(3);
        for (int i = 0; i < clauses; i++) {
            String field = FIELDS.get(random.nextInt(FIELDS.size()));
            filter.put(field, random.nextBoolean() ? value(random) : new Document("$gte", random.nextInt(4)));
        }
        return filter;
    }

    private static List<Document> documents(SplittableRandom random) {
        List<Document> documents = new ArrayList<>();
        int count = random.nextInt(4);
        for (int i = 0; i < count; i++) {
            Document document = new Document();
            for (String field : FIELDS) {
                if (random.nextInt(4) != 0) {
                    document.put(field, value(random));
                }
            }
            documents.add(document);
        }
        return documents;
    }

    private static ReadIndex.Effect write(SplittableRandom random) {
        Map<String, Object> clauses = new HashMap<>();
        String pinned = FIELDS.get(random.nextInt(FIELDS.size()));
        Object value = random.nextInt(8) == 0 ? value(random) : scalar(random);
        clauses.put(pinned, random.nextInt(4) == 0 ? new Document("$eq", value) : value);
        if (random.nextInt(3) == 0) {
            clauses.put(FIELDS.get(random.nextInt(FIELDS.size())), new Document("$lt", random.nextInt(5)));
        }
        Document filter = new Document(clauses);
        return switch (random.nextInt(8)) {
            case 0 -> ReadIndex.Effect.delete(filter);
            case 1 -> ReadIndex.Effect.update(filter, null); // a replacement: not served
            case 2, 3 -> ReadIndex.Effect.insert(documents(random));
            default -> {
                Set<String> touched = new HashSet<>();
                int fields = 1 + random.nextInt(2);
                for (int i = 0; i < fields; i++) {
                    touched.add(FIELDS.get(random.nextInt(FIELDS.size())));
                }
                yield ReadIndex.Effect.update(filter, touched);
            }
        };
    }

    /** A value the index keys: ints and longs that may be equal, strings, ObjectIds, booleans. */
    private static Object scalar(SplittableRandom random) {
        return switch (random.nextInt(5)) {
            case 0 -> random.nextInt(3);
            case 1 -> (long) random.nextInt(3);
            case 2 -> random.nextBoolean() ? "a" : "b";
            case 3 -> OBJECT_IDS.get(random.nextInt(OBJECT_IDS.size()));
            default -> random.nextBoolean();
        };
    }

    /** Any value: also those the index does not key. */
    private static Object value(SplittableRandom random) {
        return switch (random.nextInt(12)) {
            case 0 -> (double) random.nextInt(3); // equal to an int for the server
            case 1 -> random.nextInt(3) + 0.5;
            case 2 -> new Decimal128(random.nextInt(3));
            case 3 -> List.of(scalar(random), scalar(random));
            case 4 -> new Document("x", scalar(random));
            case 5 -> null;
            case 6 -> new Date(random.nextInt(3));
            default -> scalar(random);
        };
    }
}
