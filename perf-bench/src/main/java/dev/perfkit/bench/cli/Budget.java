package dev.perfkit.bench.cli;

import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import org.bson.BSONException;
import org.bson.Document;
import org.bson.json.JsonParseException;

/**
 * Performance budgets for CI — the seeds' "performance budgets": a JSON object mapping figure ids
 * to bounds, e.g.
 *
 * <pre>{@code
 * {
 *   "optimizer.optimizeQuery": {"max": 5000},
 *   "mongo.find.ratio": {"min": 50}
 * }
 * }</pre>
 *
 * <p>Parsed strictly, before anything is measured: a typo (an unknown figure id, a bound named
 * {@code maxx}) would otherwise make a CI gate that never fails.
 */
final class Budget {
    record Violation(String id, double value, String unit, String bound) {}

    /** The bounds of one figure; either may be null. */
    record Bound(Double min, Double max) {}

    private static final Set<String> BOUND_KEYS = Set.of("min", "max");

    private Budget() {}

    /**
     * Parses and checks a budget file.
     *
     * @param budgetJson the file's text
     * @param knownIds the figure ids the suite measures
     * @return the bounds by figure id
     * @throws IllegalArgumentException for bad JSON, an unknown figure id, an unknown bound key, a
     *     bound that is not a number, or min above max
     */
    static Map<String, Bound> parse(String budgetJson, Collection<String> knownIds) {
        Document budgets;
        try {
            budgets = Document.parse(budgetJson);
        } catch (JsonParseException | BSONException | IllegalArgumentException e) {
            throw new IllegalArgumentException("not valid JSON for a budget object: " + e.getMessage(), e);
        }
        if (budgets.isEmpty()) {
            throw new IllegalArgumentException("no budgets: expected {\"figure.id\": {\"max\": x, \"min\": y}, ...}");
        }
        Map<String, Bound> bounds = new LinkedHashMap<>();
        for (Map.Entry<String, Object> entry : budgets.entrySet()) {
            String id = entry.getKey();
            if (!knownIds.contains(id)) {
                throw new IllegalArgumentException("budget names an unknown figure: '" + id + "' (figure ids: "
                        + String.join(", ", knownIds) + ")");
            }
            if (!(entry.getValue() instanceof Document bound) || bound.isEmpty()) {
                throw new IllegalArgumentException("budget for '" + id + "' must be an object with min and/or max");
            }
            for (Map.Entry<String, Object> limit : bound.entrySet()) {
                if (!BOUND_KEYS.contains(limit.getKey())) {
                    throw new IllegalArgumentException(
                            "budget for '" + id + "' has an unknown key '" + limit.getKey() + "' (expected min, max)");
                }
                if (!(limit.getValue() instanceof Number number) || !Double.isFinite(number.doubleValue())) {
                    throw new IllegalArgumentException("budget for '" + id + "': " + limit.getKey()
                            + " must be a number, not " + limit.getValue());
                }
            }
            Double min = bound.get("min") instanceof Number n ? n.doubleValue() : null;
            Double max = bound.get("max") instanceof Number n ? n.doubleValue() : null;
            if (min != null && max != null && min > max) {
                throw new IllegalArgumentException("budget for '" + id + "': min " + min + " is above max " + max);
            }
            bounds.put(id, new Bound(min, max));
        }
        return bounds;
    }

    static List<Violation> check(Map<String, Bound> bounds, Report report) {
        List<Violation> violations = new ArrayList<>();
        bounds.forEach((id, bound) -> {
            Figure figure = report.figure(id)
                    .orElseThrow(() -> new IllegalArgumentException("budget names an unmeasured figure: '" + id + "'"));
            if (bound.max() != null && figure.value() > bound.max()) {
                violations.add(new Violation(id, figure.value(), figure.unit(), "max " + Figure.format(bound.max())));
            }
            if (bound.min() != null && figure.value() < bound.min()) {
                violations.add(new Violation(id, figure.value(), figure.unit(), "min " + Figure.format(bound.min())));
            }
        });
        return violations;
    }

    static String render(List<Violation> violations) {
        if (violations.isEmpty()) {
            return "Every figure is within its budget.\n";
        }
        StringBuilder text = new StringBuilder("Budget broken:\n");
        for (Violation v : violations) {
            text.append(String.format(
                    Locale.ROOT, "  %s = %s %s (budget: %s)%n", v.id(), Figure.format(v.value()), v.unit(), v.bound()));
        }
        return text.toString();
    }
}
