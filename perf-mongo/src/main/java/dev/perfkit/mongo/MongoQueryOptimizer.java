package dev.perfkit.mongo;

import static java.util.Objects.requireNonNull;

import com.mongodb.MongoClientSettings;
import dev.perfkit.internal.QueryLimits;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;
import org.bson.BsonDocument;
import org.bson.BsonDocumentReader;
import org.bson.BsonRegularExpression;
import org.bson.Document;
import org.bson.codecs.DecoderContext;
import org.bson.codecs.DocumentCodec;
import org.bson.conversions.Bson;

/**
 * Rewrites MongoDB filters into equivalent, simpler ones — the seed's query optimization.
 *
 * <pre>{@code
 * Document q = MongoQueryOptimizer.optimizeQuery(
 *         or(eq("user_id", 1), eq("user_id", 2), eq("user_id", 3)));
 * // {"user_id": {"$in": [1, 2, 3]}}
 *
 * OptimizationResult r = MongoQueryOptimizer.analyze(filter);
 * r.rewrites();   // ["$or of 3 equalities on user_id -> $in", ...]
 * }</pre>
 *
 * <p>Rewrites, applied bottom-up:
 *
 * <ul>
 *   <li>{@code $or} of equalities on one field becomes {@code $in}, also partially: {@code
 *       $or:[{a:1},{b:2},{a:3}]} becomes {@code $or:[{b:2},{a:{$in:[1,3]}}]}; clauses that already
 *       are {@code {f:{$in:[...]}}} merge in;
 *   <li>duplicate values inside {@code $in} are removed;
 *   <li>nested {@code $and} (and {@code $or} inside {@code $or}) are flattened;
 *   <li>a single-clause {@code $or} or {@code $and} is unwrapped into its parent when no field
 *       collides.
 * </ul>
 *
 * <p>What is not provably equivalent is left alone: {@code {f: {$eq: <regex>}}} (a literal match,
 * unlike a regex inside {@code $in}) and regex literals, null equalities, array- or
 * document-valued equalities, range and other operator clauses, and clauses with several fields.
 * MongoDB 7.0 and later rewrite {@code $or} to {@code $in} themselves; the value here is older
 * servers, canonical cache keys (equivalent filters share one cache entry) and stable query shapes.
 *
 * <p>Stateless and thread-safe.
 */
public final class MongoQueryOptimizer {
    private static final DocumentCodec CODEC = new DocumentCodec(MongoClientSettings.getDefaultCodecRegistry());

    private MongoQueryOptimizer() {}

    /**
     * Returns the optimized filter.
     *
     * @param query the filter (a {@code Document}, a {@code Filters} expression, ...)
     * @return a new, equivalent document
     * @throws NullPointerException if {@code query} is null
     * @throws IllegalArgumentException if the query is nested deeper than MongoDB's 100 levels or
     *     has a key that is not a string
     */
    public static Document optimizeQuery(Bson query) {
        return rewrite(checkedDocument(query), null);
    }

    /**
     * The query as a Document, checked against {@link QueryLimits} before any recursive walk: a
     * 10,000-deep {@code $and} gets an IllegalArgumentException, not a StackOverflowError.
     */
    private static Document checkedDocument(Bson query) {
        requireNonNull(query, "query");
        if (query instanceof Document document) {
            QueryLimits.check("query", document);
            return document;
        }
        Document rendered;
        try {
            rendered = toDocument(query);
        } catch (StackOverflowError tooDeep) { // the driver's codecs recurse as deep as the input
            throw new IllegalArgumentException(
                    "query is nested too deeply to encode (MongoDB's limit is " + QueryLimits.MAX_DEPTH + " levels)");
        }
        QueryLimits.check("query", rendered);
        return rendered;
    }

    /**
     * Returns the optimized filter and the rewrites applied.
     *
     * @param query the filter
     * @return the result
     * @throws NullPointerException if {@code query} is null
     * @throws IllegalArgumentException if the query is nested deeper than MongoDB's 100 levels or
     *     has a key that is not a string
     */
    public static OptimizationResult analyze(Bson query) {
        List<String> rewrites = new ArrayList<>();
        // rewrite() builds new documents and copies every value it keeps, so a Document input can
        // be read as it is; other Bson is first rendered to a (fresh) Document.
        Document source = checkedDocument(query);
        Document optimized = rewrite(source, rewrites);
        return new OptimizationResult(optimized, rewrites);
    }

    /**
     * A deep copy of any filter as a {@code Document}, so the input is never touched and the result
     * shares nothing with it. A {@code Document} (the common case) is copied directly; other
     * {@code Bson} (the {@code Filters} builders) go through their BSON form, several times slower.
     */
    static Document toDocument(Bson query) {
        if (query instanceof Document document) {
            return copyDocument(document);
        }
        BsonDocument bson = query.toBsonDocument(BsonDocument.class, MongoClientSettings.getDefaultCodecRegistry());
        return CODEC.decode(
                new BsonDocumentReader(bson), DecoderContext.builder().build());
    }

    private static Document copyDocument(Map<?, ?> source) {
        Document copy = new Document();
        for (Map.Entry<?, ?> entry : source.entrySet()) {
            copy.put(String.valueOf(entry.getKey()), copyValue(entry.getValue()));
        }
        return copy;
    }

    private static Object copyValue(Object value) {
        if (value instanceof org.bson.BsonValue bsonValue) {
            if (bsonValue.isDocument() || bsonValue.isArray()) {
                Document holder = CODEC.decode(
                        new BsonDocumentReader(new BsonDocument("v", bsonValue)),
                        DecoderContext.builder().build());
                return holder.get("v");
            }
            return value;
        }
        if (value instanceof Map<?, ?> map) {
            return copyDocument(map);
        }
        if (value instanceof List<?> list) {
            List<Object> copy = new ArrayList<>(list.size());
            for (Object element : list) {
                copy.add(copyValue(element));
            }
            return copy;
        }
        if (value instanceof java.util.Date date) {
            return new java.util.Date(date.getTime());
        }
        if (value instanceof Bson bson) {
            return toDocument(bson); // a Filters expression nested in a Document
        }
        return value; // strings, numbers, ObjectIds, patterns, ...: immutable
    }

    /** Rewrites bottom-up into new documents; {@code rewrites} collects descriptions, or is null. */
    private static Document rewrite(Document query, List<String> rewrites) {
        Document out = new Document();
        for (Map.Entry<String, Object> entry : query.entrySet()) {
            String key = entry.getKey();
            Object value = entry.getValue();
            if ((key.equals("$and") || key.equals("$or")) && value instanceof List<?> list && allDocuments(list)) {
                List<Document> clauses = flatten(key, rewriteAll(list, rewrites), rewrites);
                if (key.equals("$or")) {
                    clauses = mergeEqualities(clauses, rewrites);
                }
                if (clauses.size() == 1 && canUnwrap(query, key, clauses.get(0), out)) {
                    if (rewrites != null) {
                        rewrites.add("unwrapped single-clause " + key);
                    }
                    out.putAll(clauses.get(0));
                } else {
                    out.put(key, clauses);
                }
            } else if (key.equals("$nor") && value instanceof List<?> list && allDocuments(list)) {
                out.put(key, rewriteAll(list, rewrites));
            } else if (!key.startsWith("$") && value instanceof Document operators && operators.containsKey("$in")) {
                out.put(key, dedupeIn(key, (Document) copyValue(operators), rewrites));
            } else {
                out.put(key, copyValue(value));
            }
        }
        return out;
    }

    private static boolean allDocuments(List<?> list) {
        if (list.isEmpty()) {
            return false; // {$or: []} is an error on the server; leave it for the server to report
        }
        for (Object element : list) {
            if (!(element instanceof Document)) {
                return false;
            }
        }
        return true;
    }

    private static List<Document> rewriteAll(List<?> clauses, List<String> rewrites) {
        List<Document> result = new ArrayList<>(clauses.size());
        for (Object clause : clauses) {
            result.add(rewrite((Document) clause, rewrites));
        }
        return result;
    }

    /** {$and:[{$and:[a,b]},c]} -> {$and:[a,b,c]}; the same for $or inside $or. */
    private static List<Document> flatten(String operator, List<Document> clauses, List<String> rewrites) {
        List<Document> flat = new ArrayList<>(clauses.size());
        for (Document clause : clauses) {
            if (clause.size() == 1 && clause.get(operator) instanceof List<?> inner && allDocuments(inner)) {
                if (rewrites != null) {
                    rewrites.add("flattened nested " + operator);
                }
                inner.forEach(element -> flat.add((Document) element));
            } else {
                flat.add(clause);
            }
        }
        return flat;
    }

    /** A lone clause can join its parent when none of its fields is already there. */
    private static boolean canUnwrap(Document parent, String operator, Document clause, Document built) {
        for (String field : clause.keySet()) {
            if ((parent.containsKey(field) && !field.equals(operator)) || built.containsKey(field)) {
                return false;
            }
        }
        return true;
    }

    private static List<Document> mergeEqualities(List<Document> clauses, List<String> rewrites) {
        Map<String, List<Integer>> byField = new LinkedHashMap<>();
        for (int i = 0; i < clauses.size(); i++) {
            String field = equalityField(clauses.get(i));
            if (field != null) {
                byField.computeIfAbsent(field, f -> new ArrayList<>()).add(i);
            }
        }
        Set<Integer> merged = new LinkedHashSet<>();
        List<Document> added = new ArrayList<>();
        byField.forEach((field, indexes) -> {
            if (indexes.size() < 2) {
                return;
            }
            LinkedHashSet<Object> values = new LinkedHashSet<>();
            for (int index : indexes) {
                values.addAll(equalityValues(clauses.get(index).get(field)));
                merged.add(index);
            }
            if (rewrites != null) {
                rewrites.add("$or of " + indexes.size() + " equalities on " + field + " -> $in");
            }
            added.add(new Document(field, new Document("$in", new ArrayList<>(values))));
        });
        if (merged.isEmpty()) {
            return clauses;
        }
        List<Document> result = new ArrayList<>();
        for (int i = 0; i < clauses.size(); i++) {
            if (!merged.contains(i)) {
                result.add(clauses.get(i));
            }
        }
        result.addAll(added);
        return result;
    }

    /** The field of a clause that is a provable equality on one field, else null. */
    private static String equalityField(Document clause) {
        if (clause.size() != 1) {
            return null;
        }
        Map.Entry<String, Object> only = clause.entrySet().iterator().next();
        if (only.getKey().startsWith("$")) {
            return null;
        }
        return equalityValues(only.getValue()) == null ? null : only.getKey();
    }

    /**
     * The values an equality clause's operand stands for: a plain literal, {@code {$eq: literal}}
     * or {@code {$in: [literals]}} — or null when the operand is anything else.
     */
    private static List<Object> equalityValues(Object operand) {
        if (operand instanceof Document operators) {
            if (operators.size() != 1) {
                return null;
            }
            if (operators.containsKey("$eq")) {
                Object value = operators.get("$eq");
                return isPlainLiteral(value) ? List.of(value) : null;
            }
            if (operators.get("$in") instanceof List<?> values && !values.isEmpty()) {
                for (Object value : values) {
                    if (!isPlainLiteral(value)) {
                        return null;
                    }
                }
                return new ArrayList<>(values);
            }
            return null;
        }
        return isPlainLiteral(operand) ? List.of(operand) : null;
    }

    /** Scalars whose equality and $in membership match the same documents. */
    private static boolean isPlainLiteral(Object value) {
        return value != null
                && !(value instanceof Map<?, ?>)
                && !(value instanceof Collection<?>)
                && !(value instanceof Object[])
                && !(value instanceof Pattern)
                && !(value instanceof BsonRegularExpression);
    }

    /**
     * Drops repeated plain literals from {@code $in}. Documents and arrays are kept as they are:
     * Java's map equality ignores field order and MongoDB's does not ({@code {x:1,y:2}} and {@code
     * {y:2,x:1}} match different documents), so only values whose Java equality is MongoDB's may be
     * merged.
     */
    private static Document dedupeIn(String field, Document operators, List<String> rewrites) {
        if (!(operators.get("$in") instanceof List<?> values)) {
            return operators;
        }
        LinkedHashSet<Object> literals = new LinkedHashSet<>();
        List<Object> kept = new ArrayList<>(values.size());
        for (Object value : values) {
            if (!isPlainLiteral(value) || literals.add(value)) {
                kept.add(value);
            }
        }
        if (kept.size() == values.size()) {
            return operators;
        }
        if (rewrites != null) {
            rewrites.add("removed " + (values.size() - kept.size()) + " duplicate $in values on " + field);
        }
        Document copy = new Document(operators);
        copy.put("$in", kept);
        return copy;
    }
}
