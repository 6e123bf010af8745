package dev.perfkit.profile;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.perfkit.internal.QueryShapeCache;
import java.math.BigDecimal;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Date;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.UUID;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.bson.BsonRegularExpression;
import org.bson.Document;
import org.bson.types.Decimal128;
import org.bson.types.ObjectId;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

class QueryShapeTest {

    private static final String SECRET = "s3cr3t-Value";
    private static final long SECRET_NUMBER = 987_654_321L;

    private static Document doc(Object... keyValues) {
        Document document = new Document();
        for (int i = 0; i < keyValues.length; i += 2) {
            document.append((String) keyValues[i], keyValues[i + 1]);
        }
        return document;
    }

    /** Query forms with their expected shape, equality, sort and range fields. */
    static Stream<Arguments> forms() {
        return Stream.of(
                form("empty", doc(), doc(), "{}", List.of(), List.of(), List.of()),
                form(
                        "one string",
                        doc("user_id", SECRET),
                        doc(),
                        "{\"user_id\":\"?string\"}",
                        List.of("user_id"),
                        List.of(),
                        List.of()),
                form(
                        "number",
                        doc("user_id", SECRET_NUMBER),
                        doc(),
                        "{\"user_id\":\"?number\"}",
                        List.of("user_id"),
                        List.of(),
                        List.of()),
                form(
                        "two fields sorted in shape",
                        doc("b", 1, "a", SECRET),
                        doc(),
                        "{\"a\":\"?string\",\"b\":\"?number\"}",
                        List.of("b", "a"),
                        List.of(),
                        List.of()),
                form(
                        "null",
                        doc("deleted_at", null),
                        doc(),
                        "{\"deleted_at\":\"?null\"}",
                        List.of("deleted_at"),
                        List.of(),
                        List.of()),
                form(
                        "bool",
                        doc("active", true),
                        doc(),
                        "{\"active\":\"?bool\"}",
                        List.of("active"),
                        List.of(),
                        List.of()),
                form(
                        "date",
                        doc("at", new Date(SECRET_NUMBER)),
                        doc(),
                        "{\"at\":\"?date\"}",
                        List.of("at"),
                        List.of(),
                        List.of()),
                form(
                        "instant",
                        doc("at", Instant.ofEpochSecond(SECRET_NUMBER)),
                        doc(),
                        "{\"at\":\"?date\"}",
                        List.of("at"),
                        List.of(),
                        List.of()),
                form(
                        "objectId",
                        doc("_id", new ObjectId()),
                        doc(),
                        "{\"_id\":\"?objectId\"}",
                        List.of("_id"),
                        List.of(),
                        List.of()),
                form(
                        "decimal128",
                        doc("balance", Decimal128.parse("123.45")),
                        doc(),
                        "{\"balance\":\"?number\"}",
                        List.of("balance"),
                        List.of(),
                        List.of()),
                form(
                        "uuid",
                        doc("token", UUID.randomUUID()),
                        doc(),
                        "{\"token\":\"?uuid\"}",
                        List.of("token"),
                        List.of(),
                        List.of()),
                form(
                        "dotted path",
                        doc("profile.name", SECRET),
                        doc(),
                        "{\"profile.name\":\"?string\"}",
                        List.of("profile.name"),
                        List.of(),
                        List.of()),
                form(
                        "embedded document keeps order",
                        doc("address", doc("zip", SECRET, "city", SECRET)),
                        doc(),
                        "{\"address\":{\"zip\":\"?string\",\"city\":\"?string\"}}",
                        List.of("address"),
                        List.of(),
                        List.of()),
                form(
                        "array literal",
                        doc("tags", List.of(SECRET, "b", 3)),
                        doc(),
                        "{\"tags\":[\"?number\",\"?string\"]}",
                        List.of("tags"),
                        List.of(),
                        List.of()),
                form(
                        "$eq",
                        doc("guild_id", doc("$eq", SECRET_NUMBER)),
                        doc(),
                        "{\"guild_id\":{\"$eq\":\"?number\"}}",
                        List.of("guild_id"),
                        List.of(),
                        List.of()),
                form(
                        "$gt and $lte",
                        doc("balance", doc("$lte", 1000, "$gt", SECRET_NUMBER)),
                        doc(),
                        "{\"balance\":{\"$gt\":\"?number\",\"$lte\":\"?number\"}}",
                        List.of(),
                        List.of(),
                        List.of("balance")),
                form(
                        "$ne",
                        doc("status", doc("$ne", SECRET)),
                        doc(),
                        "{\"status\":{\"$ne\":\"?string\"}}",
                        List.of(),
                        List.of(),
                        List.of("status")),
                form(
                        "single-value $in is equality",
                        doc("id", doc("$in", List.of(SECRET_NUMBER))),
                        doc(),
                        "{\"id\":{\"$in\":[\"?number\"]}}",
                        List.of("id"),
                        List.of(),
                        List.of()),
                form(
                        "multi-value $in is range, same shape",
                        doc("id", doc("$in", List.of(1, 2, SECRET_NUMBER))),
                        doc(),
                        "{\"id\":{\"$in\":[\"?number\"]}}",
                        List.of(),
                        List.of(),
                        List.of("id")),
                form(
                        "$nin",
                        doc("id", doc("$nin", List.of(SECRET))),
                        doc(),
                        "{\"id\":{\"$nin\":[\"?string\"]}}",
                        List.of(),
                        List.of(),
                        List.of("id")),
                form(
                        "$exists",
                        doc("email", doc("$exists", true)),
                        doc(),
                        "{\"email\":{\"$exists\":\"?bool\"}}",
                        List.of(),
                        List.of(),
                        List.of("email")),
                form(
                        "$regex with options",
                        doc("name", doc("$regex", "^" + SECRET, "$options", "i")),
                        doc(),
                        "{\"name\":{\"$options\":\"?string\",\"$regex\":\"?string\"}}",
                        List.of(),
                        List.of(),
                        List.of("name")),
                form(
                        "Pattern literal is range",
                        doc("name", Pattern.compile(SECRET)),
                        doc(),
                        "{\"name\":\"?regex\"}",
                        List.of(),
                        List.of(),
                        List.of("name")),
                form(
                        "BsonRegularExpression literal",
                        doc("name", new BsonRegularExpression(SECRET)),
                        doc(),
                        "{\"name\":\"?regex\"}",
                        List.of(),
                        List.of(),
                        List.of("name")),
                form(
                        "$not regex",
                        doc("name", doc("$not", Pattern.compile(SECRET))),
                        doc(),
                        "{\"name\":{\"$not\":\"?regex\"}}",
                        List.of(),
                        List.of(),
                        List.of("name")),
                form(
                        "$not operator",
                        doc("age", doc("$not", doc("$gt", 30))),
                        doc(),
                        "{\"age\":{\"$not\":{\"$gt\":\"?number\"}}}",
                        List.of(),
                        List.of(),
                        List.of("age")),
                form(
                        "$and merges",
                        doc("$and", List.of(doc("guild_id", 1), doc("balance", doc("$gte", SECRET_NUMBER)))),
                        doc(),
                        "{\"$and\":[{\"guild_id\":\"?number\"},{\"balance\":{\"$gte\":\"?number\"}}]}",
                        List.of("guild_id"),
                        List.of(),
                        List.of("balance")),
                form(
                        "$or of one field is $in",
                        doc("$or", List.of(doc("id", 1), doc("id", SECRET_NUMBER))),
                        doc(),
                        "{\"$or\":[{\"id\":\"?number\"},{\"id\":\"?number\"}]}",
                        List.of(),
                        List.of(),
                        List.of("id")),
                form(
                        "$or single clause is that clause",
                        doc("$or", List.of(doc("id", SECRET))),
                        doc(),
                        "{\"$or\":[{\"id\":\"?string\"}]}",
                        List.of("id"),
                        List.of(),
                        List.of()),
                form(
                        "$or of several fields is left out",
                        doc("$or", List.of(doc("a", 1), doc("b", SECRET))),
                        doc(),
                        "{\"$or\":[{\"a\":\"?number\"},{\"b\":\"?string\"}]}",
                        List.of(),
                        List.of(),
                        List.of()),
                form(
                        "$nor is left out",
                        doc("$nor", List.of(doc("banned", true))),
                        doc(),
                        "{\"$nor\":[{\"banned\":\"?bool\"}]}",
                        List.of(),
                        List.of(),
                        List.of()),
                form(
                        "$elemMatch on documents",
                        doc("items", doc("$elemMatch", doc("sku", SECRET, "qty", doc("$gt", 5)))),
                        doc(),
                        "{\"items\":{\"$elemMatch\":{\"qty\":{\"$gt\":\"?number\"},\"sku\":\"?string\"}}}",
                        List.of("items.sku"),
                        List.of(),
                        List.of("items.qty")),
                form(
                        "$elemMatch on values",
                        doc("scores", doc("$elemMatch", doc("$gte", 80, "$lt", SECRET_NUMBER))),
                        doc(),
                        "{\"scores\":{\"$elemMatch\":{\"$gte\":\"?number\",\"$lt\":\"?number\"}}}",
                        List.of(),
                        List.of(),
                        List.of("scores")),
                form(
                        "ESR with sort",
                        doc("guild_id", SECRET_NUMBER, "balance", doc("$gt", 0)),
                        doc("joined", -1),
                        "{\"balance\":{\"$gt\":\"?number\"},\"guild_id\":\"?number\"} sort {\"joined\":-1}",
                        List.of("guild_id"),
                        List.of("joined"),
                        List.of("balance")),
                form(
                        "range field that is sorted is a sort field",
                        doc("guild_id", 1, "balance", doc("$gt", SECRET_NUMBER)),
                        doc("balance", -1),
                        "{\"balance\":{\"$gt\":\"?number\"},\"guild_id\":\"?number\"} sort {\"balance\":-1}",
                        List.of("guild_id"),
                        List.of("balance"),
                        List.of()),
                form(
                        "equality field that is sorted is not a sort field",
                        doc("guild_id", 1),
                        doc("guild_id", 1, "balance", -1),
                        "{\"guild_id\":\"?number\"} sort {\"guild_id\":1,\"balance\":-1}",
                        List.of("guild_id"),
                        List.of("balance"),
                        List.of()),
                form(
                        "equality wins over range",
                        doc("$and", List.of(doc("a", 5), doc("a", doc("$gt", 1)))),
                        doc(),
                        "{\"$and\":[{\"a\":\"?number\"},{\"a\":{\"$gt\":\"?number\"}}]}",
                        List.of("a"),
                        List.of(),
                        List.of()),
                form(
                        "$expr keeps no literal",
                        doc("$expr", doc("$gt", List.of("$spent", SECRET_NUMBER))),
                        doc(),
                        "{\"$expr\":{\"$gt\":[\"?number\",\"?string\"]}}",
                        List.of(),
                        List.of(),
                        List.of()),
                form(
                        "BigDecimal",
                        doc("amount", new BigDecimal("1.10")),
                        doc(),
                        "{\"amount\":\"?number\"}",
                        List.of("amount"),
                        List.of(),
                        List.of()),
                form(
                        "quotes in keys are escaped",
                        doc("we\"ird", 1),
                        doc(),
                        "{\"we\\\"ird\":\"?number\"}",
                        List.of("we\"ird"),
                        List.of(),
                        List.of()));
    }

    private static Arguments form(
            String name,
            Document query,
            Document sort,
            String shape,
            List<String> equality,
            List<String> sort2,
            List<String> range) {
        return Arguments.of(name, query, sort, shape, equality, sort2, range);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("forms")
    void of_form_shapeAndClassification(
            String name,
            Document query,
            Document sort,
            String shape,
            List<String> equality,
            List<String> sortFields,
            List<String> range) {
        QueryShape result = QueryShape.of(query, sort);

        assertThat(result.shape()).isEqualTo(shape);
        assertThat(result.toString()).isEqualTo(shape);
        assertThat(result.equalityFields()).containsExactlyElementsOf(equality);
        assertThat(result.sortFields().keySet()).containsExactlyElementsOf(sortFields);
        assertThat(result.rangeFields()).containsExactlyElementsOf(range);
        assertThat(result.shape()).doesNotContain(SECRET).doesNotContain(String.valueOf(SECRET_NUMBER));
    }

    @Test
    void forms_atLeastTwentyFive() {
        assertThat(forms().count()).isGreaterThanOrEqualTo(25);
    }

    @Test
    void indexKeys_followEqualitySortRange() {
        QueryShape shape =
                QueryShape.of(doc("balance", doc("$gte", 10), "guild_id", 5, "active", true), doc("joined_at", -1));

        assertThat(shape.indexKeys())
                .containsExactly(
                        Map.entry("guild_id", 1),
                        Map.entry("active", 1),
                        Map.entry("joined_at", -1),
                        Map.entry("balance", 1));
    }

    @Test
    void of_sameStructureDifferentValues_sameShape() {
        QueryShape a = QueryShape.of(doc("user_id", "123", "guild", doc("$in", List.of(1, 2))));
        QueryShape b = QueryShape.of(doc("guild", doc("$in", List.of(7, 8, 9, 10)), "user_id", "456"));

        assertThat(a).isEqualTo(b).hasSameHashCodeAs(b);
        assertThat(QueryShape.of(doc("user_id", 123))).isNotEqualTo(a);
    }

    @Test
    void of_plainMapsWork_notJustDocuments() {
        Map<String, Object> query = new LinkedHashMap<>();
        query.put("user_id", SECRET);
        assertThat(QueryShape.of(query).shape()).isEqualTo("{\"user_id\":\"?string\"}");
    }

    @Test
    void of_null_throwsNamingTheParameter() {
        assertThatThrownBy(() -> QueryShape.of(null))
                .isInstanceOf(NullPointerException.class)
                .hasMessage("query");
        assertThatThrownBy(() -> QueryShape.of(doc(), null))
                .isInstanceOf(NullPointerException.class)
                .hasMessage("sort");
    }

    @Test
    void of_cyclicDocument_isRefusedClearly() {
        Map<String, Object> cyclic = new LinkedHashMap<>();
        cyclic.put("self", cyclic);
        assertThatThrownBy(() -> QueryShape.of(cyclic))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("deeper than 100");
    }

    @Test
    void of_tenThousandDeepAndOr_isRefusedClearly_byShapeAndShapeCache() {
        for (String operator : List.of("$and", "$or")) {
            Map<String, Object> query = new LinkedHashMap<>(Map.of("x", 1));
            for (int i = 0; i < 10_000; i++) {
                Map<String, Object> outer = new LinkedHashMap<>();
                outer.put(operator, List.of(query, Map.of("y", i)));
                query = outer;
            }
            Map<String, Object> deep = query;
            assertThatThrownBy(() -> QueryShape.of(deep))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("query is nested deeper than 100");
            assertThatThrownBy(() -> QueryShapeCache.create(10).shapeOf(deep, Map.of()))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("query is nested deeper than 100");
        }
        Map<String, Object> nestedArrays = new LinkedHashMap<>();
        Object value = 1;
        for (int i = 0; i < 10_000; i++) {
            value = List.of(value);
        }
        nestedArrays.put("x", value);
        assertThatThrownBy(() -> QueryShapeCache.create(10).shapeOf(nestedArrays, Map.of()))
                .isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    @SuppressWarnings({"unchecked", "rawtypes"})
    void of_nonStringKey_isRefusedNamingIt() {
        Map raw = new LinkedHashMap();
        raw.put(42, 1);
        Map<String, Object> query = Map.of("a", raw);
        assertThatThrownBy(() -> QueryShape.of(query))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("not a String: 42 (java.lang.Integer)");
        assertThatThrownBy(() -> QueryShapeCache.create(10).shapeOf(query, Map.of()))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("42");
    }

    /**
     * The cache answers by fingerprint, so a fingerprint must never stand for two shapes: seeded
     * random queries, each also with one small structural change (a literal to another type, an
     * array between one element and several), must get from the cache what QueryShape.of computes.
     * (Array elements were OR-ed into the fingerprint, which saturates: arrays of different element
     * types collided. This test caught it.)
     */
    @Test
    void shapeCache_seededQueriesAndSmallChanges_answerExactlyWhatOfComputes() {
        long seed = System.nanoTime();
        System.out.println("QueryShapeTest.shapeCache_seededQueriesAndSmallChanges seed=" + seed);
        SplittableRandom random = new SplittableRandom(seed);
        QueryShapeCache cache = QueryShapeCache.create(100_000);
        for (int i = 0; i < 5_000; i++) {
            long querySeed = random.nextLong();
            Document query = randomQuery(new SplittableRandom(querySeed), 0);
            Document changed = randomQuery(new SplittableRandom(querySeed), 0);
            List<Runnable> changes = new ArrayList<>();
            collectChanges(changed, changes);
            changes.get(random.nextInt(changes.size())).run();
            for (Document each : List.of(query, changed)) {
                assertThat(described(cache.shapeOf(each, Map.of())))
                        .as("seed %d, query %s", seed, each)
                        .isEqualTo(described(QueryShape.of(each)));
            }
        }
    }

    private static String described(QueryShape shape) {
        return shape.shape() + " eq=" + shape.equalityFields() + " range=" + shape.rangeFields() + " sort="
                + shape.sortFields();
    }

    @SuppressWarnings("unchecked")
    private static void collectChanges(Map<String, Object> map, List<Runnable> changes) {
        for (String key : List.copyOf(map.keySet())) {
            Object child = map.get(key);
            if (child instanceof Map<?, ?> inner) {
                collectChanges((Map<String, Object>) inner, changes);
            } else if (child instanceof List<?> list) {
                changes.add(() -> map.put(
                        key, list.size() == 1 ? Arrays.asList(list.get(0), list.get(0)) : Arrays.asList(list.get(0))));
                for (int i = 0; i < list.size(); i++) {
                    Object element = list.get(i);
                    int index = i;
                    if (element instanceof Map<?, ?> inner) {
                        collectChanges((Map<String, Object>) inner, changes);
                    } else {
                        changes.add(() -> {
                            List<Object> copy = new ArrayList<>(list);
                            copy.set(index, otherType(element));
                            map.put(key, copy);
                        });
                    }
                }
            } else {
                changes.add(() -> map.put(key, otherType(child)));
            }
        }
    }

    private static Object otherType(Object value) {
        return value instanceof String ? (Object) 7 : "x";
    }

    /** Random nested queries full of one marker literal: no shape may contain it. */
    @Test
    void of_randomQueries_neverLeakALiteral() {
        long seed = System.nanoTime();
        System.out.println("QueryShapeTest.of_randomQueries_neverLeakALiteral seed=" + seed);
        SplittableRandom random = new SplittableRandom(seed);
        for (int i = 0; i < 2_000; i++) {
            Document query = randomQuery(random, 0);
            String shape = QueryShape.of(query).shape();
            assertThat(shape)
                    .as("seed %d, query %s", seed, query)
                    .doesNotContain("LEAK")
                    .doesNotContain("4242");
        }
    }

    private static final String[] OPERATORS = {
        "$eq",
        "$gt",
        "$gte",
        "$lt",
        "$lte",
        "$ne",
        "$in",
        "$nin",
        "$exists",
        "$regex",
        "$not",
        "$elemMatch",
        "$size",
        "$all"
    };

    private static Document randomQuery(SplittableRandom random, int depth) {
        Document query = new Document();
        int fields = 1 + random.nextInt(3);
        for (int f = 0; f < fields; f++) {
            int kind = random.nextInt(depth > 2 ? 2 : 4);
            switch (kind) {
                case 0 -> query.append("f" + random.nextInt(5), randomLiteral(random, depth));
                case 1 -> {
                    String operator = OPERATORS[random.nextInt(OPERATORS.length)];
                    Object operand =
                            switch (operator) {
                                case "$in", "$nin", "$all" ->
                                    Arrays.asList(randomLiteral(random, depth + 1), randomLiteral(random, depth + 1));
                                case "$not" -> doc("$gt", randomLiteral(random, depth + 1));
                                case "$elemMatch" -> randomQuery(random, depth + 1);
                                default -> randomLiteral(random, depth + 1);
                            };
                    query.append("g" + random.nextInt(5), doc(operator, operand));
                }
                case 2 -> {
                    List<Document> clauses = new ArrayList<>();
                    for (int c = 0; c < 1 + random.nextInt(3); c++) {
                        clauses.add(randomQuery(random, depth + 1));
                    }
                    query.append(random.nextBoolean() ? "$or" : random.nextBoolean() ? "$and" : "$nor", clauses);
                }
                default -> query.append("h" + random.nextInt(5), randomQuery(random, depth + 1));
            }
        }
        return query;
    }

    private static Object randomLiteral(SplittableRandom random, int depth) {
        return switch (random.nextInt(depth > 3 ? 5 : 7)) {
            case 0 -> "LEAK" + random.nextInt(100);
            case 1 -> 4242L;
            case 2 -> 4242.5;
            case 3 -> Pattern.compile("LEAK");
            case 4 -> null;
            case 5 -> Arrays.asList("LEAK", 4242, null, 4242.5, true, new Date(4242), BigDecimal.ONE);
            default -> doc("inner", "LEAK");
        };
    }
}
