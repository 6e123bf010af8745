package dev.perfkit.mongo;

import static com.mongodb.client.model.Filters.eq;
import static com.mongodb.client.model.Sorts.descending;
import static com.mongodb.client.model.Updates.inc;
import static com.mongodb.client.model.Updates.set;
import static org.assertj.core.api.Assertions.assertThat;

import com.mongodb.client.MongoClient;
import com.mongodb.client.MongoCollection;
import com.mongodb.client.model.IndexOptions;
import dev.perfkit.cache.caffeine.CaffeineQueryCache;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Supplier;
import org.bson.Document;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * A write that lands while a load is running, made deterministic: the write runs inside the load,
 * between the server's answer and its publication (from the driver's command listener). A load the
 * write cannot change is published; any other is not, so the next read sees the write.
 */
class RacingLoadTest {
    private final AtomicInteger finds = new AtomicInteger();
    /** Run once, on the thread of the next find, between its reply and its return. */
    private final AtomicReference<Runnable> armed = new AtomicReference<>();
    /** The command whose reply runs the armed task. */
    private volatile String armedCommand = "find";

    private final CaffeineQueryCache cache = MongoTestSupport.cache("racing-load-test");
    private MongoClient client;
    private CachedCollection<Document> accounts;

    @BeforeEach
    void connect() {
        // The armed write runs once the find's reply is in, before the load returns.
        client = MongoTestSupport.hookedClient(finds, () -> armedCommand, armed);
        MongoCollection<Document> raw = MongoTestSupport.freshDatabase(client).getCollection("accounts");
        // user_id is unique, so a write by it names one document, which cached copies may tell.
        Object unused = raw.createIndex(new Document("user_id", 1), new IndexOptions().unique(true));
        for (int user = 1; user <= 4; user++) {
            raw.insertOne(new Document("_id", user)
                    .append("user_id", user)
                    .append("guild", user <= 2 ? 7 : 8)
                    .append("balance", 100 * user));
        }
        accounts = MongoPerf.cached(raw, Duration.ofMinutes(5), cache);
    }

    @AfterEach
    void disconnect() {
        client.close();
        cache.close();
    }

    /** Runs {@code write} inside the next find's load. */
    private void duringTheNextLoad(Runnable write) {
        armed.set(write);
    }

    /**
     * Reads once (the armed write runs inside that load), then again, asserting the second read
     * reached no server: the racing load was published. Returns both results.
     */
    private <R> List<R> readTwiceSecondAHit(Supplier<R> read) {
        R during = read.get();
        assertThat(armed.get()).as("the write ran inside the load").isNull();
        int before = finds.get();
        R after = read.get();
        assertThat(finds.get()).as("the racing load was published: a hit").isEqualTo(before);
        return List.of(during, after);
    }

    private static int balanceOf(Document account) {
        return account.getInteger("balance");
    }

    @Test
    void aLoadTheWriteProvablyCannotChangeIsPublished() {
        Document payee = accounts.find(eq("user_id", 3)).first(); // its whole copy is cached: the write's one document
        duringTheNextLoad(() -> accounts.updateOne(eq("user_id", 3), inc("balance", 5)));

        assertThat(readTwiceSecondAHit(
                        () -> balanceOf(accounts.find(eq("user_id", 1)).first())))
                .containsOnly(100);
        assertThat(balanceOf(accounts.find(eq("user_id", 3)).first())).isEqualTo(balanceOf(payee) + 5);
    }

    @Test
    void aLoadWhoseDocumentsShowTheRacingWriteMissedItPublishesItself() {
        // user 3's document is not cached, so the filter alone cannot clear the load of user 1; its
        // documents can (user 1's document does not match the write's filter).
        duringTheNextLoad(() -> accounts.updateOne(eq("user_id", 3), inc("balance", 5)));

        assertThat(readTwiceSecondAHit(
                        () -> balanceOf(accounts.find(eq("user_id", 1)).first())))
                .as("published after judging its documents")
                .containsOnly(100);
        assertThat(balanceOf(accounts.find(eq("user_id", 3)).first())).isEqualTo(305);
    }

    @Test
    void aLoadWhoseDocumentsTheRacingWriteChangedIsNotPublished() {
        duringTheNextLoad(() -> accounts.updateOne(eq("guild", 7), inc("balance", 5)));

        assertThat(balanceOf(accounts.find(eq("user_id", 1)).first())).isEqualTo(100); // read before the write
        assertThat(armed.get()).isNull();

        assertThat(balanceOf(accounts.find(eq("user_id", 1)).first())).isEqualTo(105);
    }

    @Test
    void aLoadRacingAnInvalidationIsNotPublished() {
        duringTheNextLoad(() -> {
            accounts.unwrap().updateOne(eq("user_id", 1), inc("balance", 7)); // a write elsewhere...
            accounts.updateOne(eq("user_id", 3), inc("balance", 5)); // ...one through the wrapper...
            long unused = accounts.invalidate(); // ...and the host says the data changed
        });

        assertThat(balanceOf(accounts.find(eq("user_id", 1)).first())).isEqualTo(100);
        assertThat(armed.get()).isNull();

        assertThat(balanceOf(accounts.find(eq("user_id", 1)).first())).isEqualTo(107);
    }

    @Test
    void aLoadRacingAnInsertItMayMatchIsNotPublished() {
        duringTheNextLoad(() -> accounts.insertOne(
                new Document("_id", 5).append("user_id", 5).append("guild", 8).append("balance", 900)));

        assertThat(richestOfGuild8()).extracting(d -> d.get("user_id")).containsExactly(4);
        assertThat(armed.get()).isNull();

        assertThat(richestOfGuild8()).extracting(d -> d.get("user_id")).containsExactly(5);
    }

    private List<Document> richestOfGuild8() {
        return accounts.find(eq("guild", 8))
                .sort(descending("balance"))
                .limit(1)
                .toList();
    }

    @Test
    void aRankingLoadRacingAPaymentToAMemberIsNotPublished() {
        assertThat(accounts.find(eq("user_id", 1)).first()).isNotNull(); // member 1's copy is known
        duringTheNextLoad(() -> accounts.updateOne(eq("user_id", 1), inc("balance", 500)));

        List<Document> during = accounts.find(eq("guild", 7))
                .sort(descending("balance"))
                .limit(1)
                .toList();
        assertThat(armed.get()).as("the write ran inside the load").isNull();
        assertThat(during).extracting(d -> d.get("user_id")).containsExactly(2); // read before the payment

        List<Document> after = accounts.find(eq("guild", 7))
                .sort(descending("balance"))
                .limit(1)
                .toList();
        assertThat(after)
                .extracting(d -> d.get("user_id"))
                .as("never the ranking from before")
                .containsExactly(1);
        assertThat(balanceOf(after.get(0))).isEqualTo(600);
    }

    @Test
    void aRankingLoadOfAnotherGuildIsPublished() {
        assertThat(accounts.find(eq("user_id", 1)).first()).isNotNull();
        duringTheNextLoad(() -> accounts.updateOne(eq("user_id", 1), inc("balance", 500)));

        assertThat(readTwiceSecondAHit(() -> accounts.find(eq("guild", 8))
                        .sort(descending("balance"))
                        .limit(1)
                        .toList()
                        .get(0)
                        .get("user_id")))
                .containsOnly(4);
    }

    @Test
    void aLoadByIdRacingAWriteToAnotherIdIsPublished() {
        duringTheNextLoad(() -> {
            accounts.replaceOne(
                    eq("_id", 3), new Document("user_id", 3).append("guild", 7).append("balance", 0));
            accounts.deleteOne(eq("_id", 4));
        });

        assertThat(readTwiceSecondAHit(
                        () -> balanceOf(accounts.find(eq("_id", 1)).first())))
                .as("no document has both _ids")
                .containsOnly(100);
        assertThat(accounts.find(eq("guild", 7)).toList()).hasSize(3);
    }

    @Test
    void aLoadByIdRacingAWriteToThatIdIsNotPublished() {
        duringTheNextLoad(() -> accounts.updateOne(eq("_id", 1), inc("balance", 5)));

        assertThat(balanceOf(accounts.find(eq("_id", 1)).first())).isEqualTo(100);
        assertThat(armed.get()).isNull();

        assertThat(balanceOf(accounts.find(eq("_id", 1)).first())).isEqualTo(105);
    }

    @Test
    void aDocumentAnUpdateStillRunningMayHaveChangedNamesNoTargetForAnother() {
        Document cachedCopy = accounts.find(eq("user_id", 1)).first(); // guild 7, balance 100
        assertThat(cachedCopy.getInteger("guild")).isEqualTo(7);
        List<Document> rankingAfterBoth = new ArrayList<>();
        armedCommand = "update";
        // The first update moves user 1 to guild 8. Between its reply and its invalidation (its
        // copy of user 1 still cached, saying guild 7), guild 8's ranking is read, and a second
        // update pays user 1: the cached copy must not convince it that user 1 is outside guild 8.
        armed.set(() -> {
            assertThat(accounts.find(eq("guild", 8))
                            .sort(descending("balance"))
                            .limit(1)
                            .toList())
                    .extracting(d -> d.get("user_id"))
                    .containsExactly(4);
            accounts.updateOne(eq("user_id", 1), inc("balance", 1_000));
            rankingAfterBoth.addAll(accounts.find(eq("guild", 8))
                    .sort(descending("balance"))
                    .limit(1)
                    .toList());
        });

        accounts.updateOne(eq("_id", 1), set("guild", 8));

        assertThat(armed.get())
                .as("the reads and the payment ran inside the move")
                .isNull();
        assertThat(rankingAfterBoth)
                .extracting(d -> d.get("user_id"))
                .as("a read after the payment returned sees it")
                .containsExactly(1);
    }
}
