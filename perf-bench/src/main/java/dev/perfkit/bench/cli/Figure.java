package dev.perfkit.bench.cli;

import org.bson.Document;

/**
 * One measured figure of a performance report.
 *
 * @param id stable identifier, e.g. {@code cache.hit.perfkit}; what comparisons and budgets key on
 * @param group the subsystem, e.g. {@code cache}
 * @param name a human-readable name
 * @param value the value
 * @param unit its unit: {@code ns/op}, {@code ops/s}, {@code x} (a ratio), {@code %}, {@code MB}, ...
 * @param higherIsBetter whether a larger value is an improvement
 */
public record Figure(String id, String group, String name, double value, String unit, boolean higherIsBetter) {

    Document toDocument() {
        return new Document("id", id)
                .append("group", group)
                .append("name", name)
                .append("value", value)
                .append("unit", unit)
                .append("higherIsBetter", higherIsBetter);
    }

    static Figure fromDocument(Document document) {
        return new Figure(
                document.getString("id"),
                document.getString("group"),
                document.getString("name"),
                ((Number) document.get("value")).doubleValue(),
                document.getString("unit"),
                document.getBoolean("higherIsBetter", false));
    }

    /** The value formatted for tables: three significant digits, thousands separated. */
    String formatted() {
        return format(value) + " " + unit;
    }

    static String format(double value) {
        double magnitude = Math.abs(value);
        if (magnitude >= 1_000) {
            return String.format(java.util.Locale.ROOT, "%,.0f", value);
        }
        if (magnitude >= 100) {
            return String.format(java.util.Locale.ROOT, "%.0f", value);
        }
        if (magnitude >= 10) {
            return String.format(java.util.Locale.ROOT, "%.1f", value);
        }
        return String.format(java.util.Locale.ROOT, "%.2f", value);
    }
}
