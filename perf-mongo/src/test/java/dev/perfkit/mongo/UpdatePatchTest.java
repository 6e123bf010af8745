package dev.perfkit.mongo;

import static org.assertj.core.api.Assertions.assertThat;

import java.math.BigDecimal;
import java.util.List;
import org.bson.BsonDocument;
import org.bson.Document;
import org.bson.types.Decimal128;
import org.junit.jupiter.api.Test;

/** Which updates perfkit computes itself, and that it refuses everything it would not get exactly right. */
class UpdatePatchTest {
    private final Document account = new Document("_id", 7)
            .append("n", 5)
            .append("big", Integer.MAX_VALUE)
            .append("l", 10L)
            .append("d", 1.5)
            .append("balance", new Decimal128(new BigDecimal("500.25")))
            .append("name", "x")
            .append("tags", List.of("a"));

    private static UpdatePatch patch(String json) {
        return UpdatePatch.of(BsonDocument.parse(json));
    }

    @Test
    void incAndSet_ofSameTypedTopLevelFields_areComputed_inPlace() {
        Document after = patch("{$inc: {n: 2, l: {$numberLong: '-3'}, d: 0.25, balance: {$numberDecimal: '-0.75'}},"
                        + " $set: {name: 'y'}}")
                .apply(account);

        assertThat(after.getInteger("n")).isEqualTo(7);
        assertThat(after.getLong("l")).isEqualTo(7L);
        assertThat(after.getDouble("d")).isEqualTo(1.75);
        assertThat(after.get("balance")).isEqualTo(new Decimal128(new BigDecimal("499.50")));
        assertThat(after.getString("name")).isEqualTo("y");
        assertThat(List.copyOf(after.keySet()))
                .as("the server keeps an updated field where it is")
                .isEqualTo(List.copyOf(account.keySet()));
        assertThat(account.getInteger("n"))
                .as("the cached copy itself is untouched")
                .isEqualTo(5);
    }

    @Test
    void whatTheServerWidensOrPlacesItself_isRefused() {
        assertThat(patch("{$inc: {big: 1}}").apply(account))
                .as("int overflow becomes a long")
                .isNull();
        assertThat(patch("{$inc: {n: {$numberLong: '1'}}}").apply(account))
                .as("int + long becomes a long")
                .isNull();
        assertThat(patch("{$inc: {n: 1.5}}").apply(account)).as("int + double").isNull();
        assertThat(patch("{$inc: {name: 1}}").apply(account)).as("not a number").isNull();
        assertThat(patch("{$set: {fresh: 1}}").apply(account))
                .as("a new field: where the server puts it is not guessed")
                .isNull();
        assertThat(patch("{$inc: {balance: {$numberDecimal: '0.000000000000000000000000000000000001'}}}")
                        .apply(account))
                .as("more digits than a decimal128 holds")
                .isNull();
    }

    @Test
    void operatorsPathsAndValuesItDoesNotModel_areRefused() {
        assertThat(patch("{$push: {tags: 'b'}}")).isNull();
        assertThat(patch("{$set: {'a.b': 1}}")).isNull();
        assertThat(patch("{$set: {_id: 8}}")).isNull();
        assertThat(patch("{$set: {tags: ['b']}}")).isNull();
        assertThat(patch("{$set: {name: {k: 1}}}")).isNull();
        assertThat(patch("{$inc: {n: 'one'}}")).isNull();
        assertThat(patch("{$mul: {n: 2}}")).isNull();
        assertThat(patch("{name: 'replacement'}")).isNull();
        assertThat(patch("{}")).isNull();
    }
}
