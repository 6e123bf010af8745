package dev.perfkit.mongo;

import static com.mongodb.client.model.Filters.eq;
import static com.mongodb.client.model.Updates.inc;
import static com.mongodb.client.model.Updates.set;
import static org.assertj.core.api.Assertions.assertThat;

import com.mongodb.client.MongoClient;
import com.mongodb.client.MongoCollection;
import com.mongodb.client.model.IndexOptions;
import com.mongodb.client.model.Indexes;
import com.mongodb.client.model.Sorts;
import dev.perfkit.cache.caffeine.CaffeineQueryCache;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;
import org.bson.Document;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * A dropped read's copy of a document still tells, by the fields no write has touched since, which
 * rankings an update of that document cannot concern; a field a write touched, or any write that
 * may change which document holds a unique value, ends that.
 */
class LastKnownCopyTest {
    private final AtomicInteger finds = new AtomicInteger();
    private final CaffeineQueryCache cache = MongoTestSupport.cache("last-known-copy-test");
    private MongoClient client;
    private MongoCollection<Document> raw;
    private CachedCollection<Document> members;

    @BeforeEach
    void connect() {
        client = MongoTestSupport.countingClient(finds, "find");
        raw = MongoTestSupport.freshDatabase(client).getCollection("members");
        raw.createIndex(Indexes.ascending("u"), new IndexOptions().unique(true));
        raw.insertOne(member(1, "a", 2, 50));
        raw.insertOne(member(2, "b", 2, 40));
        raw.insertOne(member(3, "c", 2, 10));
        raw.insertOne(member(4, "m", 1, 30));
        members = MongoPerf.cached(raw, Duration.ofHours(1), cache);
    }

    @AfterEach
    void disconnect() {
        client.close();
        cache.close();
    }

    private static Document member(int id, String u, int guild, int score) {
        return new Document("_id", id).append("u", u).append("g", guild).append("score", score);
    }

    private List<Document> topTwo(int guild) {
        return members.find(eq("g", guild))
                .sort(Sorts.descending("score"))
                .limit(2)
                .toList();
    }

    private List<Document> topTwoDirect(int guild) {
        return raw.find(eq("g", guild)).sort(Sorts.descending("score")).limit(2).into(new ArrayList<>());
    }

    /** Reads m (guild 1), then credits it: its own read is dropped, and g = 1 is only last known. */
    private void dropMsOwnRead() {
        assertThat(members.find(eq("u", "m")).first().getInteger("g")).isEqualTo(1);
        members.updateOne(eq("u", "m"), inc("score", 2));
    }

    /**
     * With m now in guild 2 below its top two, caches that ranking, credits m by 20 (above a's 50),
     * and checks that the ranking read next shows m first, as the server does.
     */
    private void creditingMLiftsItToTheTopOfGuild2() {
        assertThat(topTwo(2)).extracting(d -> d.get("u")).containsExactly("a", "b");

        members.updateOne(eq("u", "m"), inc("score", 20));

        assertThat(topTwo(2))
                .isEqualTo(topTwoDirect(2))
                .extracting(d -> d.get("u"))
                .containsExactly("m", "a");
    }

    @Test
    void aMemberOfAnotherGuildKnownOnlyFromADroppedReadLeavesTheRankingCached() {
        assertThat(members.find(eq("u", "m")).first().getInteger("g")).isEqualTo(1);
        assertThat(topTwo(2)).isEqualTo(topTwoDirect(2));
        members.updateOne(eq("u", "m"), inc("score", 1)); // drops m's own read: now only last known

        members.updateOne(eq("u", "m"), inc("score", 1));

        int before = finds.get();
        List<Document> ranking = topTwo(2);
        assertThat(finds).as("guild 2's ranking stayed cached").hasValue(before);
        assertThat(ranking).isEqualTo(topTwoDirect(2));
    }

    @Test
    void aFieldAWriteTouchedIsNoLongerKnown() {
        dropMsOwnRead();
        members.updateOne(eq("u", "m"), set("g", 2)); // g touched: the copy no longer vouches for it
        creditingMLiftsItToTheTopOfGuild2();
    }

    @Test
    void aWriteThatMayMoveAUniqueValueEndsEveryLastKnownCopy() {
        dropMsOwnRead();
        members.deleteOne(eq("u", "m"));
        members.insertOne(member(5, "m", 2, 35)); // another document now holds u = "m", in guild 2
        creditingMLiftsItToTheTopOfGuild2();
    }

    @Test
    void invalidateAfterAWriteMadeAroundTheWrapperEndsEveryLastKnownCopy() {
        dropMsOwnRead();
        raw.updateOne(eq("u", "m"), set("g", 2)); // around the wrapper
        members.invalidate(); // as documented for such writes
        creditingMLiftsItToTheTopOfGuild2();
    }

    @Test
    void judgingReadsOnlyTheFieldsAPartialCopyKnows() {
        Document copy = member(4, "m", 1, 30);
        ReadIndex.KnownFields knowsGuildOnly = new ReadIndex.KnownFields(copy, Set.of("_id", "u", "g")::contains);

        assertThat(ReadIndex.provablyNotMatching(Document.parse("{g: 2}"), knowsGuildOnly, false))
                .as("a known field that differs")
                .isTrue();
        assertThat(ReadIndex.provablyNotMatching(Document.parse("{score: {$gt: 40}}"), knowsGuildOnly, false))
                .as("a field it does not know, though its copy says 30")
                .isFalse();
        assertThat(ReadIndex.provablyNotMatching(Document.parse("{name: 'x'}"), knowsGuildOnly, false))
                .as("a missing field it does not know: missing now is not known either")
                .isFalse();
        assertThat(ReadIndex.provablyNotMatching(
                        Document.parse("{$or: [{g: 2}, {score: {$gt: 40}}]}"), knowsGuildOnly, false))
                .as("one branch it cannot judge")
                .isFalse();
        assertThat(ReadIndex.provablyNotMatching(Document.parse("{score: {$gt: 40}}"), copy, false))
                .as("the same copy, all of it current")
                .isTrue();
    }
}
