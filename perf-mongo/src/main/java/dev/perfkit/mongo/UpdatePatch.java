package dev.perfkit.mongo;

import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.Date;
import java.util.List;
import java.util.Map;
import org.bson.BsonDocument;
import org.bson.BsonValue;
import org.bson.Document;
import org.bson.types.Decimal128;

/*
 * An update a cached document can be brought up to date with, instead of dropped: the few
 * operators whose result perfkit computes exactly as the server does, and nothing else.
 *
 * Supported: $set of a plain value (string, number, boolean, ObjectId, date, null) and $inc of a
 * number, each on a top-level field other than _id that the document already has (so no field is
 * added and the field order stays the server's). $inc only between values of the same BSON type
 * (int + int without overflow, long + long without overflow, double + double, decimal + decimal
 * exactly representable), since mixed types and overflow promote on the server. Anything else
 * (another operator, a dotted path, an embedded document or array, a missing field, another type)
 * makes of() or apply() return null, and the caller invalidates as before.
 */
final class UpdatePatch {
    private record Step(boolean increment, String field, Object value) {}

    private final List<Step> steps;

    private UpdatePatch(List<Step> steps) {
        this.steps = steps;
    }

    /** The patch of an update document, or null when perfkit does not compute it exactly. */
    static UpdatePatch of(BsonDocument update) {
        List<Step> steps = new ArrayList<>();
        for (Map.Entry<String, BsonValue> operator : update.entrySet()) {
            boolean increment = operator.getKey().equals("$inc");
            if ((!increment && !operator.getKey().equals("$set"))
                    || !operator.getValue().isDocument()) {
                return null;
            }
            for (Map.Entry<String, BsonValue> field :
                    operator.getValue().asDocument().entrySet()) {
                String name = field.getKey();
                Object value = plain(field.getValue());
                if (name.isEmpty()
                        || name.indexOf('.') >= 0
                        || name.startsWith("$")
                        || name.equals("_id")
                        || value == UNSUPPORTED
                        || (increment && !(value instanceof Number || value instanceof Decimal128))) {
                    return null;
                }
                steps.add(new Step(increment, name, value));
            }
        }
        return steps.isEmpty() ? null : new UpdatePatch(List.copyOf(steps));
    }

    /** The document after the update, or null when it cannot be computed exactly. */
    Document apply(Document document) {
        Document updated = new Document(new java.util.LinkedHashMap<>(document));
        for (Step step : steps) {
            if (!updated.containsKey(step.field())) {
                return null; // the server would append it; where, perfkit does not guess
            }
            Object current = updated.get(step.field());
            Object next = step.increment() ? sum(current, step.value()) : step.value();
            if (next == UNSUPPORTED) {
                return null;
            }
            updated.put(step.field(), next);
        }
        return updated;
    }

    private static final Object UNSUPPORTED = new Object();

    private static Object sum(Object current, Object increment) {
        try {
            if (current instanceof Integer a && increment instanceof Integer b) {
                return Math.addExact(a, b);
            }
            if (current instanceof Long a && increment instanceof Long b) {
                return Math.addExact(a, b);
            }
            if (current instanceof Double a && increment instanceof Double b) {
                return a + b;
            }
            if (current instanceof Decimal128 a && increment instanceof Decimal128 b) {
                if (a.isNaN() || a.isInfinite() || b.isNaN() || b.isInfinite()) {
                    return UNSUPPORTED;
                }
                BigDecimal total = a.bigDecimalValue().add(b.bigDecimalValue());
                return new Decimal128(total); // throws when not exactly representable
            }
        } catch (ArithmeticException | IllegalArgumentException e) {
            return UNSUPPORTED; // overflow (the server widens), -0, or too many digits
        }
        return UNSUPPORTED;
    }

    /** A BSON value as the Document codec decodes it, when it is a plain scalar. */
    private static Object plain(BsonValue value) {
        return switch (value.getBsonType()) {
            case INT32 -> value.asInt32().getValue();
            case INT64 -> value.asInt64().getValue();
            case DOUBLE -> value.asDouble().getValue();
            case DECIMAL128 -> value.asDecimal128().getValue();
            case STRING -> value.asString().getValue();
            case BOOLEAN -> value.asBoolean().getValue();
            case OBJECT_ID -> value.asObjectId().getValue();
            case DATE_TIME -> new Date(value.asDateTime().getValue());
            case NULL -> null;
            default -> UNSUPPORTED;
        };
    }
}
