package dev.perfkit.bench.cli;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The change of every figure between a previous report and this run, with regressions beyond a
 * threshold flagged (worse by more than {@code threshold} percent, in the figure's direction).
 */
final class Comparison {
    record Change(Figure before, Figure after, double percent, boolean regression) {}

    private Comparison() {}

    static List<Change> compare(Map<String, Figure> previous, List<Figure> current, double thresholdPercent) {
        List<Change> changes = new ArrayList<>();
        for (Figure after : current) {
            Figure before = previous.get(after.id());
            if (before == null || before.value() == 0) {
                continue;
            }
            double percent = (after.value() - before.value()) / Math.abs(before.value()) * 100;
            double worse = after.higherIsBetter() ? -percent : percent;
            changes.add(new Change(before, after, percent, worse > thresholdPercent));
        }
        return changes;
    }

    static String render(List<Change> changes, double thresholdPercent) {
        StringBuilder text = new StringBuilder(String.format(
                Locale.ROOT,
                "Compared with the previous report (regression: worse by more than %.0f %%):%n",
                thresholdPercent));
        for (Change change : changes) {
            text.append(String.format(
                    Locale.ROOT,
                    "  %s %-42s %14s -> %-14s %+7.1f %%%n",
                    change.regression() ? "REGRESSION" : "          ",
                    change.after().id(),
                    Figure.format(change.before().value()),
                    Figure.format(change.after().value()) + " " + change.after().unit(),
                    change.percent()));
        }
        long regressions = changes.stream().filter(Change::regression).count();
        text.append(regressions == 0 ? "  no regressions\n" : "  " + regressions + " regression(s)\n");
        return text.toString();
    }
}
