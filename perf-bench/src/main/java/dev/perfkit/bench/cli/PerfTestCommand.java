package dev.perfkit.bench.cli;

import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import me.tongfei.progressbar.ProgressBar;
import me.tongfei.progressbar.ProgressBarBuilder;
import me.tongfei.progressbar.ProgressBarStyle;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code perfkit perf-test}: the measurement suite, with reports, comparison and budgets. */
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
    Path out;

    @Option(names = "--compare", paramLabel = "FILE", description = "A previous JSON report to compare with")
    Path compare;

    @Option(
            names = "--threshold",
            paramLabel = "PERCENT",
            defaultValue = "10",
            description = "How much worse a figure may get before --compare flags it (default: ${DEFAULT-VALUE} %%)")
    double threshold;

    @Option(
            names = "--budget",
            paramLabel = "FILE",
            description = "JSON budgets {\"figure.id\": {\"max\": x, \"min\": y}}; exit 3 when one is broken")
    Path budget;

    @Mixin
    MongoOption mongo = new MongoOption();

    @Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() throws Exception {
        PrintWriter out = spec.commandLine().getOut();
        String previous = compare == null ? null : Files.readString(compare);
        String budgets = budget == null ? null : Files.readString(budget);
        Report report;
        try (ProgressBar progress = new ProgressBarBuilder()
                .setTaskName(quick ? "perf-test --quick" : "perf-test")
                .setInitialMax(PerfTestSuite.stepCount())
                .setStyle(ProgressBarStyle.ASCII)
                .setConsumer(new me.tongfei.progressbar.ConsoleProgressBarConsumer(System.err))
                .build()) {
            report = new PerfTestSuite(quick, mongo.uri).run((index, name) -> {
                progress.stepTo(index);
                progress.setExtraMessage(name);
            });
            progress.stepTo(PerfTestSuite.stepCount());
        }
        out.println();
        out.print(report.toTable());
        if (save) {
            List<Path> files = report.save(out());
            out.println();
            files.forEach(file -> out.println("Saved " + file));
        }
        if (previous != null) {
            out.println();
            out.print(Comparison.render(
                    Comparison.compare(Report.readFigures(previous), report.figures(), threshold), threshold));
        }
        int exit = 0;
        if (budgets != null) {
            List<Budget.Violation> violations = Budget.check(budgets, report);
            out.println();
            out.print(Budget.render(violations));
            if (!violations.isEmpty()) {
                exit = PerfkitCli.BUDGET_BROKEN;
            }
        }
        out.flush();
        return exit;
    }

    private Path out() {
        return out;
    }
}
