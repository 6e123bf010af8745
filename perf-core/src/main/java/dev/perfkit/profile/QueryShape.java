package dev.perfkit.profile;

import static java.util.Objects.requireNonNull;

import dev.perfkit.internal.QueryLimits;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.Date;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.UUID;
import java.util.regex.Pattern;

/**
 * The shape of a query: its structure with every literal value replaced by a placeholder of the
 * value's type, plus the classification of its fields for index advice.
 *
 * <pre>{@code
 * QueryShape shape = QueryShape.of(Map.of("guild_id", 42L, "balance", Map.of("$gt", 100)),
 *                                  Map.of("balance", -1));
 * shape.shape();            // {"balance":{"$gt":"?number"},"guild_id":"?number"} sort {"balance":-1}
 * shape.equalityFields();   // [guild_id]
 * shape.sortFields();       // {balance=-1}
 * shape.indexKeys();        // {guild_id=1, balance=-1}
 * }</pre>
 *
 * <p><b>Shape string.</b> Field names and operators stay; literals become {@code "?string"}, {@code
 * "?number"}, {@code "?bool"}, {@code "?date"}, {@code "?objectId"}, {@code "?regex"}, {@code
 * "?null"} and so on. Keys of queries and operator documents are sorted, so {@code {a:1,b:2}} and
 * {@code {b:2,a:1}} share a shape; keys of embedded literal documents keep their order, because
 * MongoDB compares embedded documents in order. Literal arrays collapse to their distinct element
 * shapes ({@code $in:[1,2,3]} and {@code $in:[4]} are both {@code {"$in":["?number"]}}), so the
 * number of values never splits a group. The shape string contains no literal value.
 *
 * <p><b>Classification</b> follows MongoDB's Equality-Sort-Range guideline: a literal, {@code $eq}
 * or a single-value {@code $in} is an equality; {@code $gt}, {@code $gte}, {@code $lt}, {@code
 * $lte}, {@code $ne}, {@code $nin}, multi-value {@code $in}, {@code $regex} (or a regex literal),
 * {@code $exists} and other operators are ranges. Clauses of {@code $and} count as top-level;
 * {@code $elemMatch} on documents classifies {@code field.sub} paths; an {@code $or} whose clauses
 * are all equalities on one field counts like {@code $in}; other {@code $or} and all {@code $nor}
 * clauses are left out, since no single compound index serves them. A field that is both an
 * equality and a range is an equality; a sort field that is an equality is dropped from the sort,
 * and a range field that is sorted on is kept only as a sort field.
 *
 * <p>Instances are immutable; equal when their shape strings are equal.
 */
public final class QueryShape {
    private static final int MAX_DEPTH = 64;

    private final String filterShape;
    private final String shape;
    private final List<String> equalityFields;
    private final Map<String, Integer> sortFields;
    private final List<String> rangeFields;

    private QueryShape(
            String filterShape,
            String shape,
            List<String> equalityFields,
            Map<String, Integer> sortFields,
            List<String> rangeFields) {
        this.filterShape = filterShape;
        this.shape = shape;
        this.equalityFields = equalityFields;
        this.sortFields = sortFields;
        this.rangeFields = rangeFields;
    }

    /**
     * Computes the shape of a filter.
     *
     * @param query the filter, e.g. an {@code org.bson.Document}
     * @return its shape
     * @throws NullPointerException if {@code query} is null
     */
    public static QueryShape of(Map<String, ?> query) {
        return of(query, Map.of());
    }

    /**
     * Computes the shape of a filter with its sort.
     *
     * @param query the filter
     * @param sort the sort specification ({@code {"balance": -1}}), empty for none
     * @return its shape
     * @throws NullPointerException if an argument is null
     * @throws IllegalArgumentException if the query or sort is nested deeper than {@value
     *     QueryLimits#MAX_DEPTH} levels or has a key that is not a string
     */
    public static QueryShape of(Map<String, ?> query, Map<String, ?> sort) {
        requireNonNull(query, "query");
        requireNonNull(sort, "sort");
        QueryLimits.check("query", query);
        QueryLimits.check("sort", sort);
        StringBuilder text = new StringBuilder();
        renderQuery(query, text, 0);
        String filterShape = text.toString();

        Map<String, Integer> sortFields = new LinkedHashMap<>();
        for (Map.Entry<String, ?> entry : sort.entrySet()) {
            if (entry.getValue() instanceof Number number) {
                sortFields.put(String.valueOf(entry.getKey()), number.doubleValue() < 0 ? -1 : 1);
            }
        }
        String shape = filterShape;
        if (!sortFields.isEmpty()) {
            StringBuilder sortText = new StringBuilder(" sort {");
            sortFields.forEach((field, direction) -> {
                if (sortText.length() > " sort {".length()) {
                    sortText.append(',');
                }
                quote(field, sortText);
                sortText.append(':').append(direction);
            });
            shape = filterShape + sortText.append('}');
        }

        Map<String, Boolean> kinds = new LinkedHashMap<>(); // field -> is equality
        classifyQuery(query, "", kinds, 0);
        List<String> equality = new ArrayList<>();
        List<String> range = new ArrayList<>();
        kinds.forEach((field, isEquality) -> {
            if (isEquality) {
                equality.add(field);
            } else if (!sortFields.containsKey(field)) {
                range.add(field);
            }
        });
        equality.forEach(sortFields::remove);
        return new QueryShape(
                filterShape, shape, List.copyOf(equality), Collections.unmodifiableMap(sortFields), List.copyOf(range));
    }

    /** Returns the shape of the filter and, when there is one, the sort: the grouping key. */
    public String shape() {
        return shape;
    }

    /** Returns the shape of the filter alone. */
    public String filterShape() {
        return filterShape;
    }

    /** Returns the fields compared for equality, in query order. */
    public List<String> equalityFields() {
        return equalityFields;
    }

    /** Returns the sort fields that are not equality fields, in sort order, with their directions. */
    public Map<String, Integer> sortFields() {
        return sortFields;
    }

    /** Returns the fields compared by range (and not sorted on), in query order. */
    public List<String> rangeFields() {
        return rangeFields;
    }

    /**
     * Returns the keys of the index that would serve this query best by the Equality-Sort-Range
     * rule: equality fields ascending, then sort fields in their directions, then range fields
     * ascending.
     *
     * @return the index keys in order; empty when no field can use an index
     */
    public LinkedHashMap<String, Integer> indexKeys() {
        LinkedHashMap<String, Integer> keys = new LinkedHashMap<>();
        equalityFields.forEach(field -> keys.put(field, 1));
        keys.putAll(sortFields);
        rangeFields.forEach(field -> keys.putIfAbsent(field, 1));
        return keys;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof QueryShape other && shape.equals(other.shape);
    }

    @Override
    public int hashCode() {
        return shape.hashCode();
    }

    /** Returns {@link #shape()}. */
    @Override
    public String toString() {
        return shape;
    }

    // ---- rendering

    private static void renderQuery(Map<?, ?> query, StringBuilder out, int depth) {
        if (depth > MAX_DEPTH) {
            out.append("\"?deep\"");
            return;
        }
        out.append('{');
        boolean first = true;
        for (Map.Entry<String, ?> entry : sorted(query).entrySet()) {
            if (!first) {
                out.append(',');
            }
            first = false;
            String key = entry.getKey();
            Object value = entry.getValue();
            quote(key, out);
            out.append(':');
            if (isLogical(key) && value instanceof Collection<?> clauses) {
                out.append('[');
                boolean firstClause = true;
                for (Object clause : clauses) {
                    if (!firstClause) {
                        out.append(',');
                    }
                    firstClause = false;
                    if (clause instanceof Map<?, ?> map) {
                        renderQuery(map, out, depth + 1);
                    } else {
                        renderLiteral(clause, out, depth + 1);
                    }
                }
                out.append(']');
            } else if (key.startsWith("$")) {
                renderLiteral(value, out, depth + 1);
            } else {
                renderFieldValue(value, out, depth + 1);
            }
        }
        out.append('}');
    }

    private static void renderFieldValue(Object value, StringBuilder out, int depth) {
        if (!(value instanceof Map<?, ?> map) || !isOperatorDocument(map) || depth > MAX_DEPTH) {
            renderLiteral(value, out, depth);
            return;
        }
        out.append('{');
        boolean first = true;
        for (Map.Entry<String, ?> entry : sorted(map).entrySet()) {
            if (!first) {
                out.append(',');
            }
            first = false;
            String operator = entry.getKey();
            Object operand = entry.getValue();
            quote(operator, out);
            out.append(':');
            if (operator.equals("$elemMatch") && operand instanceof Map<?, ?> inner) {
                if (isOperatorDocument(inner)) {
                    renderFieldValue(inner, out, depth + 1);
                } else {
                    renderQuery(inner, out, depth + 1);
                }
            } else if (operator.equals("$not")) {
                renderFieldValue(operand, out, depth + 1);
            } else {
                renderLiteral(operand, out, depth + 1);
            }
        }
        out.append('}');
    }

    private static void renderLiteral(Object value, StringBuilder out, int depth) {
        if (depth > MAX_DEPTH) {
            out.append("\"?deep\"");
        } else if (value instanceof Map<?, ?> document) {
            // An embedded document compared as a whole: its field order matters, so keep it.
            out.append('{');
            boolean first = true;
            for (Map.Entry<?, ?> entry : document.entrySet()) {
                if (!first) {
                    out.append(',');
                }
                first = false;
                quote(String.valueOf(entry.getKey()), out);
                out.append(':');
                renderLiteral(entry.getValue(), out, depth + 1);
            }
            out.append('}');
        } else if (value instanceof Collection<?> || value instanceof Object[]) {
            Collection<?> elements = value instanceof Object[] array ? List.of(array) : (Collection<?>) value;
            TreeSet<String> distinct = new TreeSet<>();
            for (Object element : elements) {
                StringBuilder one = new StringBuilder();
                renderLiteral(element, one, depth + 1);
                distinct.add(one.toString());
            }
            out.append('[').append(String.join(",", distinct)).append(']');
        } else {
            out.append("\"?").append(typeName(value)).append('"');
        }
    }

    /** The placeholder name of a literal's type; never the literal itself. */
    static String typeName(Object value) {
        if (value == null) {
            return "null";
        }
        if (value instanceof CharSequence || value instanceof Character || value instanceof Enum<?>) {
            return "string";
        }
        if (value instanceof Number) {
            return "number";
        }
        if (value instanceof Boolean) {
            return "bool";
        }
        if (value instanceof Date || value instanceof java.time.temporal.Temporal) {
            return "date";
        }
        if (value instanceof Pattern) {
            return "regex";
        }
        if (value instanceof UUID) {
            return "uuid";
        }
        if (value instanceof byte[]) {
            return "binary";
        }
        // BSON types, recognised by name so that core needs no driver.
        return switch (value.getClass().getSimpleName()) {
            case "ObjectId", "BsonObjectId" -> "objectId";
            case "Decimal128", "BsonDecimal128", "BsonInt32", "BsonInt64", "BsonDouble" -> "number";
            case "BsonString", "BsonSymbol" -> "string";
            case "BsonBoolean" -> "bool";
            case "BsonDateTime", "BsonTimestamp", "BSONTimestamp" -> "date";
            case "BsonRegularExpression" -> "regex";
            case "Binary", "BsonBinary" -> "binary";
            case "BsonNull", "BsonUndefined" -> "null";
            case "Code", "BsonJavaScript", "CodeWithScope", "BsonJavaScriptWithScope" -> "code";
            case "MinKey", "BsonMinKey" -> "minKey";
            case "MaxKey", "BsonMaxKey" -> "maxKey";
            default -> "value";
        };
    }

    private static boolean isRegex(Object value) {
        return value instanceof Pattern
                || (value != null && value.getClass().getSimpleName().equals("BsonRegularExpression"));
    }

    private static boolean isLogical(String key) {
        return key.equals("$and") || key.equals("$or") || key.equals("$nor");
    }

    private static boolean isOperatorDocument(Map<?, ?> map) {
        if (map.isEmpty()) {
            return false;
        }
        for (Object key : map.keySet()) {
            if (!(key instanceof String text) || !text.startsWith("$")) {
                return false;
            }
        }
        return true;
    }

    private static TreeMap<String, Object> sorted(Map<?, ?> map) {
        TreeMap<String, Object> sorted = new TreeMap<>();
        map.forEach((key, value) -> sorted.put(String.valueOf(key), value));
        return sorted;
    }

    private static void quote(String text, StringBuilder out) {
        out.append('"');
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            if (c == '"' || c == '\\') {
                out.append('\\');
            }
            out.append(c);
        }
        out.append('"');
    }

    // ---- classification

    private static void classifyQuery(Map<?, ?> query, String prefix, Map<String, Boolean> kinds, int depth) {
        if (depth > MAX_DEPTH) {
            return;
        }
        for (Map.Entry<?, ?> entry : query.entrySet()) {
            String key = String.valueOf(entry.getKey());
            Object value = entry.getValue();
            if (key.equals("$and") && value instanceof Collection<?> clauses) {
                for (Object clause : clauses) {
                    if (clause instanceof Map<?, ?> map) {
                        classifyQuery(map, prefix, kinds, depth + 1);
                    }
                }
            } else if (key.equals("$or") && value instanceof Collection<?> clauses) {
                classifyOr(clauses, prefix, kinds, depth);
            } else if (!key.startsWith("$")) {
                classifyField(prefix + key, value, kinds, depth);
            }
        }
    }

    private static void classifyOr(Collection<?> clauses, String prefix, Map<String, Boolean> kinds, int depth) {
        if (clauses.size() == 1 && clauses.iterator().next() instanceof Map<?, ?> only) {
            classifyQuery(only, prefix, kinds, depth + 1);
            return;
        }
        // $or of equalities on a single field is a multi-value $in: a range. Anything else needs one
        // index per clause, which a compound recommendation cannot express.
        String field = null;
        for (Object clause : clauses) {
            if (!(clause instanceof Map<?, ?> map) || map.size() != 1) {
                return;
            }
            Map.Entry<?, ?> entry = map.entrySet().iterator().next();
            String key = String.valueOf(entry.getKey());
            if (key.startsWith("$") || (field != null && !field.equals(key)) || !isEquality(entry.getValue())) {
                return;
            }
            field = key;
        }
        if (field != null) {
            record(prefix + field, clauses.size() == 1, kinds);
        }
    }

    private static boolean isEquality(Object value) {
        if (isRegex(value)) {
            return false;
        }
        if (value instanceof Map<?, ?> map && isOperatorDocument(map)) {
            return map.size() == 1 && map.containsKey("$eq");
        }
        return true;
    }

    private static void classifyField(String path, Object value, Map<String, Boolean> kinds, int depth) {
        if (isRegex(value)) {
            record(path, false, kinds);
            return;
        }
        if (!(value instanceof Map<?, ?> operators) || !isOperatorDocument(operators)) {
            record(path, true, kinds);
            return;
        }
        boolean equality = false;
        boolean range = false;
        for (Map.Entry<?, ?> entry : operators.entrySet()) {
            String operator = String.valueOf(entry.getKey());
            Object operand = entry.getValue();
            switch (operator) {
                case "$eq" -> equality = true;
                case "$in" -> {
                    int size = operand instanceof Collection<?> values ? values.size() : -1;
                    boolean hasRegex = operand instanceof Collection<?> values
                            && values.stream().anyMatch(QueryShape::isRegex);
                    if (size == 1 && !hasRegex) {
                        equality = true;
                    } else {
                        range = true;
                    }
                }
                case "$elemMatch" -> {
                    if (operand instanceof Map<?, ?> inner && !isOperatorDocument(inner)) {
                        classifyQuery(inner, path + ".", kinds, depth + 1);
                    } else {
                        classifyField(path, operand, kinds, depth + 1);
                    }
                }
                case "$options", "$comment" -> {
                    // modifiers of another operator, not conditions of their own
                }
                default -> range = true; // $gt $gte $lt $lte $ne $nin $regex $exists $not $all $size ...
            }
        }
        if (equality || range) {
            record(path, equality, kinds);
        }
    }

    private static void record(String path, boolean equality, Map<String, Boolean> kinds) {
        kinds.merge(path, equality, Boolean::logicalOr);
    }
}
