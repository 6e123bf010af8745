package dev.perfkit.mongo;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.perfkit.profile.QueryShape;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.bson.BsonArray;
import org.bson.BsonBoolean;
import org.bson.BsonDateTime;
import org.bson.BsonDocument;
import org.bson.BsonDouble;
import org.bson.BsonInt32;
import org.bson.BsonInt64;
import org.bson.BsonNull;
import org.bson.BsonObjectId;
import org.bson.BsonRegularExpression;
import org.bson.BsonString;
import org.bson.BsonValue;
import org.bson.RawBsonDocument;
import org.bson.codecs.BsonDocumentCodec;
import org.bson.types.ObjectId;
import org.junit.jupiter.api.Test;

/**
 * The listener finds a command's shape by CommandReader's fingerprint and decodes the filter only
 * the first time it sees a fingerprint, so a fingerprint must never stand for two shapes, and the
 * same structure with other values must always give the same fingerprint.
 */
class CommandReaderTest {
    private static final String[] FIELDS = {"user_id", "guild_id", "balance", "tags", "profile.level", "name"};
    private static final String[] OPERATORS = {"$eq", "$gt", "$gte", "$lt", "$in", "$nin", "$ne", "$exists"};

    @Test
    void fingerprint_seededRandomFilters_standsForOneShape_andIgnoresValues() {
        long seed = new SplittableRandom().nextLong();
        System.out.println("CommandReaderTest seed: " + seed);
        SplittableRandom random = new SplittableRandom(seed);
        Map<Long, String> shapes = new HashMap<>();
        int distinctShapes = 0;
        for (int i = 0; i < 5_000; i++) {
            long structure = random.nextLong();
            BsonDocument filter = filter(new SplittableRandom(structure), random.split(), 0);
            BsonDocument sameStructure = filter(new SplittableRandom(structure), random.split(), 0);
            BsonDocument sort = random.nextBoolean()
                    ? new BsonDocument(
                            FIELDS[random.nextInt(FIELDS.length)], new BsonInt32(random.nextBoolean() ? 1 : -1))
                    : null;
            BsonDocument command = findCommand(filter, sort);
            String shape = described(
                    QueryShape.of(CommandReader.filterOf("find", command), CommandReader.sortOf("find", command)));

            long fingerprint = CommandReader.read("find", raw(command)).fingerprint();
            assertThat(CommandReader.read("find", command).fingerprint())
                    .as("a decoded document and its bytes read alike (seed %d)", seed)
                    .isEqualTo(fingerprint);
            assertThat(CommandReader.read("find", raw(findCommand(sameStructure, sort)))
                            .fingerprint())
                    .as("same structure, other values: %s vs %s (seed %d)", filter, sameStructure, seed)
                    .isEqualTo(fingerprint);
            String earlier = shapes.putIfAbsent(fingerprint, shape);
            if (earlier == null) {
                distinctShapes++;
            } else {
                assertThat(earlier)
                        .as("one fingerprint, two shapes, for %s (seed %d)", command, seed)
                        .isEqualTo(shape);
            }
        }
        assertThat(distinctShapes).as("the generator makes varied structures").isGreaterThan(1_000);
    }

    @Test
    void fingerprint_seededSmallChanges_thatChangeTheShape_changeTheFingerprint() {
        long seed = new SplittableRandom().nextLong();
        System.out.println("CommandReaderTest seed: " + seed);
        SplittableRandom random = new SplittableRandom(seed);
        int shapeChanges = 0;
        for (int i = 0; i < 5_000; i++) {
            BsonDocument command = findCommand(filter(random.split(), random.split(), 0), null);
            BsonDocument changed = command.clone();
            List<Runnable> changes = new ArrayList<>();
            collectChanges(changed.getDocument("filter"), changes);
            changes.get(random.nextInt(changes.size())).run();

            String before = described(
                    QueryShape.of(CommandReader.filterOf("find", command), CommandReader.sortOf("find", command)));
            String after = described(
                    QueryShape.of(CommandReader.filterOf("find", changed), CommandReader.sortOf("find", changed)));
            if (!before.equals(after)) {
                shapeChanges++;
                assertThat(CommandReader.read("find", raw(changed)).fingerprint())
                        .as("%s and %s have different shapes (seed %d)", command, changed, seed)
                        .isNotEqualTo(CommandReader.read("find", raw(command)).fingerprint());
            }
        }
        assertThat(shapeChanges).as("most changes change the shape").isGreaterThan(2_500);
    }

    @Test
    void read_takesTheCollection_andStopsAtTheDriversOwnFields() {
        BsonDocument bare = BsonDocument.parse("{find: 'users', filter: {user_id: 5}, limit: 1}");
        BsonDocument sent = BsonDocument.parse("{find: 'users', filter: {user_id: 7}, limit: 1, $db: 'bot',"
                + " lsid: {id: {$binary: {base64: 'AAAAAAAAAAAAAAAAAAAAAA==', subType: '04'}}},"
                + " $clusterTime: {clusterTime: {$timestamp: {t: 1, i: 1}}}}");

        CommandReader.Reading reading = CommandReader.read("find", raw(sent));
        assertThat(reading.collection()).isEqualTo("users");
        assertThat(reading.fingerprint())
                .isEqualTo(CommandReader.read("find", raw(bare)).fingerprint());
        assertThat(reading.fingerprint())
                .isNotEqualTo(CommandReader.read("find", raw(BsonDocument.parse("{find: 'users', filter: {name: 5}}")))
                        .fingerprint());
    }

    @Test
    void read_findsTheFilterOfEveryProfiledCommand() {
        Map<String, String> commands = Map.of(
                "update", "{update: 'users', updates: [{q: {user_id: 1}, u: {$inc: {xp: 1}}}, {q: {x: 1}, u: {}}]}",
                "delete", "{delete: 'users', deletes: [{q: {user_id: 1}, limit: 1}]}",
                "aggregate", "{aggregate: 'users', pipeline: [{$match: {user_id: 1}}, {$group: {_id: 1}}]}",
                "count", "{count: 'users', query: {user_id: 1}}",
                "distinct", "{distinct: 'users', key: 'name', query: {user_id: 1}}",
                "findAndModify", "{findAndModify: 'users', query: {user_id: 1}, update: {$set: {a: 1}}}");
        long findByUser = CommandReader.read("find", raw(BsonDocument.parse("{find: 'users', filter: {user_id: 9}}")))
                .fingerprint();
        commands.forEach((name, json) -> {
            BsonDocument command = BsonDocument.parse(json);
            assertThat(CommandReader.read(name, raw(command)))
                    .as(name)
                    .isEqualTo(new CommandReader.Reading("users", findByUser));
            assertThat(CommandReader.filterOf(name, command)).as(name).containsOnlyKeys("user_id");
        });
        assertThat(CommandReader.read(
                                "getMore",
                                raw(BsonDocument.parse("{getMore: {$numberLong: '12'}, collection: 'users'}")))
                        .collection())
                .isEqualTo("users");
        assertThat(CommandReader.read("find", raw(BsonDocument.parse("{find: '  ', filter: {}}")))
                        .collection())
                .isNull();
    }

    @Test
    void read_filterDeeperThanMongoDbAllows_isRefused() {
        BsonDocument deep = new BsonDocument("x", new BsonInt32(1));
        for (int i = 0; i < 150; i++) {
            deep = new BsonDocument("$and", new BsonArray(List.of(deep)));
        }
        BsonDocument command = new BsonDocument("find", new BsonString("users")).append("filter", deep);

        assertThatThrownBy(() -> CommandReader.read("find", raw(command)))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("nested deeper than 100");
    }

    @Test
    void resultCount_readsBatchesCountsAndValues() {
        assertThat(count("find", "{cursor: {id: 0, ns: 'a.b', firstBatch: [{a: 1}, {a: 2}, {a: 3}]}, ok: 1}"))
                .isEqualTo(3);
        assertThat(count("getMore", "{cursor: {id: 5, ns: 'a.b', nextBatch: [{a: 1}, {a: 2}]}, ok: 1}"))
                .isEqualTo(2);
        assertThat(count("update", "{n: 5, nModified: 4, ok: 1}")).isEqualTo(5);
        assertThat(count("count", "{n: {$numberLong: '7'}, ok: 1}")).isEqualTo(7);
        assertThat(count("distinct", "{values: ['a', 'b', 'c', 'd'], ok: 1}")).isEqualTo(4);
        assertThat(count("find", "{cursor: {id: 0, ns: 'a.b'}, ok: 1}")).isEqualTo(-1);
        assertThat(count("insert", "{ok: 1}")).isEqualTo(-1);
    }

    @Test
    void collectionOf_readsTheCommandsOwnField() {
        assertThat(CommandReader.collectionOf("drop", raw(BsonDocument.parse("{drop: 'users', $db: 'x'}"))))
                .isEqualTo("users");
        assertThat(CommandReader.collectionOf("createIndexes", BsonDocument.parse("{createIndexes: 'users'}")))
                .isEqualTo("users");
        assertThat(CommandReader.collectionOf("killCursors", BsonDocument.parse("{killCursors: 1}")))
                .isNull();
    }

    /**
     * The one-step structural changes of a filter: an array between one element and several, a
     * literal to another BSON type.
     */
    private static void collectChanges(BsonValue value, List<Runnable> changes) {
        if (value instanceof BsonDocument document) {
            for (String key : List.copyOf(document.keySet())) {
                BsonValue child = document.get(key);
                if (child.isDocument() || child.isArray()) {
                    collectChanges(child, changes);
                } else {
                    changes.add(() -> document.put(key, otherType(child)));
                }
            }
        } else if (value instanceof BsonArray array) {
            changes.add(() -> {
                if (array.size() == 1) {
                    array.add(array.get(0));
                } else {
                    array.subList(1, array.size()).clear();
                }
            });
            for (int i = 0; i < array.size(); i++) {
                BsonValue element = array.get(i);
                int index = i;
                if (element.isDocument() || element.isArray()) {
                    collectChanges(element, changes);
                } else {
                    changes.add(() -> array.set(index, otherType(element)));
                }
            }
        }
    }

    private static BsonValue otherType(BsonValue value) {
        return value.isString() ? new BsonInt32(1) : new BsonString("x");
    }

    /** All a shape tells (QueryShape.equals compares only the rendering; index advice uses the rest). */
    private static String described(QueryShape shape) {
        return shape.shape() + " eq=" + shape.equalityFields() + " range=" + shape.rangeFields() + " sort="
                + shape.sortFields();
    }

    private static long count(String name, String json) {
        long fromBytes = CommandReader.resultCount(name, RawBsonDocument.parse(json));
        assertThat(CommandReader.resultCount(name, BsonDocument.parse(json)))
                .as("decoded and raw replies count alike")
                .isEqualTo(fromBytes);
        return fromBytes;
    }

    private static BsonDocument findCommand(BsonDocument filter, BsonDocument sort) {
        BsonDocument command = new BsonDocument("find", new BsonString("users")).append("filter", filter);
        if (sort != null) {
            command.append("sort", sort);
        }
        return command.append("limit", new BsonInt32(1)).append("$db", new BsonString("bot"));
    }

    private static RawBsonDocument raw(BsonDocument document) {
        return new RawBsonDocument(document, new BsonDocumentCodec());
    }

    /** A random filter: structure from {@code shape}, literal values from {@code values}. */
    private static BsonDocument filter(SplittableRandom shape, SplittableRandom values, int depth) {
        BsonDocument filter = new BsonDocument();
        int clauses = 1 + shape.nextInt(3);
        for (int i = 0; i < clauses; i++) {
            int kind = shape.nextInt(depth < 3 ? 6 : 4);
            String field = FIELDS[shape.nextInt(FIELDS.length)];
            switch (kind) {
                case 0, 1 -> filter.append(field, literal(shape, values, depth));
                case 2, 3 -> {
                    BsonDocument operators = new BsonDocument();
                    int count = 1 + shape.nextInt(2);
                    for (int j = 0; j < count; j++) {
                        String operator = OPERATORS[shape.nextInt(OPERATORS.length)];
                        operators.append(
                                operator,
                                operator.equals("$in") || operator.equals("$nin")
                                        ? array(shape, values, depth)
                                        : literal(shape, values, depth));
                    }
                    filter.append(field, operators);
                }
                case 4 -> {
                    BsonArray branches = new BsonArray();
                    int count = 1 + shape.nextInt(3);
                    for (int j = 0; j < count; j++) {
                        branches.add(filter(shape, values, depth + 1));
                    }
                    filter.append(shape.nextBoolean() ? "$or" : "$and", branches);
                }
                default -> filter.append(field, new BsonDocument("$elemMatch", filter(shape, values, depth + 1)));
            }
        }
        return filter;
    }

    private static BsonArray array(SplittableRandom shape, SplittableRandom values, int depth) {
        BsonArray array = new BsonArray();
        int size = shape.nextInt(4) == 0 ? 1 : 2 + shape.nextInt(3);
        for (int i = 0; i < size; i++) {
            array.add(literal(shape, values, depth + 1));
        }
        return array;
    }

    private static BsonValue literal(SplittableRandom shape, SplittableRandom values, int depth) {
        int type = shape.nextInt(depth < 3 ? 11 : 10);
        return switch (type) {
            case 0 -> new BsonInt32(values.nextInt());
            case 1 -> new BsonInt64(values.nextLong());
            case 2 -> new BsonDouble(values.nextDouble());
            case 3 -> new BsonString("s" + values.nextInt(1_000));
            case 4 -> BsonBoolean.valueOf(values.nextBoolean());
            case 5 -> BsonNull.VALUE;
            case 6 -> new BsonDateTime(values.nextLong(1L << 40));
            case 7 -> new BsonObjectId(new ObjectId());
            case 8 -> new BsonRegularExpression("^" + values.nextInt(100));
            case 9 -> array(shape, values, depth);
            default -> new BsonDocument("k" + shape.nextInt(3), literal(shape, values, depth + 1));
        };
    }
}
