package dev.perfkit.mongo;

import static com.mongodb.client.model.Filters.eq;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.mongodb.client.MongoClient;
import com.mongodb.client.MongoCollection;
import com.mongodb.client.model.Sorts;
import dev.perfkit.cache.caffeine.CaffeineQueryCache;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Date;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Pattern;
import org.bson.Document;
import org.bson.conversions.Bson;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The structural key that lets a repeated read skip the optimizer and serialization: every way two
 * reads can look alike but differ must still give each its own, correct result.
 */
class ReadKeyTest {
    private final AtomicInteger finds = new AtomicInteger();
    private final CaffeineQueryCache cache = MongoTestSupport.cache("read-key-test");
    private MongoClient client;
    private MongoCollection<Document> raw;
    private CachedCollection<Document> cached;

    @BeforeEach
    void connect() {
        client = MongoTestSupport.countingClient(finds, "find");
        raw = MongoTestSupport.freshDatabase(client).getCollection("items");
        raw.insertOne(new Document("_id", 1)
                .append("n", 1)
                .append("sub", new Document("x", 1).append("y", 2))
                .append("created", new Date(1_000)));
        raw.insertOne(new Document("_id", 2).append("n", 2).append("sub", new Document("y", 2).append("x", 1)));
        raw.insertOne(new Document("_id", 3).append("n", 2).append("name", "b"));
        raw.insertOne(new Document("_id", 4).append("n", 1).append("name", "a"));
        cached = MongoPerf.cached(raw, Duration.ofMinutes(5), cache);
        finds.set(0);
    }

    @AfterEach
    void disconnect() {
        client.close();
        cache.close();
    }

    private List<Document> direct(Document filter, Document sort) {
        return raw.find(filter).sort(sort).into(new ArrayList<>());
    }

    @Test
    void repeatedReadIsAHitWhetherTheFilterIsADocumentOrADriverFilter() {
        assertThat(cached.find(new Document("n", 1)).toList()).hasSize(2);
        assertThat(cached.find(new Document("n", 1)).toList()).hasSize(2);
        assertThat(cached.find(eq("n", 2)).toList()).hasSize(2);
        assertThat(cached.find(eq("n", 2)).toList()).hasSize(2);

        assertThat(finds).hasValue(2);
    }

    @Test
    void aFilterChangedByItsCallerAfterAReadIsReadAfresh() {
        Document filter = new Document("n", 1);
        assertThat(cached.find(filter).toList()).extracting(d -> d.get("_id")).containsExactlyInAnyOrder(1, 4);

        filter.put("n", 2); // the caller reuses their Document
        assertThat(cached.find(filter).toList()).extracting(d -> d.get("_id")).containsExactlyInAnyOrder(2, 3);

        filter.put("n", 1);
        assertThat(cached.find(filter).toList()).extracting(d -> d.get("_id")).containsExactlyInAnyOrder(1, 4);
        assertThat(finds).hasValue(2);
    }

    @Test
    void embeddedDocumentsInADifferentFieldOrderAreDifferentReads() {
        Document xy = new Document("sub", new Document("x", 1).append("y", 2));
        Document yx = new Document("sub", new Document("y", 2).append("x", 1));

        assertThat(cached.find(xy).toList()).isEqualTo(direct(xy, new Document()));
        assertThat(cached.find(yx).toList()).isEqualTo(direct(yx, new Document()));
        assertThat(cached.find(yx).toList()).extracting(d -> d.get("_id")).containsExactly(2);
    }

    @Test
    void sortsInADifferentFieldOrderAreDifferentReads() {
        Document all = new Document();
        Document nThenName = new Document("n", 1).append("name", -1);
        Document nameThenN = new Document("name", -1).append("n", 1);

        assertThat(cached.find(all).sort(nThenName).toList()).isEqualTo(direct(all, nThenName));
        assertThat(cached.find(all).sort(nameThenN).toList()).isEqualTo(direct(all, nameThenN));
        assertThat(cached.find(all).sort(Sorts.descending("_id")).toList())
                .extracting(d -> d.get("_id"))
                .containsExactly(4, 3, 2, 1);
    }

    @Test
    void intAndLongLiteralsAreKeyedApartAndBothCorrect() {
        assertThat(cached.find(new Document("n", 1)).toList()).hasSize(2);
        assertThat(cached.find(new Document("n", 1L)).toList()).hasSize(2);
        assertThat(cached.find(new Document("n", 2L)).toList()).hasSize(2);
    }

    @Test
    void valuesTheKeyDoesNotKnowStillGiveCorrectResults() {
        Document regex = new Document("name", Pattern.compile("^a"));
        assertThat(cached.find(regex).toList()).extracting(d -> d.get("_id")).containsExactly(4);
        assertThat(cached.find(new Document("name", Pattern.compile("^b"))).toList())
                .extracting(d -> d.get("_id"))
                .containsExactly(3);
        Date when = new Date(0);
        Document before = new Document("created", new Document("$lt", when));
        assertThat(cached.find(before).toList()).isEmpty();
        when.setTime(Long.MAX_VALUE / 2); // the caller changes the Date they passed
        assertThat(cached.find(before).toList()).extracting(d -> d.get("_id")).containsExactly(1);
    }

    @Test
    void aFilterTooDeepIsStillRefusedWithAClearMessage() {
        Document deep = new Document("n", 1);
        for (int i = 0; i < 150; i++) {
            deep = new Document("$and", List.of(deep));
        }
        Document filter = deep;

        assertThatThrownBy(() -> cached.find(filter).toList())
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("deeper than 100");
        assertThatThrownBy(() -> cached.countDocuments(filter)).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void countAndDistinctWithTheSameFilterAreSeparateEntries() {
        Document filter = new Document("n", 2);
        assertThat(cached.countDocuments(filter)).isEqualTo(2);
        assertThat(cached.find(filter).toList()).hasSize(2);
        assertThat(cached.distinct("_id", filter, Integer.class)).containsExactlyInAnyOrder(2, 3);
        assertThat(cached.distinct("name", filter, String.class)).containsExactly("b");
        assertThat(cached.countDocuments(filter)).isEqualTo(2);
    }

    @Test
    void readsDifferingInSmallNumbersDoNotCollideSystematically() {
        // A linear hash (31 * h + x) makes {guild: g, user: u} and {guild: g + 1, user: u - 961}
        // collide exactly, about 4,000 times on this grid, and each collision costs a deep comparison.
        Set<Integer> hashes = new HashSet<>();
        int reads = 0;
        for (int guild = 0; guild < 64; guild++) {
            for (int user = 0; user < 1_024; user++) {
                ReadKey key = ReadKey.probe(
                        ReadKey.Kind.FIND,
                        null,
                        null,
                        new Document("guild", guild).append("user", user),
                        null,
                        null,
                        0,
                        0);
                hashes.add(key.hashCode());
                reads++;
            }
        }

        assertThat(reads - hashes.size()).as("exact hash collisions").isLessThanOrEqualTo(3);
    }

    @Test
    void readsDifferingOnlyInWhichOptionIsSetDoNotCollide() {
        // Only the options a read sets are hashed; without a salt per option, skip 5 and limit 5
        // (or a projection and a sort of the same fields) would hash alike on every such pair.
        Bson filter = eq("user_id", 7);
        Set<Integer> hashes = new HashSet<>();
        int reads = 0;
        for (int skip = 0; skip < 64; skip++) {
            for (int limit = 0; limit < 64; limit++) {
                hashes.add(ReadKey.probe(ReadKey.Kind.FIND, null, null, filter, null, null, skip, limit)
                        .hashCode());
                reads++;
            }
        }
        Document fields = new Document("balance", 1);
        hashes.add(ReadKey.probe(ReadKey.Kind.FIND, null, null, filter, fields, null, 0, 0)
                .hashCode());
        hashes.add(ReadKey.probe(ReadKey.Kind.FIND, null, null, filter, null, fields, 0, 0)
                .hashCode());
        reads += 2;

        assertThat(reads - hashes.size()).as("exact hash collisions").isLessThanOrEqualTo(3);
    }

    @Test
    void equalStructuresAreEqualKeysAndAnyDifferenceIsNot() {
        ReadKey document = probe(new Document("user_id", 7).append("tags", List.of("a", 1L)));
        ReadKey same = probe(new Document("user_id", 7).append("tags", List.of("a", 1L)));
        ReadKey frozen = same.frozen();

        assertThat(document).isEqualTo(same).isEqualTo(frozen).hasSameHashCodeAs(frozen);
        assertThat(document)
                .isNotEqualTo(probe(new Document("user_id", 7L).append("tags", List.of("a", 1L))))
                .isNotEqualTo(probe(new Document("user_id", 7).append("tags", List.of("a", 1))))
                .isNotEqualTo(probe(new Document("tags", List.of("a", 1L)).append("user_id", 7)))
                .isNotEqualTo(probe(new org.bson.BsonDocument("user_id", new org.bson.BsonInt32(7))
                        .append(
                                "tags",
                                new org.bson.BsonArray(
                                        List.of(new org.bson.BsonString("a"), new org.bson.BsonInt64(1))))));
        assertThat(probe(eq("user_id", 7))).isEqualTo(probe(eq("user_id", 7))).isNotEqualTo(probe(eq("user_id", 8)));
    }

    @Test
    void aWrapperRemembersAsManyReadStructuresAsItsCacheHoldsEntries() {
        int reads = 17_000; // more than the fixed 16,384 it once had
        try (CaffeineQueryCache big = CaffeineQueryCache.builder()
                .name("read-key-big")
                .maxSize(50_000)
                .executor(Runnable::run)
                .meterRegistry(new io.micrometer.core.instrument.simple.SimpleMeterRegistry())
                .pressureRegistry(dev.perfkit.memory.MemoryPressureRegistry.create())
                .build()) {
            CachedCollection<Document> wide = MongoPerf.cached(raw, Duration.ofMinutes(5), big);
            for (int i = 0; i < reads; i++) {
                assertThat(wide.countDocuments(new Document("n", i))).isEqualTo(i == 1 || i == 2 ? 2 : 0);
            }

            assertThat(wide.resolvedReads()).isEqualTo(reads);
            assertThat(cached.resolvedReads()).isZero();
        }
    }

    @Test
    void aDriverEqualityIsKeyedByItsFieldAndValueWithoutRendering() {
        assertThat(ReadKey.Equality.DRIVER_EQ)
                .as("this driver's Filters.eq class is readable; if a driver upgrade changes it, every"
                        + " Filters.eq hit renders its filter again (slower, still correct)")
                .isNotNull();
        assertThat(probe(eq("n", 1)))
                .isEqualTo(probe(eq("n", 1)))
                .isEqualTo(probe(eq("n", 1)).frozen());
        assertThat(probe(eq("n", 1)).hashCode()).isEqualTo(probe(eq("n", 1)).hashCode());
        assertThat(probe(eq("n", 1)))
                .as("int and long")
                .isNotEqualTo(probe(eq("n", 1L)))
                .as("another value")
                .isNotEqualTo(probe(eq("n", 2)))
                .as("another field")
                .isNotEqualTo(probe(eq("m", 1)))
                .as("a string")
                .isNotEqualTo(probe(eq("n", "1")))
                .as("the same filter as a Document, a structure of two fields")
                .isNotEqualTo(probe(new Document("n", 1).append("m", 1)));
        assertThat(probe(new Document("n", 1)))
                .as("the same filter as a one-field Document: the same equality")
                .isEqualTo(probe(eq("n", 1)))
                .isNotEqualTo(probe(new Document("n", 1L)));
        assertThat(probe(eq("created", new Date(1_000))))
                .as("a mutable value is rendered, and its structure is a copy")
                .isEqualTo(probe(eq("created", new Date(1_000))));
    }

    @Test
    void driverEqualitiesOfEveryKindGiveTheServersResults() {
        assertThat(cached.find(eq("n", 1)).toList()).isEqualTo(direct(new Document("n", 1), new Document()));
        assertThat(cached.find(eq("n", 1L)).toList()).isEqualTo(direct(new Document("n", 1L), new Document()));
        assertThat(cached.find(eq("name", "a")).toList())
                .extracting(d -> d.get("_id"))
                .containsExactly(4);
        assertThat(cached.find(eq("name", null)).toList())
                .extracting(d -> d.get("_id"))
                .containsExactlyInAnyOrder(1, 2);
        assertThat(cached.find(eq("created", new Date(1_000))).toList())
                .extracting(d -> d.get("_id"))
                .containsExactly(1);
        assertThat(cached.find(eq(3)).first()).extracting(d -> d.get("name")).isEqualTo("b");
        int loaded = finds.get();

        assertThat(cached.find(eq("n", 1)).toList()).hasSize(2);
        assertThat(cached.find(eq("name", "a")).toList()).hasSize(1);
        assertThat(cached.find(eq(3)).first()).isNotNull();
        assertThat(finds).as("repeated equalities are hits").hasValue(loaded);
    }

    private static ReadKey probe(org.bson.conversions.Bson filter) {
        return ReadKey.probe(ReadKey.Kind.FIND, null, null, filter, null, null, 0, 0);
    }
}
