package dev.perfkit.bench.cli;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.function.BiConsumer;
import me.tongfei.progressbar.ConsoleProgressBarConsumer;
import me.tongfei.progressbar.ProgressBar;
import me.tongfei.progressbar.ProgressBarBuilder;
import me.tongfei.progressbar.ProgressBarStyle;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/**
 * {@code perfkit perf-test}: the measurement suite, with reports, comparison and budgets. Every
 * input is checked before the run (configuration, --threshold, the --compare and --budget files,
 * the --out directory, --mongo-uri), and the table is printed even when saving fails.
 */
@Command(
        name = "perf-test",
        mixinStandardHelpOptions = true,
        description = {
            "Measures every perfkit subsystem against its baseline in one run and prints a table.",
            "--quick takes about a minute on 2 cores, the full suite a few minutes."
        })
final class PerfTestCommand implements Callable<Integer> {
    @Option(names = "--quick", description = "Shorter measurements (about a minute)")
    boolean quick;

    @Option(names = "--save", description = "Write <timestamp>.json, .md and .html reports")
    boolean save;

    @Option(
            names = "--out",
            paramLabel = "DIR",
            defaultValue = "performance_reports",
            description = "Where --save writes (default: ${DEFAULT-VALUE})")
    Path outDirectory;

    @Option(names = "--compare", paramLabel = "FILE", description = "A previous JSON report to compare with")
    Path compare;

    @Option(
            names = "--threshold",
            paramLabel = "PERCENT",
            defaultValue = "10",
            description = "How much worse a figure may get before --compare flags it, if that is also beyond"
                    + " both runs' measured spread (default: ${DEFAULT-VALUE} %%)")
    double threshold;

    @Option(
            names = "--budget",
            paramLabel = "FILE",
            description = "JSON budgets {\"figure.id\": {\"max\": x, \"min\": y}}; exit 3 when one is broken")
    Path budget;

    @Mixin
    MongoOption mongo = new MongoOption();

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() {
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        Preflight.config(spec);
        Preflight.positive(spec, "--threshold", threshold);
        Map<String, Figure> previous = compare == null ? null : previousFigures();
        Map<String, Budget.Bound> budgets = budget == null ? null : budgets();
        if (save) {
            Preflight.writableDirectory(spec, "--out", outDirectory);
        }
        if (!Preflight.mongoUsable(spec, mongo.uri)) {
            return PerfkitCli.FAILED;
        }

        Report report = measure();

        int exit = 0;
        out.println();
        out.print(report.toTable());
        if (previous != null) {
            out.println();
            out.print(Comparison.render(Comparison.compare(previous, report.figures(), threshold), threshold));
        }
        if (budgets != null) {
            List<Budget.Violation> violations = Budget.check(budgets, report);
            out.println();
            out.print(Budget.render(violations));
            if (!violations.isEmpty()) {
                exit = PerfkitCli.BUDGET_BROKEN;
            }
        }
        out.flush();
        if (save) {
            try {
                List<Path> files = report.save(out());
                out.println();
                files.forEach(file -> out.println("Saved " + file));
            } catch (IOException | RuntimeException e) {
                err.println("perfkit perf-test: could not save the reports in " + out() + ": " + e.getMessage()
                        + " (the results are printed above)");
                exit = exit == 0 ? PerfkitCli.FAILED : exit;
            }
        }
        out.flush();
        err.flush();
        return exit;
    }

    private Map<String, Figure> previousFigures() {
        String text = Preflight.read(spec, "--compare", compare);
        try {
            return Report.readFigures(text);
        } catch (RuntimeException e) {
            throw new ParameterException(
                    spec.commandLine(),
                    "--compare " + compare + ": not a perfkit JSON report (" + e.getMessage() + ")");
        }
    }

    private Map<String, Budget.Bound> budgets() {
        String text = Preflight.read(spec, "--budget", budget);
        try {
            return Budget.parse(text, PerfTestSuite.FIGURE_IDS);
        } catch (IllegalArgumentException e) {
            throw new ParameterException(spec.commandLine(), "--budget " + budget + ": " + e.getMessage());
        }
    }

    /** Runs the suite, with a progress bar on a terminal and plain progress lines otherwise. */
    private Report measure() {
        PerfTestSuite suite = new PerfTestSuite(quick, mongo.uri);
        if (!Preflight.onTerminal()) {
            PrintWriter err = spec.commandLine().getErr();
            BiConsumer<Integer, String> lines = (index, name) -> {
                err.printf("[%d/%d] %s%n", index + 1, PerfTestSuite.stepCount(), name);
                err.flush();
            };
            return suite.run(lines);
        }
        try (ProgressBar progress = new ProgressBarBuilder()
                .setTaskName(quick ? "perf-test --quick" : "perf-test")
                .setInitialMax(PerfTestSuite.stepCount())
                .setStyle(ProgressBarStyle.ASCII)
                .setConsumer(new ConsoleProgressBarConsumer(System.err))
                .build()) {
            Report report = suite.run((index, name) -> {
                progress.stepTo(index);
                progress.setExtraMessage(name);
            });
            progress.stepTo(PerfTestSuite.stepCount());
            return report;
        }
    }

    private Path out() {
        return outDirectory;
    }
}
