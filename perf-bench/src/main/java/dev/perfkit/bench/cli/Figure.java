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
 * @param noise the run-to-run spread of the value, in its unit; NaN for a single reading whose
 *     spread was not measured
 */
public record Figure(
        String id, String group, String name, double value, String unit, boolean higherIsBetter, double noise) {

    /** A single reading, without a measured spread. */
    Figure(String id, String group, String name, double value, String unit, boolean higherIsBetter) {
        this(id, group, name, value, unit, higherIsBetter, Double.NaN);
    }

    /** Whether the value's spread was measured (timed rounds), so a comparison can judge it. */
    boolean hasNoise() {
        return !Double.isNaN(noise);
    }

    Document toDocument() {
        Document document = new Document("id", id)
                .append("group", group)
                .append("name", name)
                .append("value", value)
                .append("unit", unit)
                .append("higherIsBetter", higherIsBetter);
        if (hasNoise()) {
            document.append("noise", noise);
        }
        return document;
    }

    static Figure fromDocument(Document document) {
        Object value = document.get("value");
        if (document.getString("id") == null || !(value instanceof Number)) {
            throw new IllegalArgumentException(
                    "a figure needs a string \"id\" and a numeric \"value\": " + document.toJson());
        }
        Object noise = document.get("noise");
        return new Figure(
                document.getString("id"),
                document.getString("group"),
                document.getString("name"),
                ((Number) value).doubleValue(),
                document.getString("unit"),
                document.getBoolean("higherIsBetter", false),
                noise instanceof Number number ? number.doubleValue() : Double.NaN);
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
