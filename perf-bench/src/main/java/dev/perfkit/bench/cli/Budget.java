package dev.perfkit.bench.cli;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.bson.Document;

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
 */
final class Budget {
    record Violation(String id, double value, String unit, String bound) {}

    private Budget() {}

    static List<Violation> check(String budgetJson, Report report) {
        Document budgets = Document.parse(budgetJson);
        List<Violation> violations = new ArrayList<>();
        for (String id : budgets.keySet()) {
            Document bound = budgets.get(id, Document.class);
            if (bound == null) {
                throw new IllegalArgumentException("budget for '" + id + "' must be an object with min and/or max");
            }
            Figure figure = report.figure(id)
                    .orElseThrow(() -> new IllegalArgumentException("budget names an unknown figure: '" + id + "'"));
            if (bound.get("max") instanceof Number max && figure.value() > max.doubleValue()) {
                violations.add(
                        new Violation(id, figure.value(), figure.unit(), "max " + Figure.format(max.doubleValue())));
            }
            if (bound.get("min") instanceof Number min && figure.value() < min.doubleValue()) {
                violations.add(
                        new Violation(id, figure.value(), figure.unit(), "min " + Figure.format(min.doubleValue())));
            }
        }
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
