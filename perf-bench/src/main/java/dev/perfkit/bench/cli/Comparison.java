package dev.perfkit.bench.cli;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The change of every figure between a previous report and this run. A change is a regression only
 * when it is for the worse (in the figure's direction) by more than {@code threshold} percent
 * <em>and</em> by more than the two runs' measured spreads together: two runs of the same code
 * differ by about their round-to-round spread, so a smaller change is noise, whatever its
 * percentage. Figures read once, without a measured spread (RSS, load counts), are shown but not
 * judged.
 */
final class Comparison {
    /** How a change was judged. */
    enum Verdict {
        REGRESSION,
        WITHIN_NOISE,
        OK,
        NOT_JUDGED
    }

    record Change(Figure before, Figure after, double percent, Verdict verdict) {
        boolean regression() {
            return verdict == Verdict.REGRESSION;
        }
    }

    private Comparison() {}

    static List<Change> compare(Map<String, Figure> previous, List<Figure> current, double thresholdPercent) {
        List<Change> changes = new ArrayList<>();
        for (Figure after : current) {
            Figure before = previous.get(after.id());
            if (before == null || before.value() == 0) {
                continue;
            }
            double difference = after.value() - before.value();
            double percent = difference / Math.abs(before.value()) * 100;
            double worsePercent = after.higherIsBetter() ? -percent : percent;
            double worse = after.higherIsBetter() ? -difference : difference;
            Verdict verdict;
            if (!before.hasNoise() || !after.hasNoise()) {
                verdict = Verdict.NOT_JUDGED;
            } else if (worsePercent <= thresholdPercent) {
                verdict = Verdict.OK;
            } else if (worse <= before.noise() + after.noise()) {
                verdict = Verdict.WITHIN_NOISE;
            } else {
                verdict = Verdict.REGRESSION;
            }
            changes.add(new Change(before, after, percent, verdict));
        }
        return changes;
    }

    static String render(List<Change> changes, double thresholdPercent) {
        StringBuilder text = new StringBuilder(String.format(
                Locale.ROOT,
                "Compared with the previous report (regression: worse by more than %s %% and by more than both runs'"
                        + " spread):%n",
                Figure.format(thresholdPercent)));
        for (Change change : changes) {
            String label =
                    switch (change.verdict()) {
                        case REGRESSION -> "REGRESSION";
                        case WITHIN_NOISE -> "noise     ";
                        case NOT_JUDGED -> "not judged";
                        case OK -> "          ";
                    };
            text.append(String.format(
                    Locale.ROOT,
                    "  %s %-42s %14s -> %-14s %+7.1f %%%n",
                    label,
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
