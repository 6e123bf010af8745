package dev.perfkit.mongo;

import static com.mongodb.client.model.Filters.eq;
import static com.mongodb.client.model.Filters.gte;
import static org.assertj.core.api.Assertions.assertThat;

import com.mongodb.client.MongoClient;
import com.mongodb.client.MongoCollection;
import com.mongodb.client.model.IndexOptions;
import com.mongodb.client.model.Projections;
import com.mongodb.client.model.Updates;
import dev.perfkit.cache.caffeine.CaffeineQueryCache;
import java.math.BigDecimal;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.bson.Document;
import org.bson.conversions.Bson;
import org.bson.types.Decimal128;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Write-through: a cached read of the one document a pure {@code $inc} by a unique value changed
 * is brought up to date instead of dropped, only where the result is certain, and always equal to
 * what the server then holds.
 */
class WriteThroughTest {
    private final AtomicInteger finds = new AtomicInteger();
    /** Run once, on the thread of the next update, between the server's reply and the write's return. */
    private final AtomicReference<Runnable> afterUpdateReply = new AtomicReference<>();

    private final CaffeineQueryCache cache = MongoTestSupport.cache("write-through-test");
    private MongoClient client;
    private MongoCollection<Document> raw;
    private CachedCollection<Document> accounts;

    @BeforeEach
    void connect() {
        client = MongoTestSupport.hookedClient(finds, () -> "update", afterUpdateReply);
        raw = MongoTestSupport.freshDatabase(client).getCollection("accounts");
        Object unused = raw.createIndex(new Document("user_id", 1), new IndexOptions().unique(true));
        for (int user = 1; user <= 4; user++) {
            raw.insertOne(new Document("_id", user)
                    .append("user_id", user)
                    .append("guild", user <= 2 ? 7 : 8)
                    .append("balance", new Decimal128(new BigDecimal(user * 100 + ".50")))
                    .append("xp", user)
                    .append("games", (long) user)
                    .append("ratio", user / 4.0)
                    .append("name", "user" + user));
        }
        accounts = MongoPerf.cached(raw, Duration.ofMinutes(5), cache);
    }

    @AfterEach
    void disconnect() {
        client.close();
        cache.close();
    }

    private Document cachedAccount(int user) {
        return accounts.find(eq("user_id", user)).first();
    }

    private Document serverAccount(int user) {
        return raw.find(eq("user_id", user)).first();
    }

    @Test
    void pureIncrementsByUniqueValue_keepTheReadCached_andEqualTheServer() {
        for (Bson increment : List.<Bson>of(
                Updates.inc("balance", new Decimal128(new BigDecimal("-20.25"))),
                Updates.inc("xp", 7),
                Updates.inc("games", 3L),
                Updates.inc("ratio", 0.125),
                Updates.combine(Updates.inc("xp", 1), Updates.inc("balance", new Decimal128(BigDecimal.ONE))))) {
            assertThat(cachedAccount(1)).isNotNull();
            int loads = finds.get();
            long through = accounts.writesThrough();
            accounts.updateOne(eq("user_id", 1), increment);
            assertThat(cachedAccount(1)).as("%s", increment).isEqualTo(serverAccount(1));
            assertThat(accounts.writesThrough()).as("%s", increment).isEqualTo(through + 1);
            assertThat(finds.get() - loads)
                    .as("%s: only the direct read went to the server", increment)
                    .isEqualTo(1);
        }
        // The result is as shared and read-only as a loaded one.
        assertThat(cachedAccount(1)).isInstanceOf(ReadOnlyDocument.class);
        // By _id too, and in a bulk write (a transfer), each operation its own document.
        accounts.find(eq("_id", 2)).first();
        assertThat(cachedAccount(3)).isNotNull();
        accounts.bulkWrite(List.of(
                new com.mongodb.client.model.UpdateOneModel<>(eq("_id", 2), Updates.inc("xp", -1)),
                new com.mongodb.client.model.UpdateOneModel<>(eq("user_id", 3), Updates.inc("xp", 1))));
        assertThat(accounts.find(eq("_id", 2)).first())
                .isEqualTo(raw.find(eq("_id", 2)).first());
        assertThat(cachedAccount(3)).isEqualTo(serverAccount(3));
    }

    @Test
    void uncertainResults_dropTheReadInstead() {
        List<Runnable> uncertain = List.of(
                // int overflow: MongoDB would widen to a long
                () -> {
                    raw.updateOne(eq("user_id", 1), Updates.set("xp", Integer.MAX_VALUE));
                    accounts.invalidate();
                    cachedAccount(1);
                    accounts.updateOne(eq("user_id", 1), Updates.inc("xp", 1));
                },
                // mixed types: an int field, a double amount
                () -> accounts.updateOne(eq("user_id", 1), Updates.inc("xp", 0.5)),
                // a missing field ($inc creates it)
                () -> accounts.updateOne(eq("user_id", 1), Updates.inc("missing", 1)),
                // not only $inc
                () -> accounts.updateOne(
                        eq("user_id", 1), Updates.combine(Updates.inc("xp", 1), Updates.set("name", "x"))),
                // a filter on a field that is not unique
                () -> accounts.updateOne(eq("name", "user1"), Updates.inc("xp", 1)),
                // a decimal sum of zero
                () -> accounts.updateOne(
                        eq("user_id", 1),
                        Updates.inc(
                                "balance",
                                new Decimal128(serverAccount(1)
                                        .get("balance", Decimal128.class)
                                        .bigDecimalValue()
                                        .negate()))));
        for (int i = 0; i < uncertain.size(); i++) {
            assertThat(cachedAccount(1)).isNotNull();
            long through = accounts.writesThrough();
            uncertain.get(i).run();
            assertThat(accounts.writesThrough()).as("case %d", i).isEqualTo(through);
            assertThat(cachedAccount(1)).as("case %d", i).isEqualTo(serverAccount(1));
        }
    }

    @Test
    void readsThatAreNotOneWholeDocument_areDroppedInstead() {
        List<Document> projected = accounts.find(eq("user_id", 1))
                .projection(Projections.include("balance"))
                .toList();
        List<Document> byXp = accounts.find(gte("xp", 0)).toList(); // filters on the field incremented
        List<Document> guild = accounts.find(eq("guild", 7)).toList(); // two documents
        assertThat(projected).hasSize(1);
        assertThat(byXp).hasSize(4);
        assertThat(guild).hasSize(2);
        accounts.updateOne(eq("user_id", 1), Updates.inc("xp", 5));
        assertThat(accounts.writesThrough()).isZero();
        List<Document> serverGuild = raw.find(eq("guild", 7)).into(new java.util.ArrayList<>());
        int loads = finds.get();
        assertThat(accounts.find(eq("guild", 7)).toList()).isEqualTo(serverGuild);
        assertThat(accounts.find(gte("xp", 0)).toList()).hasSize(4);
        assertThat(finds.get() - loads).as("both dropped and loaded again").isEqualTo(2);
    }

    /**
     * The copy to add to must predate the write: a read loaded after the update reached the server
     * (here, inside the update, between the server's reply and the write's judging) already holds
     * the new value, and adding to it again would count the payment twice.
     */
    @Test
    void aReadLoadedAfterTheWriteReachedTheServer_isNotAddedToAgain() throws Exception {
        accounts.invalidate();
        afterUpdateReply.set(() -> {
            try {
                // Another thread reads the account now: it loads the new balance and publishes it.
                CompletableFuture.supplyAsync(() -> cachedAccount(1)).get(30, TimeUnit.SECONDS);
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        });
        accounts.updateOne(eq("user_id", 1), Updates.inc("xp", 10));
        assertThat(afterUpdateReply.get()).as("the hook ran").isNull();
        assertThat(cachedAccount(1).getInteger("xp"))
                .isEqualTo(11)
                .isEqualTo(serverAccount(1).getInteger("xp"));
        assertThat(accounts.writesThrough()).isZero();
    }

    /**
     * Another update of the same document running beside this one: the server may have applied it
     * first, so the copy plus this increment is not certain. Here a second increment runs inside the
     * first (after its reply, before its judging).
     */
    @Test
    void anotherUpdateOfTheDocumentRunningBeside_dropsTheReadInstead() throws Exception {
        assertThat(cachedAccount(1)).isNotNull();
        AtomicInteger seenAfterSecond = new AtomicInteger();
        afterUpdateReply.set(() -> {
            try {
                CompletableFuture.runAsync(() -> accounts.updateOne(eq("user_id", 1), Updates.inc("xp", 100)))
                        .get(30, TimeUnit.SECONDS);
                // The second has returned and the first is applied on the server: the only state
                // holding the second is 111 (the copy plus 100 would be 101, a state that never was).
                seenAfterSecond.set(
                        CompletableFuture.supplyAsync(() -> cachedAccount(1).getInteger("xp"))
                                .get(30, TimeUnit.SECONDS));
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        });
        accounts.updateOne(eq("user_id", 1), Updates.inc("xp", 10));
        assertThat(seenAfterSecond).hasValue(111);
        assertThat(cachedAccount(1).getInteger("xp"))
                .isEqualTo(111)
                .isEqualTo(serverAccount(1).getInteger("xp"));
    }

    /**
     * An update that selects the document only as this write left it, applied after it on the
     * server and done before its judging: it judged the cached copy (which it does not select) and
     * kept it, so the copy lacks its change, and adding to it would hide that change.
     */
    @Test
    void anUpdateSelectingTheDocumentOnlyAfterThisWrite_thatEndedMeanwhile_dropsTheReadInstead() {
        assertThat(cachedAccount(1)).isNotNull();
        afterUpdateReply.set(() -> {
            try {
                CompletableFuture.runAsync(() -> accounts.updateMany(eq("xp", 11), Updates.inc("games", 1)))
                        .get(30, TimeUnit.SECONDS);
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        });
        accounts.updateOne(eq("user_id", 1), Updates.inc("xp", 10));
        assertThat(afterUpdateReply.get()).as("the hook ran").isNull();
        assertThat(serverAccount(1).getLong("games")).isEqualTo(2L);
        assertThat(cachedAccount(1)).isEqualTo(serverAccount(1));
    }

    /**
     * The log of ended updates is bounded (256): an update that selects the document only after
     * this write, pushed out of the log by 300 others ending meanwhile, must still stop the
     * write-through (the log no longer reaches back to this write's start).
     */
    @Test
    void anOverlappingUpdatePushedOutOfTheLog_stillDropsTheReadInstead() {
        assertThat(cachedAccount(1)).isNotNull();
        afterUpdateReply.set(() -> {
            try {
                CompletableFuture.runAsync(() -> {
                            accounts.updateMany(eq("xp", 11), Updates.inc("games", 1));
                            for (int i = 0; i < 300; i++) {
                                accounts.updateOne(eq("user_id", 2 + i % 3), Updates.set("name", "n" + i));
                            }
                        })
                        .get(60, TimeUnit.SECONDS);
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        });
        accounts.updateOne(eq("user_id", 1), Updates.inc("xp", 10));
        assertThat(afterUpdateReply.get()).as("the hook ran").isNull();
        assertThat(accounts.writesThrough()).isZero();
        assertThat(cachedAccount(1)).isEqualTo(serverAccount(1));
        assertThat(serverAccount(1).getLong("games")).isEqualTo(2L);
    }

    @Test
    void exactSum_followsMongoDBsTypes_andRefusesWhatItCannotBeSureOf() {
        assertThat(ReadIndex.exactSum(5, 3)).isEqualTo(8);
        assertThat(ReadIndex.exactSum(5L, 3L)).isEqualTo(8L);
        assertThat(ReadIndex.exactSum(0.5, 0.25)).isEqualTo(0.75);
        assertThat(ReadIndex.exactSum(dec("500.00"), dec("1"))).isEqualTo(dec("501.00")); // keeps the scale
        assertThat(ReadIndex.exactSum(dec("0.1"), dec("-0.05"))).isEqualTo(dec("0.05"));
        assertThat(ReadIndex.exactSum(Integer.MAX_VALUE, 1)).isNull(); // MongoDB widens to a long
        assertThat(ReadIndex.exactSum(Long.MAX_VALUE, 1L)).isNull(); // MongoDB refuses
        assertThat(ReadIndex.exactSum(5, 3L)).isNull(); // mixed types
        assertThat(ReadIndex.exactSum(5, 0.5)).isNull();
        assertThat(ReadIndex.exactSum(dec("5"), 1)).isNull();
        assertThat(ReadIndex.exactSum(Double.MAX_VALUE, Double.MAX_VALUE)).isNull();
        assertThat(ReadIndex.exactSum(Double.NaN, 1.0)).isNull();
        assertThat(ReadIndex.exactSum(dec("1"), dec("-1"))).isNull(); // zero: sign and exponent rules
        assertThat(ReadIndex.exactSum(Decimal128.NEGATIVE_ZERO, dec("1"))).isNull();
        assertThat(ReadIndex.exactSum(Decimal128.NaN, dec("1"))).isNull();
        assertThat(ReadIndex.exactSum(dec("1E+40"), dec("1"))).as("35 digits").isNull();
        assertThat(ReadIndex.exactSum("5", 1)).isNull();
        assertThat(ReadIndex.exactSum(null, 1)).isNull();
    }

    @Test
    void incremented_onlyForPureIncrementsOfTopLevelFields() {
        Document held = new Document("_id", 1).append("a", 1).append("b", 2L).append("c", "x");
        assertThat(ReadIndex.incremented(held, touched(Updates.inc("a", 2))))
                .isEqualTo(new Document("_id", 1).append("a", 3).append("b", 2L).append("c", "x"));
        assertThat(ReadIndex.incremented(held, touched(Updates.combine(Updates.inc("a", 2), Updates.set("c", "y")))))
                .isNull();
        assertThat(ReadIndex.incremented(held, touched(Updates.inc("a.b", 2)))).isNull();
        assertThat(ReadIndex.incremented(held, Set.of("a")))
                .as("fields without amounts")
                .isNull();
    }

    private static Set<String> touched(Bson update) {
        return ReadIndex.touchedRoots(update.toBsonDocument());
    }

    private static Decimal128 dec(String value) {
        return new Decimal128(new BigDecimal(value));
    }
}
