package dev.perfkit.mongo;

import dev.perfkit.internal.QueryLimits;
import dev.perfkit.internal.QueryShapeCache;
import java.util.LinkedHashMap;
import java.util.Map;
import org.bson.BsonArray;
import org.bson.BsonBinaryReader;
import org.bson.BsonDocument;
import org.bson.BsonReader;
import org.bson.BsonType;
import org.bson.BsonValue;
import org.bson.RawBsonDocument;

/*
 * Reads what the profiler needs from a driver command in one streaming pass, without building
 * values.
 *
 * Why: the command a listener gets is a view over the driver's network buffer, and every
 * BsonDocument.get on it scans the buffer again and decodes what it passes; iterating a filter
 * through the Map interface decodes every literal into a BsonValue. That was most of what
 * instrumentation cost per command. Here one BsonReader walks the command once: it takes the
 * collection name, and for the filter and sort it computes a structural fingerprint (field names
 * in order, the BSON type of each literal, nesting, and whether an array holds one element or
 * several) while skipping the literal bytes. The listener maps fingerprints to QueryShapes and
 * only decodes the filter (the slow way, through filterOf/sortOf) the first time a structure is
 * seen.
 *
 * The fingerprint distinguishes at least what QueryShape distinguishes: a shape depends only on
 * names, operators, literal types and array cardinality (one or several), and each BSON type
 * decodes to exactly one BsonValue class; array elements are combined as in QueryShapeCache (a
 * sum of the distinct element fingerprints). 64 bits: two structures share a shape only by colliding,
 * the same bet QueryShapeCache makes (about one in three hundred billion with ten thousand
 * structures).
 */
final class CommandReader {
    private static final long SEED = 0x9E3779B97F4A7C15L;
    private static final long NO_FILTER = mix(SEED, 0);

    /** What one pass found: the collection (null if none) and the fingerprint of filter and sort. */
    record Reading(String collection, long fingerprint) {}

    private CommandReader() {}

    /**
     * Reads a started command.
     *
     * @throws IllegalArgumentException if the filter is nested deeper than MongoDB allows
     */
    static Reading read(String name, BsonDocument command) {
        String collectionField = name.equals("getMore") ? "collection" : name;
        String collection = null;
        long filter = NO_FILTER;
        long sort = NO_FILTER;
        try (BsonReader reader = readerOf(command)) {
            reader.readStartDocument();
            BsonType type;
            while ((type = reader.readBsonType()) != BsonType.END_OF_DOCUMENT) {
                String field = reader.readName();
                if (field.startsWith("$")) {
                    // The driver appends its own fields ($db, then lsid, $clusterTime,
                    // $readPreference...) after the command's: nothing the profiler needs follows.
                    break;
                }
                if (field.equals(collectionField) && type == BsonType.STRING) {
                    collection = nonBlank(reader.readString());
                } else if (type == BsonType.DOCUMENT && isFilterField(name, field)) {
                    filter = document(reader, 1);
                } else if (type == BsonType.DOCUMENT && field.equals("sort") && hasSort(name)) {
                    sort = sort(reader);
                } else if (type == BsonType.ARRAY && isStatementsField(name, field)) {
                    filter = firstStatement(reader, name.equals("aggregate") ? "$match" : "q");
                } else {
                    reader.skipValue();
                }
            }
        }
        return new Reading(collection, mix(filter, sort));
    }

    /**
     * The collection a command names in its own field ({@code {drop: "users"}}), or null: what
     * Micrometer's command listener tags commands with.
     */
    static String collectionOf(String name, BsonDocument command) {
        try (BsonReader reader = readerOf(command)) {
            reader.readStartDocument();
            BsonType type;
            while ((type = reader.readBsonType()) != BsonType.END_OF_DOCUMENT) {
                String field = reader.readName();
                if (field.equals(name)) {
                    return type == BsonType.STRING ? nonBlank(reader.readString()) : null;
                }
                reader.skipValue();
            }
        }
        return null;
    }

    private static String nonBlank(String name) {
        String trimmed = name.trim();
        return trimmed.isEmpty() ? null : trimmed;
    }

    /** The filter of a command as a Map, decoded; for the first sighting of a structure only. */
    static Map<String, ?> filterOf(String name, BsonDocument command) {
        return switch (name) {
            case "find" -> documentOrEmpty(command.get("filter"));
            case "count", "distinct", "findAndModify" -> documentOrEmpty(command.get("query"));
            case "update" -> firstStatement(command.get("updates"), "q");
            case "delete" -> firstStatement(command.get("deletes"), "q");
            case "aggregate" -> firstStatement(command.get("pipeline"), "$match");
            default -> Map.of();
        };
    }

    /** The sort as field -> 1 / -1 in Java numbers, which QueryShape reads; {$meta: ...} sorts are left out. */
    static Map<String, ?> sortOf(String name, BsonDocument command) {
        if (!hasSort(name)) {
            return Map.of();
        }
        BsonValue sort = command.get("sort");
        if (sort == null || !sort.isDocument() || sort.asDocument().isEmpty()) {
            return Map.of();
        }
        Map<String, Integer> directions = new LinkedHashMap<>();
        sort.asDocument().forEach((field, direction) -> {
            if (direction.isNumber()) {
                directions.put(field, direction.asNumber().doubleValue() < 0 ? -1 : 1);
            }
        });
        return directions;
    }

    /**
     * The number of documents a reply returned ({@code firstBatch}/{@code nextBatch}) or affected
     * ({@code n}), or the values of a {@code distinct}; -1 when it says none of these.
     */
    static long resultCount(String name, BsonDocument reply) {
        String batchField = name.equals("getMore") ? "nextBatch" : "firstBatch";
        try (BsonReader reader = readerOf(reply)) {
            reader.readStartDocument();
            BsonType type;
            while ((type = reader.readBsonType()) != BsonType.END_OF_DOCUMENT) {
                String field = reader.readName();
                if (field.equals("cursor") && type == BsonType.DOCUMENT) {
                    return batchSize(reader, batchField);
                } else if (field.equals("n") && isNumber(type)) {
                    return readNumber(reader, type);
                } else if (field.equals("values") && type == BsonType.ARRAY) {
                    return countElements(reader);
                } else {
                    reader.skipValue();
                }
            }
        }
        return -1;
    }

    /**
     * A streaming reader over a document. A RawBsonDocument (the driver's replies) does not override
     * asBsonReader, whose default walks a fully decoded copy (about 1 µs for a small reply); a
     * binary reader over its bytes decodes nothing it skips. The driver's command view
     * (ByteBufBsonDocument) already reads its buffer.
     */
    private static BsonReader readerOf(BsonDocument document) {
        return document instanceof RawBsonDocument raw
                ? new BsonBinaryReader(raw.getByteBuffer().asNIO())
                : document.asBsonReader();
    }

    // ---- which fields hold what

    private static boolean isFilterField(String name, String field) {
        return switch (name) {
            case "find" -> field.equals("filter");
            case "count", "distinct", "findAndModify" -> field.equals("query");
            default -> false;
        };
    }

    private static boolean isStatementsField(String name, String field) {
        return switch (name) {
            case "update" -> field.equals("updates");
            case "delete" -> field.equals("deletes");
            case "aggregate" -> field.equals("pipeline");
            default -> false;
        };
    }

    private static boolean hasSort(String name) {
        return name.equals("find") || name.equals("findAndModify");
    }

    // ---- fingerprints

    private static long document(BsonReader reader, int depth) {
        checkDepth(depth);
        reader.readStartDocument();
        long hash = SEED;
        int size = 0;
        BsonType type;
        while ((type = reader.readBsonType()) != BsonType.END_OF_DOCUMENT) {
            hash = mix(hash, reader.readName().hashCode());
            hash = mix(hash, value(reader, type, depth + 1));
            size++;
        }
        reader.readEndDocument();
        return mix(hash, size);
    }

    private static long value(BsonReader reader, BsonType type, int depth) {
        switch (type) {
            case DOCUMENT:
                return mix(2, document(reader, depth));
            case ARRAY:
                checkDepth(depth);
                reader.readStartArray();
                QueryShapeCache.DistinctSum elements = new QueryShapeCache.DistinctSum();
                int count = 0;
                BsonType element;
                while ((element = reader.readBsonType()) != BsonType.END_OF_DOCUMENT) {
                    elements.add(mix(SEED, value(reader, element, depth + 1)));
                    count++;
                }
                reader.readEndArray();
                return mix(count == 1 ? 3 : 5, elements.sum());
            default:
                reader.skipValue();
                return 100 + type.ordinal();
        }
    }

    /** A sort reduced to what QueryShape reads: names and ascending / descending. */
    private static long sort(BsonReader reader) {
        reader.readStartDocument();
        long hash = mix(SEED, 11);
        BsonType type;
        while ((type = reader.readBsonType()) != BsonType.END_OF_DOCUMENT) {
            hash = mix(hash, reader.readName().hashCode());
            hash = mix(hash, isNumber(type) ? (readNumber(reader, type) < 0 ? 7 : 8) : skipped(reader, 9));
        }
        reader.readEndDocument();
        return hash;
    }

    /** The first statement's (or stage's) filter: updates[0].q, deletes[0].q, pipeline[0].$match. */
    private static long firstStatement(BsonReader reader, String field) {
        reader.readStartArray();
        long filter = NO_FILTER;
        boolean first = true;
        BsonType type;
        while ((type = reader.readBsonType()) != BsonType.END_OF_DOCUMENT) {
            if (first && type == BsonType.DOCUMENT) {
                reader.readStartDocument();
                BsonType inner;
                while ((inner = reader.readBsonType()) != BsonType.END_OF_DOCUMENT) {
                    String name = reader.readName();
                    if (name.equals(field) && inner == BsonType.DOCUMENT) {
                        filter = document(reader, 2);
                    } else {
                        reader.skipValue();
                    }
                }
                reader.readEndDocument();
            } else {
                reader.skipValue();
            }
            first = false;
        }
        reader.readEndArray();
        return filter;
    }

    private static void checkDepth(int depth) {
        if (depth > QueryLimits.MAX_DEPTH) {
            throw new IllegalArgumentException("filter is nested deeper than " + QueryLimits.MAX_DEPTH
                    + " levels of documents and arrays (MongoDB's limit)");
        }
    }

    // ---- replies

    private static long batchSize(BsonReader reader, String batchField) {
        reader.readStartDocument();
        BsonType type;
        while ((type = reader.readBsonType()) != BsonType.END_OF_DOCUMENT) {
            if (reader.readName().equals(batchField) && type == BsonType.ARRAY) {
                return countElements(reader);
            }
            reader.skipValue();
        }
        return -1;
    }

    private static long countElements(BsonReader reader) {
        reader.readStartArray();
        long count = 0;
        while (reader.readBsonType() != BsonType.END_OF_DOCUMENT) {
            reader.skipValue();
            count++;
        }
        reader.readEndArray();
        return count;
    }

    private static boolean isNumber(BsonType type) {
        return type == BsonType.INT32 || type == BsonType.INT64 || type == BsonType.DOUBLE;
    }

    private static long readNumber(BsonReader reader, BsonType type) {
        return switch (type) {
            case INT32 -> reader.readInt32();
            case INT64 -> reader.readInt64();
            default -> {
                double value = reader.readDouble();
                yield value < 0 ? -1 : (long) value;
            }
        };
    }

    private static long skipped(BsonReader reader, long marker) {
        reader.skipValue();
        return marker;
    }

    // ---- the slow path's decoding

    private static Map<String, ?> documentOrEmpty(BsonValue value) {
        return value != null && value.isDocument() ? value.asDocument() : Map.of();
    }

    private static Map<String, ?> firstStatement(BsonValue statements, String field) {
        if (statements != null && statements.isArray()) {
            BsonArray array = statements.asArray();
            if (!array.isEmpty() && array.get(0).isDocument()) {
                return documentOrEmpty(array.get(0).asDocument().get(field));
            }
        }
        return Map.of();
    }

    private static long mix(long hash, long value) {
        long h = (hash ^ value) * SEED;
        return h ^ (h >>> 29);
    }
}
