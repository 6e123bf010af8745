package dev.perfkit.mongo;

import static com.mongodb.client.model.Filters.and;
import static com.mongodb.client.model.Filters.eq;
import static com.mongodb.client.model.Filters.gt;
import static com.mongodb.client.model.Filters.in;
import static com.mongodb.client.model.Filters.or;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;
import org.bson.Document;
import org.junit.jupiter.api.Test;

class MongoQueryOptimizerTest {

    private static Document optimize(String json) {
        return MongoQueryOptimizer.optimizeQuery(Document.parse(json));
    }

    @Test
    void orOfEqualitiesOnOneField_becomesIn() {
        Document optimized =
                MongoQueryOptimizer.optimizeQuery(or(eq("user_id", "1"), eq("user_id", "2"), eq("user_id", "3")));

        assertThat(optimized.toJson()).isEqualTo("{\"user_id\": {\"$in\": [\"1\", \"2\", \"3\"]}}");
    }

    @Test
    void partialRewrite_keepsOtherClauses() {
        assertThat(optimize("{$or: [{a: 1}, {b: 2}, {a: 3}]}").toJson())
                .isEqualTo("{\"$or\": [{\"b\": 2}, {\"a\": {\"$in\": [1, 3]}}]}");
    }

    @Test
    void existingInMergesAndDuplicatesGo() {
        assertThat(optimize("{$or: [{a: {$in: [1, 2]}}, {a: 2}, {a: {$eq: 3}}]}")
                        .toJson())
                .isEqualTo("{\"a\": {\"$in\": [1, 2, 3]}}");
        assertThat(optimize("{a: {$in: [1, 1, 2, 2]}}").toJson()).isEqualTo("{\"a\": {\"$in\": [1, 2]}}");
    }

    @Test
    void singleClauseOrAndAnd_unwrap_unlessAFieldCollides() {
        assertThat(optimize("{$or: [{a: 1}], b: 2}").toJson()).isEqualTo("{\"a\": 1, \"b\": 2}");
        assertThat(optimize("{$and: [{a: 1}]}").toJson()).isEqualTo("{\"a\": 1}");
        assertThat(optimize("{$and: [{a: 1}], a: {$gt: 0}}").toJson())
                .isEqualTo("{\"$and\": [{\"a\": 1}], \"a\": {\"$gt\": 0}}");
    }

    @Test
    void nestedAnd_flattens() {
        assertThat(optimize("{$and: [{$and: [{a: 1}, {b: 2}]}, {c: 3}]}").toJson())
                .isEqualTo("{\"$and\": [{\"a\": 1}, {\"b\": 2}, {\"c\": 3}]}");
    }

    @Test
    void notProvablyEquivalent_isLeftAlone() {
        List<String> untouched = List.of(
                "{$or: [{a: {$eq: {$regularExpression: {pattern: 'x', options: ''}}}}, {a: 'y'}]}",
                "{$or: [{a: {$regularExpression: {pattern: 'x', options: ''}}}, {a: 'y'}]}",
                "{$or: [{a: {$gt: 1}}, {a: 5}]}",
                "{$or: [{a: 1, b: 2}, {a: 3}]}",
                "{$or: [{a: [1, 2]}, {a: 3}]}",
                "{$or: [{a: {x: 1}}, {a: 3}]}",
                "{$or: [{a: null}, {a: 3}]}",
                "{$or: [{a: 1}, {b: 2}]}");
        for (String json : untouched) {
            OptimizationResult result = MongoQueryOptimizer.analyze(Document.parse(json));
            assertThat(result.changed()).as(json).isFalse();
            assertThat(result.query()).as(json).isEqualTo(Document.parse(json));
        }
    }

    @Test
    void analyze_listsTheRewrites_andNeverMutatesTheInput() {
        Document input = Document.parse("{$and: [{$and: [{$or: [{a: 1}, {a: 2}]}]}, {b: {$in: [1, 1]}}]}");
        Document copy = Document.parse(input.toJson());

        OptimizationResult result = MongoQueryOptimizer.analyze(input);

        assertThat(input).isEqualTo(copy);
        assertThat(result.rewrites())
                .contains(
                        "$or of 2 equalities on a -> $in",
                        "unwrapped single-clause $or",
                        "unwrapped single-clause $and",
                        "removed 1 duplicate $in values on b");
        assertThat(result.query().toJson()).contains("\"a\": {\"$in\": [1, 2]}");
    }

    @Test
    void filtersFromTheBuilders_work() {
        assertThat(MongoQueryOptimizer.optimizeQuery(and(or(eq("x", 1), eq("x", 2)), gt("y", 3)))
                        .toJson())
                .isEqualTo("{\"$and\": [{\"x\": {\"$in\": [1, 2]}}, {\"y\": {\"$gt\": 3}}]}");
        assertThat(MongoQueryOptimizer.optimizeQuery(in("z", 1, 2)).toJson()).isEqualTo("{\"z\": {\"$in\": [1, 2]}}");
        assertThat(MongoQueryOptimizer.analyze(new Document("name", Pattern.compile("^a")))
                        .changed())
                .isFalse();
    }

    @Test
    void nullQuery_throwsNamingIt() {
        assertThatThrownBy(() -> MongoQueryOptimizer.optimizeQuery(null)).hasMessage("query");
    }

    @Test
    void inWithDocumentsInOtherFieldOrder_keepsBoth() {
        Document xy = new Document("x", 1).append("y", 2);
        Document yx = new Document("y", 2).append("x", 1);
        Document query = new Document("a", new Document("$in", List.of(xy, yx, 3, 3)));

        Document optimized = MongoQueryOptimizer.optimizeQuery(query);

        assertThat(optimized.get("a", Document.class).getList("$in", Object.class))
                .containsExactly(xy, yx, 3);
        assertThat(optimized
                        .get("a", Document.class)
                        .getList("$in", Object.class)
                        .get(1))
                .isInstanceOf(Document.class)
                .extracting(d -> List.copyOf(((Document) d).keySet()))
                .isEqualTo(List.of("y", "x"));
    }

    @Test
    void tenThousandDeepAndOr_isRefusedClearly() {
        for (String operator : List.of("$and", "$or")) {
            Document query = new Document("x", 1);
            for (int i = 0; i < 10_000; i++) {
                query = new Document(operator, List.of(query, new Document("y", i)));
            }
            Document deep = query;
            assertThatThrownBy(() -> MongoQueryOptimizer.optimizeQuery(deep))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("deeper than 100");
            assertThatThrownBy(() -> MongoQueryOptimizer.analyze(deep)).isInstanceOf(IllegalArgumentException.class);
        }
    }

    @Test
    @SuppressWarnings({"unchecked", "rawtypes"})
    void nonStringKey_isRefusedNamingIt() {
        Map raw = new java.util.LinkedHashMap();
        raw.put(7, 1);
        Document query = new Document("a", raw);
        assertThatThrownBy(() -> MongoQueryOptimizer.optimizeQuery(query))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("not a String: 7");
    }
}
