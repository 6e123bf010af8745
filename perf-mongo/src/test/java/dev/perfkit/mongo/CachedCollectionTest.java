package dev.perfkit.mongo;

import static com.mongodb.client.model.Filters.eq;
import static com.mongodb.client.model.Filters.in;
import static com.mongodb.client.model.Filters.nin;
import static com.mongodb.client.model.Filters.or;
import static com.mongodb.client.model.Sorts.ascending;
import static com.mongodb.client.model.Sorts.descending;
import static com.mongodb.client.model.Updates.inc;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.mongodb.client.MongoClient;
import com.mongodb.client.MongoCollection;
import com.mongodb.client.model.DeleteOneModel;
import com.mongodb.client.model.InsertManyOptions;
import com.mongodb.client.model.InsertOneModel;
import com.mongodb.client.model.InsertOneOptions;
import com.mongodb.client.model.Projections;
import com.mongodb.client.model.ReplaceOptions;
import com.mongodb.client.model.UpdateOptions;
import com.mongodb.client.model.Updates;
import com.mongodb.event.CommandListener;
import com.mongodb.event.CommandStartedEvent;
import dev.perfkit.FakeTicker;
import dev.perfkit.cache.caffeine.CaffeineQueryCache;
import dev.perfkit.memory.MemoryPressureRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Date;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.bson.BsonDocument;
import org.bson.Document;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class CachedCollectionTest {
    private final AtomicInteger finds = new AtomicInteger();
    private final List<BsonDocument> findCommands = new java.util.concurrent.CopyOnWriteArrayList<>();
    private final FakeTicker ticker = new FakeTicker();
    private final CaffeineQueryCache cache = CaffeineQueryCache.builder()
            .name("mongo-test")
            .ticker(ticker::getAsLong)
            .executor(Runnable::run)
            .meterRegistry(new SimpleMeterRegistry())
            .pressureRegistry(MemoryPressureRegistry.create())
            .build();
    private MongoClient client;
    private MongoCollection<Document> raw;
    private CachedCollection<Document> accounts;

    @BeforeEach
    void connect() {
        client = MongoTestSupport.client(settings -> settings.addCommandListener(new CommandListener() {
            @Override
            public void commandStarted(CommandStartedEvent event) {
                if (event.getCommandName().equals("find")
                        || event.getCommandName().equals("aggregate")) {
                    finds.incrementAndGet();
                    findCommands.add(event.getCommand().clone());
                }
            }
        }));
        raw = MongoTestSupport.freshDatabase(client).getCollection("accounts");
        for (int i = 0; i < 10; i++) {
            raw.insertOne(new Document("_id", i).append("guild", i % 2).append("balance", i * 100));
        }
        accounts = MongoPerf.cached(raw, Duration.ofSeconds(30), cache);
        finds.set(0);
    }

    @AfterEach
    void disconnect() {
        client.close();
        cache.close();
    }

    @Test
    void find_secondReadIsServedFromTheCache() {
        List<Document> first = accounts.find(eq("guild", 1), descending("balance"), 3);
        List<Document> second = accounts.find(eq("guild", 1), descending("balance"), 3);

        assertThat(second).isEqualTo(first).hasSize(3);
        assertThat(first.get(0).getInteger("balance")).isEqualTo(900);
        assertThat(finds).hasValue(1);
        assertThatThrownBy(() -> second.add(new Document())).isInstanceOf(UnsupportedOperationException.class);
    }

    @Test
    void aWriteByAPinnedFieldJudgesOnlyTheReadsItMayConcern() {
        List<Document> members = new ArrayList<>();
        for (int i = 0; i < 2_000; i++) {
            members.add(new Document("_id", 100 + i).append("user", i).append("balance", 0));
        }
        raw.insertMany(members);
        for (int i = 0; i < 2_000; i++) {
            accounts.find(eq("user", i)).first();
        }
        accounts.countDocuments(eq("guild", 1)); // judged by its fields alone: listed for every write
        accounts.updateOne(eq("user", 1_999), inc("balance", 1)); // the first by user: indexes them all
        long before = accounts.readsJudged();

        for (int i = 0; i < 100; i++) {
            accounts.updateOne(eq("user", i), inc("balance", 1));
            accounts.deleteOne(eq("user", 1_000 + i));
        }

        // Each write visits the one read holding its user, and the count on a delete: not 2,000.
        assertThat(accounts.readsJudged() - before).isLessThanOrEqualTo(100 * 3);

        assertThat(accounts.find(eq("user", 3_005)).first()).isNull(); // cached: nobody yet
        long beforeInserts = accounts.readsJudged();
        for (int i = 0; i < 100; i++) {
            accounts.insertOne(
                    new Document("_id", 10_000 + i).append("user", 3_000 + i).append("balance", 7));
        }
        assertThat(accounts.readsJudged() - beforeInserts)
                .as("an insert visits the reads pinned to its values (and those pinned on nothing)")
                .isLessThanOrEqualTo(100);
        assertThat(accounts.find(eq("user", 3_005)).first().getInteger("balance"))
                .as("the cached empty result was dropped by the insert it would match")
                .isEqualTo(7);
        assertThat(accounts.find(eq("user", 5)).first().getInteger("balance")).isEqualTo(1);
        assertThat(accounts.find(eq("user", 1_005)).first()).isNull();
        int findsBefore = finds.get();
        assertThat(accounts.find(eq("user", 500)).first().getInteger("balance")).isZero();
        assertThat(finds).as("a read no write concerned is still cached").hasValue(findsBefore);
        assertThat(accounts.countDocuments(eq("guild", 1))).isEqualTo(5);
    }

    @Test
    void find_equivalentFiltersShareOneEntry() {
        accounts.find(or(eq("_id", 1), eq("_id", 2))).toList();
        accounts.find(in("_id", 1, 2)).toList();

        assertThat(finds).hasValue(1);
    }

    @Test
    void find_inListsInAnotherOrder_shareOneEntry_literalArraysDoNot() {
        raw.insertOne(new Document("_id", "tags").append("tags", List.of("a", "b")));
        List<Document> first = accounts.find(in("_id", 3, 1, 2, 1)).toList();
        List<Document> again = accounts.find(in("_id", 2, 3, 1)).toList();
        List<Document> excluded = accounts.find(nin("_id", 9, 8)).toList();
        List<Document> excludedAgain = accounts.find(nin("_id", 8, 9)).toList();

        assertThat(finds).as("a set asked for in another order is a hit").hasValue(2);
        assertThat(again)
                .isEqualTo(first)
                .isEqualTo(raw.find(in("_id", 1, 2, 3)).into(new ArrayList<>()));
        assertThat(excludedAgain).isEqualTo(excluded).hasSize(9);
        finds.set(0);

        List<Document> ab = accounts.find(eq("tags", List.of("a", "b"))).toList();
        List<Document> ba = accounts.find(eq("tags", List.of("b", "a"))).toList();
        assertThat(ab).hasSize(1);
        assertThat(ba).as("an array literal's order is part of what it equals").isEmpty();

        List<Document> asLongs = accounts.find(in("_id", 2L, 1L)).toList();
        assertThat(asLongs).isEqualTo(first.subList(0, 2));
        assertThat(finds).as("longs are not the ints' entry").hasValue(3);
    }

    @Test
    void find_differentSortOrLimit_areDifferentEntries() {
        accounts.find(eq("guild", 1), descending("balance"), 3);
        accounts.find(eq("guild", 1), descending("balance"), 2);
        accounts.find(eq("guild", 1), null, 3);

        assertThat(finds).hasValue(3);
    }

    @Test
    void writeThroughTheWrapper_isSeenByTheNextRead() {
        assertThat(accounts.find(eq("_id", 1)).first().getInteger("balance")).isEqualTo(100);
        long countBefore = accounts.countDocuments(eq("guild", 1));

        accounts.updateOne(eq("_id", 1), inc("balance", 5));
        assertThat(accounts.find(eq("_id", 1)).first().getInteger("balance")).isEqualTo(105);

        accounts.insertOne(new Document("_id", 11).append("guild", 1));
        assertThat(accounts.countDocuments(eq("guild", 1))).isEqualTo(countBefore + 1);

        accounts.deleteOne(eq("_id", 11));
        accounts.updateMany(eq("guild", 1), inc("balance", 1));
        accounts.bulkWrite(List.of(new InsertOneModel<>(new Document("_id", 12).append("guild", 1))));
        assertThat(accounts.countDocuments(eq("guild", 1))).isEqualTo(countBefore + 1);
        assertThat(accounts.find(eq("_id", 1)).first().getInteger("balance")).isEqualTo(106);
    }

    @Test
    void writeElsewhere_showsAfterTheTtl() {
        accounts.find(eq("_id", 1)).first();
        raw.updateOne(eq("_id", 1), inc("balance", 50));

        assertThat(accounts.find(eq("_id", 1)).first().getInteger("balance")).isEqualTo(100); // stale, by contract
        ticker.advance(Duration.ofSeconds(31));
        assertThat(accounts.find(eq("_id", 1)).first().getInteger("balance")).isEqualTo(150);
    }

    @Test
    void failedWrite_stillInvalidates() {
        accounts.find(eq("_id", 1)).toList();
        raw.updateOne(eq("_id", 1), inc("balance", 7)); // changed behind the wrapper's back

        assertThatThrownBy(() -> accounts.insertOne(new Document("_id", 1))).isInstanceOf(RuntimeException.class);

        assertThat(accounts.find(eq("_id", 1)).first().getInteger("balance")).isEqualTo(107);
    }

    @Test
    void invalidation_touchesOnlyThisCollection() {
        CachedCollection<Document> otherCollection = MongoPerf.cached(
                client.getDatabase(raw.getNamespace().getDatabaseName()).getCollection("accounts2"),
                Duration.ofSeconds(30),
                cache);
        otherCollection.find(eq("_id", 1));
        finds.set(0);

        accounts.updateOne(eq("_id", 1), inc("balance", 1));
        otherCollection.find(eq("_id", 1));

        assertThat(finds).hasValue(0);
    }

    @Test
    void badInput() {
        assertThatThrownBy(() -> accounts.find(null)).hasMessage("filter");
        assertThatThrownBy(() -> MongoPerf.cached(raw, Duration.ofDays(36_500), cache))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("ttl must be at most 365 days");
        assertThatThrownBy(() -> accounts.find(eq("a", 1), null, -1)).hasMessage("limit must not be negative: -1");
        assertThatThrownBy(() -> MongoPerf.cached(raw, Duration.ofSeconds(-1), cache))
                .hasMessage("ttl must not be negative: PT-1S");
    }

    @Test
    void find_inWithDocumentsInOtherFieldOrder_isNotServedAnotherFiltersResult() {
        raw.insertOne(new Document("_id", "xy").append("a", new Document("x", 1).append("y", 2)));
        raw.insertOne(new Document("_id", "yx").append("a", new Document("y", 2).append("x", 1)));
        Document xy = new Document("x", 1).append("y", 2);
        Document yx = new Document("y", 2).append("x", 1);

        List<Document> one = accounts.find(new Document("a", new Document("$in", List.of(xy))))
                .toList();
        List<Document> both = accounts.find(new Document("a", new Document("$in", List.of(xy, yx))))
                .toList();

        assertThat(both)
                .isEqualTo(raw.find(new Document("a", new Document("$in", List.of(xy, yx))))
                        .into(new ArrayList<>()));
        assertThat(one)
                .isEqualTo(raw.find(new Document("a", new Document("$in", List.of(xy))))
                        .into(new ArrayList<>()));
    }

    @Test
    void find_dateAndLookalikeDocument_getDistinctEntries() {
        Date date = new Date(0);
        raw.insertOne(new Document("_id", "d").append("t", date));
        List<Document> byDate = accounts.find(new Document("t", new Document("$in", List.of(date))))
                .toList();
        List<Document> byLookalike = accounts.find(
                        new Document("t", new Document("$in", List.of(new Document("$date", "1970-01-01T00:00:00Z")))))
                .toList();

        assertThat(byDate).hasSize(1);
        assertThat(byLookalike).isEmpty();
    }

    @Test
    void bulkWrite_keepsTheCallersOrder() {
        accounts.bulkWrite(List.of(
                new DeleteOneModel<>(eq("_id", 1)),
                new InsertOneModel<>(new Document("_id", 1)),
                new DeleteOneModel<>(eq("_id", 1))));

        assertThat(raw.countDocuments(eq("_id", 1))).isZero();
    }

    @Test
    void find_tenThousandDeepFilter_isRefusedClearly() {
        Document query = new Document("x", 1);
        for (int i = 0; i < 10_000; i++) {
            query = new Document("$and", List.of(query, new Document("y", i)));
        }
        Document deep = query;
        assertThatThrownBy(() -> accounts.find(deep).toList())
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("deeper than 100");
        assertThatThrownBy(() -> accounts.countDocuments(deep)).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void find_first_sendsLimitOne_andIsCachedOnItsOwn() {
        Document first =
                accounts.find(eq("guild", 1)).sort(descending("balance")).first();

        assertThat(first.getInteger("_id")).isEqualTo(9);
        assertThat(findCommands).hasSize(1);
        assertThat(findCommands.get(0).getInt32("limit").getValue()).isEqualTo(1);
        assertThat(accounts.find(eq("guild", 1)).sort(descending("balance")).first())
                .isEqualTo(first);
        assertThat(finds).as("served from the cache").hasValue(1);
        assertThat(accounts.find(eq("guild", 1)).sort(descending("balance")).toList())
                .hasSize(5);
        assertThat(finds).as("the whole list is another entry").hasValue(2);
    }

    @Test
    void find_fluent_projectionSortSkipLimit_matchTheDriver() {
        List<Document> cached = accounts.find(eq("guild", 0))
                .projection(Projections.include("balance"))
                .sort(descending("balance"))
                .skip(1)
                .limit(2)
                .toList();
        List<Document> direct = raw.find(eq("guild", 0))
                .projection(Projections.include("balance"))
                .sort(descending("balance"))
                .skip(1)
                .limit(2)
                .into(new ArrayList<>());

        assertThat(cached).isEqualTo(direct).hasSize(2);
        assertThat(accounts.find(eq("guild", 0)).into(new ArrayList<>())).hasSize(5);
        int count = 0;
        for (Document ignored : accounts.find(eq("guild", 0))) {
            count++;
        }
        assertThat(count).isEqualTo(5);
        assertThat(accounts.find(eq("guild", 7)).first()).isNull();
        assertThatThrownBy(() -> accounts.find(eq("guild", 0)).skip(-1)).hasMessage("skip must not be negative: -1");
    }

    @Test
    void results_cannotBeChanged_soNoCallerCorruptsAnother() {
        raw.insertOne(new Document("_id", "nested")
                .append("profile", new Document("name", "ada"))
                .append("tags", List.of(new Document("t", 1))));
        Document first = accounts.find(eq("_id", "nested")).first();

        assertThatThrownBy(() -> first.put("balance", 1)).isInstanceOf(UnsupportedOperationException.class);
        assertThatThrownBy(() -> first.get("profile", Document.class).put("name", "eve"))
                .isInstanceOf(UnsupportedOperationException.class);
        assertThatThrownBy(() -> first.getList("tags", Document.class).get(0).append("t", 2))
                .isInstanceOf(UnsupportedOperationException.class);
        assertThatThrownBy(() -> first.getList("tags", Document.class).clear())
                .isInstanceOf(UnsupportedOperationException.class);
        assertThatThrownBy(() -> first.entrySet().iterator().next().setValue("x"))
                .isInstanceOf(UnsupportedOperationException.class);
        assertThatThrownBy(() -> first.keySet().clear()).isInstanceOf(UnsupportedOperationException.class);
        assertThatThrownBy(() -> accounts.find(eq("guild", 1)).toList().clear())
                .isInstanceOf(UnsupportedOperationException.class);

        Document again = accounts.find(eq("_id", "nested")).first();
        assertThat(again.get("profile", Document.class).getString("name")).isEqualTo("ada");
        assertThat(again).isEqualTo(raw.find(eq("_id", "nested")).first());
        Document copy = new Document(again);
        copy.put("balance", 1);
        assertThat(copy.getInteger("balance")).isEqualTo(1);
    }

    @Test
    void twoServers_sameNames_sharedCache_neverReadEachOthersDocuments() {
        de.bwaldvogel.mongo.MongoServer otherServer =
                new de.bwaldvogel.mongo.MongoServer(new de.bwaldvogel.mongo.backend.memory.MemoryBackend());
        try (MongoClient otherClient =
                com.mongodb.client.MongoClients.create(otherServer.bindAndGetConnectionString())) {
            MongoCollection<Document> otherRaw = otherClient
                    .getDatabase(raw.getNamespace().getDatabaseName())
                    .getCollection(raw.getNamespace().getCollectionName());
            otherRaw.insertOne(new Document("_id", 1).append("balance", -1));
            CachedCollection<Document> other = MongoPerf.cached(otherRaw, Duration.ofSeconds(30), cache);

            assertThat(accounts.find(eq("_id", 1)).first().getInteger("balance"))
                    .isEqualTo(100);
            assertThat(other.find(eq("_id", 1)).first().getInteger("balance")).isEqualTo(-1);
            assertThat(accounts.find(eq("_id", 1)).first().getInteger("balance"))
                    .isEqualTo(100);
        } finally {
            otherServer.shutdownNow();
        }
    }

    /** Every write method: a cached read right after it sees its effect (the read is served fresh). */
    @Test
    void everyWriteMethod_invalidates_andReadsAfterItSeeIt() {
        List<Runnable> writes = List.of(
                () -> accounts.insertOne(new Document("_id", 100).append("guild", 1), new InsertOneOptions()),
                () -> accounts.insertMany(List.of(new Document("_id", 101).append("guild", 1))),
                () -> accounts.insertMany(
                        List.of(new Document("_id", 102).append("guild", 1)), new InsertManyOptions().ordered(false)),
                () -> accounts.updateOne(eq("_id", 103), inc("balance", 1), new UpdateOptions().upsert(true)),
                () -> accounts.updateMany(eq("guild", 1), inc("balance", 1), new UpdateOptions()),
                () -> accounts.replaceOne(
                        eq("_id", 1), new Document("_id", 1).append("guild", 1).append("r", 1)),
                () -> accounts.replaceOne(
                        eq("_id", 104), new Document("_id", 104).append("guild", 1), new ReplaceOptions().upsert(true)),
                () -> accounts.findOneAndUpdate(eq("_id", 3), inc("balance", 5)),
                () -> accounts.findOneAndReplace(eq("_id", 5), new Document("_id", 5).append("guild", 1)),
                () -> accounts.findOneAndDelete(eq("_id", 7)),
                () -> accounts.deleteMany(eq("_id", 9)));
        for (int i = 0; i < writes.size(); i++) {
            assertThat(accounts.find(eq("guild", 1)).sort(ascending("_id")).toList())
                    .isNotNull(); // cached
            writes.get(i).run();
            assertThat(accounts.find(eq("guild", 1)).sort(ascending("_id")).toList())
                    .as("read after write %d", i)
                    .isEqualTo(raw.find(eq("guild", 1)).sort(ascending("_id")).into(new ArrayList<>()));
        }
        assertThat(accounts.distinct("guild", new Document(), Integer.class)).containsExactlyInAnyOrder(0, 1);
        accounts.insertOne(new Document("_id", 200).append("guild", 7));
        assertThat(accounts.distinct("guild", new Document(), Integer.class)).containsExactlyInAnyOrder(0, 1, 7);
    }

    /** Writes that cannot change a cached read leave it cached; writes that can, refresh it. */
    @Test
    void preciseInvalidation_unrelatedWritesKeepReadsCached() {
        List<Document> guildZero =
                accounts.find(eq("guild", 0)).sort(ascending("_id")).toList();
        long guildOne = accounts.countDocuments(eq("guild", 1));
        Document one = accounts.find(eq("_id", 1)).first();
        int finds = this.finds.get();

        accounts.updateOne(eq("_id", 1), Updates.set("nickname", "x")); // doc 1 is in guild 1
        assertThat(accounts.find(eq("guild", 0)).sort(ascending("_id")).toList())
                .isEqualTo(guildZero);
        assertThat(accounts.countDocuments(eq("guild", 1))).isEqualTo(guildOne);
        assertThat(this.finds.get())
                .as("neither read could change: both from the cache")
                .isEqualTo(finds);
        assertThat(accounts.find(eq("_id", 1)).first().getString("nickname")).isEqualTo("x");
        assertThat(this.finds.get()).as("the document's own read was refreshed").isEqualTo(finds + 1);

        accounts.insertOne(new Document("_id", 50).append("guild", 1));
        assertThat(accounts.find(eq("guild", 0)).sort(ascending("_id")).toList())
                .isEqualTo(guildZero);
        assertThat(this.finds.get()).as("a guild-1 insert cannot join guild 0").isEqualTo(finds + 1);
        assertThat(accounts.countDocuments(eq("guild", 1))).isEqualTo(guildOne + 1);
        assertThat(this.finds.get())
                .as("the count (an aggregate) was refreshed")
                .isEqualTo(finds + 2);

        accounts.deleteOne(eq("_id", 3));
        assertThat(accounts.find(eq("guild", 0)).sort(ascending("_id")).toList())
                .isEqualTo(guildZero);
        assertThat(this.finds.get()).as("deleting a guild-1 document").isEqualTo(finds + 2);

        accounts.updateMany(eq("guild", 1), inc("guild", -1)); // moves documents into guild 0
        assertThat(accounts.find(eq("guild", 0)).sort(ascending("_id")).toList())
                .isEqualTo(raw.find(eq("guild", 0)).sort(ascending("_id")).into(new ArrayList<>()))
                .hasSizeGreaterThan(guildZero.size());
        assertThat(one.getInteger("_id")).isEqualTo(1);
    }
}
