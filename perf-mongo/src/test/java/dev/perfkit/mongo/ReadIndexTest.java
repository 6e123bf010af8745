package dev.perfkit.mongo;

import static org.assertj.core.api.Assertions.assertThat;

import java.math.BigDecimal;
import java.util.Date;
import java.util.List;
import java.util.Set;
import org.bson.BsonDocument;
import org.bson.Document;
import org.bson.types.Decimal128;
import org.bson.types.ObjectId;
import org.junit.jupiter.api.Test;

/** The conservative matcher and the rules, case by case (the differential test covers them at large). */
class ReadIndexTest {

    private static boolean provablyNot(String filter, Document document) {
        return ReadIndex.provablyNotMatching(Document.parse(filter), document, false);
    }

    @Test
    void matcher_provesNotMatchingOnlyWhereMongoDbAgrees() {
        Document doc = new Document("_id", 1)
                .append("n", 5)
                .append("s", "x")
                .append("arr", List.of(1, 2))
                .append("nul", null)
                .append("d", new Date(0))
                .append("o", new ObjectId("000000000000000000000001"))
                .append("dec", new Decimal128(5))
                .append("sub", new Document("k", 1));

        assertThat(provablyNot("{n: 6}", doc)).isTrue();
        assertThat(provablyNot("{n: 5}", doc)).isFalse();
        assertThat(provablyNot("{n: 5.0}", doc))
                .as("numbers compare across types")
                .isFalse();
        assertThat(provablyNot("{n: {$numberLong: '5'}}", doc)).isFalse();
        assertThat(provablyNot("{n: '5'}", doc))
                .as("a string never equals a number")
                .isTrue();
        assertThat(provablyNot("{s: 'y'}", doc)).isTrue();
        assertThat(provablyNot("{missing: 1}", doc))
                .as("a missing field matches only null")
                .isTrue();
        assertThat(provablyNot("{missing: null}", doc)).isFalse();
        assertThat(provablyNot("{arr: 3}", doc))
                .as("arrays are not reasoned about")
                .isFalse();
        assertThat(provablyNot("{nul: 1}", doc)).isFalse();
        assertThat(provablyNot("{sub: {k: 2}}", doc)).isFalse();
        assertThat(provablyNot("{'sub.k': 2}", doc))
                .as("dotted paths are not reasoned about")
                .isFalse();
        assertThat(provablyNot("{n: {$in: [1, 2]}}", doc)).isTrue();
        assertThat(provablyNot("{n: {$in: [1, 5]}}", doc)).isFalse();
        assertThat(provablyNot("{n: {$in: [1, null]}}", doc)).isFalse();
        assertThat(provablyNot("{n: {$gt: 5}}", doc)).isTrue();
        assertThat(provablyNot("{n: {$gte: 5}}", doc)).isFalse();
        assertThat(provablyNot("{n: {$lt: 5}}", doc)).isTrue();
        assertThat(provablyNot("{s: {$gt: 1}}", doc))
                .as("a string never satisfies a numeric range")
                .isTrue();
        assertThat(provablyNot("{missing: {$gt: 1}}", doc)).isTrue();
        assertThat(provablyNot("{n: {$ne: 5}}", doc))
                .as("$ne is not reasoned about")
                .isFalse();
        assertThat(provablyNot("{dec: 5.0}", doc))
                .as("decimal against binary floating point")
                .isFalse();
        assertThat(provablyNot("{dec: 6}", doc)).isTrue();
        assertThat(provablyNot("{$or: [{n: 1}, {s: 'y'}]}", doc)).isTrue();
        assertThat(provablyNot("{$or: [{n: 1}, {s: 'x'}]}", doc)).isFalse();
        assertThat(provablyNot("{$and: [{n: 5}, {s: 'y'}]}", doc)).isTrue();
        assertThat(provablyNot("{$nor: [{n: 5}]}", doc))
                .as("$nor is not reasoned about")
                .isFalse();
        assertThat(ReadIndex.provablyNotMatching(Document.parse("{missing: 1}"), doc, true))
                .as("a projected document may lack the field")
                .isFalse();
    }

    @Test
    void rules_whatAWriteAffects() {
        Document guildOne = Document.parse("{guild: 1}");
        List<Document> held = List.of(Document.parse("{_id: 1, guild: 1, balance: 5}"));
        ReadIndex.ReadInfo find = ReadIndex.find(guildOne, null, null, 0, 0, held, 1_000_000_000L);
        ReadIndex.ReadInfo count = ReadIndex.count(guildOne, 1_000_000_000L);
        ReadIndex.ReadInfo opaque = ReadIndex.count(Document.parse("{$expr: {$gt: ['$a', 1]}}"), 1_000_000_000L);

        ReadIndex.Effect otherDocBalance = ReadIndex.Effect.update(Document.parse("{_id: 2}"), Set.of("balance"));
        ReadIndex.Effect heldDocBalance = ReadIndex.Effect.update(Document.parse("{_id: 1}"), Set.of("balance"));
        ReadIndex.Effect moveGuild = ReadIndex.Effect.update(Document.parse("{_id: 2}"), Set.of("guild"));
        ReadIndex.Effect insertOtherGuild = ReadIndex.Effect.insert(List.of(Document.parse("{_id: 9, guild: 2}")));
        ReadIndex.Effect insertSameGuild = ReadIndex.Effect.insert(List.of(Document.parse("{_id: 9, guild: 1}")));

        assertThat(ReadIndex.affects(otherDocBalance, find)).isFalse();
        assertThat(ReadIndex.affects(heldDocBalance, find)).isTrue();
        assertThat(ReadIndex.affects(heldDocBalance, count))
                .as("a count cannot change")
                .isFalse();
        assertThat(ReadIndex.affects(moveGuild, find)).isTrue();
        assertThat(ReadIndex.affects(moveGuild, count)).isTrue();
        assertThat(ReadIndex.affects(insertOtherGuild, find)).isFalse();
        assertThat(ReadIndex.affects(insertSameGuild, count)).isTrue();
        assertThat(ReadIndex.affects(ReadIndex.Effect.delete(Document.parse("{_id: 2}")), find))
                .isFalse();
        assertThat(ReadIndex.affects(ReadIndex.Effect.delete(Document.parse("{_id: 2}")), count))
                .isTrue();
        assertThat(ReadIndex.affects(ReadIndex.Effect.NONE, find)).isFalse();
        assertThat(ReadIndex.affects(ReadIndex.Effect.ALL, find)).isTrue();
        assertThat(ReadIndex.affects(otherDocBalance, opaque))
                .as("$expr: every write")
                .isTrue();
        assertThat(ReadIndex.touchedRoots(BsonDocument.parse("{$set: {'a.b': 1}, $inc: {c: 1}}")))
                .containsExactlyInAnyOrder("a", "c");
        assertThat(ReadIndex.touchedRoots(BsonDocument.parse("{$rename: {a: 'b'}}")))
                .containsExactlyInAnyOrder("a", "b");
        assertThat(ReadIndex.touchedRoots(BsonDocument.parse("{a: 1}")))
                .as("a replacement")
                .isNull();
        assertThat(ReadIndex.touchedRoots(BsonDocument.parse("{$futureOperator: {a: 1}}")))
                .isNull();
    }

    private static final long HOUR = 3_600_000_000_000L;

    /** A guild's top {@code limit} by balance, holding {@code held}. */
    private static ReadIndex.ReadInfo leaderboard(int limit, int skip, List<Document> held) {
        return ReadIndex.find(
                Document.parse("{guild: 1}"), Document.parse("{balance: -1}"), null, skip, limit, held, HOUR);
    }

    private static Document member(int id, int guild, int balance) {
        return new Document("_id", id)
                .append("user", 100 + id)
                .append("guild", guild)
                .append("balance", balance);
    }

    @Test
    void sortedWindow_anUpdateOfTheSortFieldOutsideIt_dependsOnWhatIsKnownOfTheDocument() {
        List<Document> top = List.of(member(1, 1, 90), member(2, 1, 80));
        ReadIndex.Effect creditUser7 = ReadIndex.Effect.update(Document.parse("{user: 107}"), Set.of("balance"));

        assertThat(ReadIndex.affects(creditUser7, leaderboard(2, 0, top)))
                .as("a full window, the credited document unknown: it may move in")
                .isTrue();
        assertThat(ReadIndex.affects(creditUser7, leaderboard(2, 0, top), () -> member(7, 2, 10)))
                .as("known to be in another guild: it cannot move in")
                .isFalse();
        assertThat(ReadIndex.affects(creditUser7, leaderboard(2, 0, top), () -> member(7, 1, 10)))
                .as("known to be in this guild: it may")
                .isTrue();
        assertThat(ReadIndex.affects(creditUser7, leaderboard(5, 0, top)))
                .as("fewer than the limit: the read returned every match, so none is outside it")
                .isFalse();
        assertThat(ReadIndex.affects(creditUser7, leaderboard(0, 0, top)))
                .as("no limit: every match returned")
                .isFalse();
        assertThat(ReadIndex.affects(creditUser7, leaderboard(5, 1, top)))
                .as("a skip: documents before the window are not held")
                .isTrue();
        assertThat(ReadIndex.affects(creditUser7, leaderboard(5, 1, top), () -> member(7, 2, 10)))
                .as("not a match at all: the order of the matches is unchanged")
                .isFalse();
        assertThat(ReadIndex.affects(
                        ReadIndex.Effect.update(Document.parse("{user: 101}"), Set.of("balance")),
                        leaderboard(0, 0, top)))
                .as("a held document changes rank")
                .isTrue();
        assertThat(ReadIndex.affects(
                        ReadIndex.Effect.update(Document.parse("{user: 107}"), Set.of("guild")),
                        leaderboard(0, 0, top)))
                .as("a filter field: the matches themselves may change")
                .isTrue();
    }

    @Test
    void knownTarget_onlyByAUniqueField_fromWholeDocumentsThatAgree() {
        ReadIndex index = new ReadIndex();
        Document seven = member(7, 2, 10);
        index.reads.register(
                "balance:7", ReadIndex.find(Document.parse("{user: 107}"), null, null, 0, 1, List.of(seven), HOUR));
        long now = System.nanoTime();
        Set<String> unique = Set.of("_id", "user");

        assertThat(index.knownTarget(Document.parse("{user: 107}"), unique, now, (key, read) -> true))
                .isEqualTo(seven);
        assertThat(index.knownTarget(Document.parse("{user: {$eq: 107}}"), unique, now, (key, read) -> true))
                .isEqualTo(seven);
        assertThat(index.knownTarget(Document.parse("{user: {$numberLong: '107'}}"), unique, now, (key, read) -> true))
                .as("numbers equal across types, as the server compares them")
                .isEqualTo(seven);
        assertThat(index.knownTarget(Document.parse("{_id: 7}"), unique, now, (key, read) -> true))
                .isEqualTo(seven);
        assertThat(index.knownTarget(Document.parse("{user: 107}"), unique, now, (key, read) -> false))
                .as("a copy the cache does not hold (a load dropped by a write) is not trusted")
                .isNull();
        assertThat(index.knownTarget(Document.parse("{guild: 2}"), unique, now, (key, read) -> true))
                .as("guild is not unique: another document may be the one changed")
                .isNull();
        assertThat(index.knownTarget(Document.parse("{user: 108}"), unique, now, (key, read) -> true))
                .isNull();
        assertThat(index.knownTarget(Document.parse("{user: 107, guild: 2}"), unique, now, (key, read) -> true))
                .as("only a lone equality")
                .isNull();
        assertThat(index.knownTarget(Document.parse("{user: 107}"), Set.of("_id"), now, (key, read) -> true))
                .as("no unique index on user")
                .isNull();
        assertThat(index.knownTarget(Document.parse("{user: 107}"), unique, now + HOUR, (key, read) -> true))
                .as("an expired read tells nothing")
                .isNull();

        index.reads.register(
                "projected:7",
                ReadIndex.find(
                        Document.parse("{user: 107}"),
                        null,
                        Document.parse("{balance: 1}"),
                        0,
                        0,
                        List.of(new Document("_id", 9).append("user", 107)),
                        HOUR));
        assertThat(index.knownTarget(Document.parse("{user: 107}"), unique, now, (key, read) -> true))
                .as("a projected copy is not a whole document and is not used")
                .isEqualTo(seven);

        index.reads.register(
                "other:7",
                ReadIndex.find(
                        Document.parse("{guild: 3}"),
                        null,
                        null,
                        0,
                        0,
                        List.of(member(8, 3, 5).append("user", 107)),
                        HOUR));
        assertThat(index.knownTarget(Document.parse("{user: 107}"), unique, now, (key, read) -> true))
                .as("two documents claim the value: not sure which one changed")
                .isNull();
    }

    @Test
    void pendingLoads_areSparedOnlyWhenTheirFilterProvesTheWriteCannotChangeThem() {
        ReadIndex.ReadInfo balance = ReadIndex.find(Document.parse("{user_id: 1}"), null, null, 0, 1, List.of(), 1_000);
        ReadIndex.ReadInfo top = ReadIndex.find(
                Document.parse("{guild: 7}"), Document.parse("{balance: -1}"), null, 0, 10, List.of(), 1_000);
        Document user2 = new Document("_id", 2).append("user_id", 2).append("guild", 8);
        Document user3 = new Document("_id", 3).append("user_id", 3).append("guild", 7);
        ReadIndex.Effect payUser2 = ReadIndex.Effect.update(Document.parse("{user_id: 2}"), Set.of("balance"));

        assertThat(ReadIndex.affectsPending(payUser2, balance, () -> user2))
                .as("the changed document, known, matches the load neither before nor after")
                .isFalse();
        assertThat(ReadIndex.affectsPending(payUser2, top, () -> user2)).isFalse();
        assertThat(ReadIndex.affectsPending(payUser2, balance, () -> null))
                .as("its document unknown: the load may hold it")
                .isTrue();
        assertThat(ReadIndex.affectsPending(payUser2, top, () -> user3))
                .as("a member of the guild: the ranking may change")
                .isTrue();
        assertThat(ReadIndex.affectsPending(
                        ReadIndex.Effect.update(Document.parse("{user_id: 2}"), Set.of("guild")), top, () -> user2))
                .as("it names a field of the filter: the document may move into the load's result")
                .isTrue();
        assertThat(ReadIndex.affectsPending(
                        ReadIndex.Effect.update(Document.parse("{user_id: 2}"), null), top, () -> user2))
                .as("a replacement may change any field")
                .isTrue();
        assertThat(ReadIndex.affectsPending(
                        ReadIndex.Effect.delete(Document.parse("{user_id: 3}")), balance, () -> null))
                .isTrue();
        assertThat(ReadIndex.affectsPending(ReadIndex.Effect.insert(List.of(user2)), top, () -> null))
                .isFalse();
        assertThat(ReadIndex.affectsPending(ReadIndex.Effect.insert(List.of(user2, user3)), top, () -> null))
                .isTrue();
        assertThat(ReadIndex.affectsPending(payUser2, ReadIndex.aggregate(1_000), () -> user2))
                .isTrue();
        assertThat(ReadIndex.affectsPending(
                        payUser2,
                        ReadIndex.find(Document.parse("{$where: 'true'}"), null, null, 0, 0, List.of(), 1_000),
                        () -> user2))
                .as("an opaque filter")
                .isTrue();
        assertThat(ReadIndex.affectsPending(ReadIndex.Effect.ALL, balance, () -> user2))
                .isTrue();
        assertThat(ReadIndex.affectsPending(ReadIndex.Effect.NONE, balance, () -> null))
                .isFalse();
    }

    @Test
    void writesAndReadsPinningDifferentIds_neverAffectEachOther() {
        ReadIndex.ReadInfo pendingById = ReadIndex.find(Document.parse("{_id: 1}"), null, null, 0, 1, List.of(), 1_000);
        ReadIndex.ReadInfo countById = ReadIndex.count(Document.parse("{_id: {$in: [1, 2]}, v: 5}"), 1_000);
        ReadIndex.Effect replaceThree = ReadIndex.Effect.update(Document.parse("{_id: 3}"), null);
        ReadIndex.Effect setVOfThree = ReadIndex.Effect.update(Document.parse("{_id: {$eq: 3}}"), Set.of("v"));
        ReadIndex.Effect deleteThree = ReadIndex.Effect.delete(Document.parse("{_id: 3, v: 1}"));

        assertThat(ReadIndex.affectsPending(replaceThree, pendingById, () -> null))
                .as("_id never changes, not even by a replacement")
                .isFalse();
        assertThat(ReadIndex.affectsPending(deleteThree, pendingById, () -> null))
                .isFalse();
        assertThat(ReadIndex.affects(setVOfThree, countById))
                .as("a count naming the updated field, but of other _ids")
                .isFalse();
        assertThat(ReadIndex.affects(deleteThree, countById)).isFalse();

        assertThat(ReadIndex.affectsPending(
                        ReadIndex.Effect.update(Document.parse("{_id: 1.0}"), null), pendingById, () -> null))
                .as("1.0 and 1 are one _id to MongoDB")
                .isTrue();
        assertThat(ReadIndex.affects(ReadIndex.Effect.update(Document.parse("{_id: 2}"), Set.of("v")), countById))
                .isTrue();
        assertThat(ReadIndex.affects(
                        ReadIndex.Effect.update(Document.parse("{_id: {$gt: 2}}"), Set.of("v")), countById))
                .as("only equalities pin an _id")
                .isTrue();
        assertThat(ReadIndex.affectsPending(
                        ReadIndex.Effect.update(Document.parse("{user_id: 3}"), null),
                        ReadIndex.find(Document.parse("{user_id: 1}"), null, null, 0, 0, List.of(), 1_000),
                        () -> null))
                .as("any other field may be an array holding both values")
                .isTrue();
    }

    @Test
    void aRankingKeepsItsWindowWhenAKnownMemberOutsideItCanOnlyMoveDown() {
        Document first = new Document("_id", 1).append("g", 7).append("balance", 500);
        Document second = new Document("_id", 2).append("g", 7).append("balance", 400);
        Document outside = new Document("_id", 3).append("g", 7).append("balance", 100);
        ReadIndex.ReadInfo topTwo = ReadIndex.find(
                Document.parse("{g: 7}"), Document.parse("{balance: -1}"), null, 0, 2, List.of(first, second), 1_000);
        ReadIndex.ReadInfo bottomTwo = ReadIndex.find(
                Document.parse("{g: 7}"), Document.parse("{balance: 1}"), null, 0, 2, List.of(outside, second), 1_000);

        assertThat(ReadIndex.affects(inc("{$inc: {balance: -5}}"), topTwo, () -> outside))
                .as("a debit outside a descending window")
                .isFalse();
        assertThat(ReadIndex.affects(inc("{$inc: {balance: 299}}"), topTwo, () -> outside))
                .as("a credit that leaves it below the window's last document (400)")
                .isFalse();
        assertThat(ReadIndex.affects(inc("{$inc: {balance: 300}}"), topTwo, () -> outside))
                .as("a credit to a tie with the last document: the order of equal keys is not defined")
                .isTrue();
        assertThat(ReadIndex.affects(inc("{$inc: {balance: 301}}"), topTwo, () -> outside))
                .as("a credit that lifts it in")
                .isTrue();
        assertThat(ReadIndex.affects(inc(1, "{$inc: {balance: 5}}"), bottomTwo, () -> first))
                .as("a credit outside an ascending window")
                .isFalse();
        assertThat(ReadIndex.affects(inc(1, "{$inc: {balance: -99}}"), bottomTwo, () -> first))
                .as("a debit that leaves it above an ascending window's last document (400)")
                .isFalse();
        assertThat(ReadIndex.affects(inc(1, "{$inc: {balance: -100}}"), bottomTwo, () -> first))
                .as("a debit to a tie in an ascending window")
                .isTrue();
        assertThat(ReadIndex.affects(inc("{$inc: {balance: 5}}"), topTwo, () -> null))
                .as("a credit, the document unknown")
                .isTrue();
        assertThat(ReadIndex.affects(inc("{$inc: {balance: -5}}"), topTwo, () -> null))
                .as("the document unknown")
                .isTrue();
        assertThat(ReadIndex.affects(inc("{$inc: {balance: -5}}"), topTwo, () -> new Document("_id", 3).append("g", 7)))
                .as("no balance yet: $inc creates one, which sorts above a missing one")
                .isTrue();
        assertThat(ReadIndex.affects(inc("{$inc: {balance: -5}, $max: {balance: 1000}}"), topTwo, () -> outside))
                .as("changed some other way too")
                .isTrue();
        assertThat(ReadIndex.affects(inc("{$inc: {balance: {$numberInt: '-5'}}}"), topTwo, () -> new Document("_id", 3)
                        .append("g", 7)
                        .append("balance", Integer.MIN_VALUE + 1)))
                .as("an int that would overflow")
                .isTrue();
        assertThat(ReadIndex.affects(
                        inc("{$inc: {balance: -5}}"),
                        ReadIndex.find(
                                Document.parse("{g: 7}"),
                                Document.parse("{balance: -1, _id: 1}"),
                                null,
                                0,
                                2,
                                List.of(first, second),
                                1_000),
                        () -> outside))
                .as("two sort keys")
                .isTrue();
        assertThat(ReadIndex.affects(
                        inc("{$inc: {balance: -5}}"),
                        ReadIndex.find(
                                Document.parse("{g: 7}"),
                                Document.parse("{balance: -1}"),
                                null,
                                1,
                                2,
                                List.of(second),
                                1_000),
                        () -> outside))
                .as("a skip: a document before the window moving down shifts it")
                .isTrue();
    }

    @Test
    void aCreditOutsideARankingIsJudgedAgainstTheWindowsLastValueWithoutTrustingRounding() {
        ReadIndex.ReadInfo doubles = topTwoOf(500.0, 0.3);
        Document outside = new Document("_id", 3).append("g", 7).append("balance", 0.1);

        assertThat(ReadIndex.affects(inc("{$inc: {balance: 0.1}}"), doubles, () -> outside))
                .as("0.1 + 0.1 is well below 0.3")
                .isFalse();
        assertThat(ReadIndex.affects(inc("{$inc: {balance: 0.2}}"), doubles, () -> outside))
                .as("0.1 + 0.2 is 0.30000000000000004 in doubles, but too close to 0.3 to be sure of the order")
                .isTrue();
        ReadIndex.ReadInfo decimals =
                topTwoOf(new Decimal128(new BigDecimal("500")), new Decimal128(new BigDecimal("400.5")));
        Document decimalOutside = new Document("_id", 3).append("g", 7).append("balance", new Decimal128(100));
        assertThat(ReadIndex.affects(
                        inc("{$inc: {balance: {$numberDecimal: '300.4'}}}"), decimals, () -> decimalOutside))
                .as("decimals: 400.4 < 400.5")
                .isFalse();
        assertThat(ReadIndex.affects(
                        inc("{$inc: {balance: {$numberDecimal: '300.5'}}}"), decimals, () -> decimalOutside))
                .as("decimals: a tie")
                .isTrue();
        assertThat(ReadIndex.affects(
                        inc("{$inc: {balance: 5}}"),
                        ReadIndex.find(
                                Document.parse("{g: 7}"),
                                Document.parse("{balance: -1}"),
                                Document.parse("{name: 1}"),
                                0,
                                2,
                                List.of(new Document("_id", 1), new Document("_id", 2)),
                                1_000),
                        () -> new Document("_id", 3).append("g", 7).append("balance", 100)))
                .as("the window's values projected away: its last place is not known")
                .isTrue();
        assertThat(ReadIndex.affects(
                        inc("{$inc: {balance: 5}}"),
                        topTwoOf(500, "four hundred"),
                        () -> new Document("_id", 3).append("g", 7).append("balance", 100)))
                .as("the last value is not a number")
                .isTrue();
    }

    private static ReadIndex.ReadInfo topTwoOf(Object firstBalance, Object secondBalance) {
        return ReadIndex.find(
                Document.parse("{g: 7}"),
                Document.parse("{balance: -1}"),
                null,
                0,
                2,
                List.of(
                        new Document("_id", 1).append("g", 7).append("balance", firstBalance),
                        new Document("_id", 2).append("g", 7).append("balance", secondBalance)),
                1_000);
    }

    /** An update of document 3 (the one outside the window). */
    private static ReadIndex.Effect inc(String update) {
        return inc(3, update);
    }

    private static ReadIndex.Effect inc(int id, String update) {
        return ReadIndex.Effect.update(new Document("_id", id), ReadIndex.touchedRoots(BsonDocument.parse(update)));
    }
}
