package dev.perfkit.mongo;

import java.util.Iterator;
import java.util.List;
import java.util.Map;
import org.bson.BsonArray;
import org.bson.BsonDocument;
import org.bson.BsonValue;

/**
 * Equality as MongoDB sees it when it compares documents: field order counts ({@code {x:1,y:2}} is
 * not {@code {y:2,x:1}}), recursively. {@link BsonDocument#equals} and {@link Map#equals} ignore
 * order, so neither may decide whether two query values or two stored documents are the same.
 */
final class BsonEquality {
    private BsonEquality() {}

    /** Returns whether two BSON values are equal, field order of every nested document included. */
    static boolean equalInOrder(BsonValue a, BsonValue b) {
        if (a == b) {
            return true;
        }
        if (a == null || b == null || a.getBsonType() != b.getBsonType()) {
            return false;
        }
        if (a instanceof BsonDocument left && b instanceof BsonDocument right) {
            return documentsEqualInOrder(left, right);
        }
        if (a instanceof BsonArray left && b instanceof BsonArray right) {
            return listsEqual(left.getValues(), right.getValues());
        }
        return a.equals(b);
    }

    private static boolean documentsEqualInOrder(BsonDocument left, BsonDocument right) {
        if (left.size() != right.size()) {
            return false;
        }
        Iterator<Map.Entry<String, BsonValue>> l = left.entrySet().iterator();
        Iterator<Map.Entry<String, BsonValue>> r = right.entrySet().iterator();
        while (l.hasNext()) {
            Map.Entry<String, BsonValue> x = l.next();
            Map.Entry<String, BsonValue> y = r.next();
            if (!x.getKey().equals(y.getKey()) || !equalInOrder(x.getValue(), y.getValue())) {
                return false;
            }
        }
        return true;
    }

    private static boolean listsEqual(List<BsonValue> left, List<BsonValue> right) {
        if (left.size() != right.size()) {
            return false;
        }
        for (int i = 0; i < left.size(); i++) {
            if (!equalInOrder(left.get(i), right.get(i))) {
                return false;
            }
        }
        return true;
    }
}
