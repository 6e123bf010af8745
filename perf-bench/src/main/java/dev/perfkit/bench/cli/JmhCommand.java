package dev.perfkit.bench.cli;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import org.openjdk.jmh.runner.NoBenchmarksException;
import org.openjdk.jmh.runner.Runner;
import org.openjdk.jmh.runner.RunnerException;
import org.openjdk.jmh.runner.options.CommandLineOptionException;
import org.openjdk.jmh.runner.options.CommandLineOptions;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Unmatched;

/**
 * {@code perfkit jmh [JMH options]}: runs the JMH benchmarks (see docs/performance-testing.md).
 * JMH's own {@code Main} exits 1 for everything and prints stack traces; this command parses the
 * options itself so that usage errors (bad options, no matching benchmark, a result file that
 * cannot be written) exit 2 with one line, and a failed run exits 1 with its message.
 */
@Command(
        name = "jmh",
        description = {
            "Runs the JMH benchmarks; every argument goes to JMH (try: jmh -l, jmh QueryCacheBenchmark -prof gc).",
            "Benchmarks: QueryCacheBenchmark, MemoryManagerBenchmark, QueryProfilerBenchmark, BatchProcessorBenchmark,",
            "QueryShapeBenchmark, MongoQueryOptimizerBenchmark, MongoWriteBenchmark, CachedFindBenchmark, CachedWriteBenchmark,",
            "InstrumentationBenchmark, CommandListenerBenchmark, TaskPoolBenchmark, KeyedRateLimiterBenchmark."
        })
final class JmhCommand implements Callable<Integer> {
    /** Every argument, in order, options included: JMH parses them. */
    @Unmatched
    List<String> arguments = new ArrayList<>();

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() throws Exception {
        CommandLineOptions options;
        try {
            options = new CommandLineOptions(arguments.toArray(String[]::new));
        } catch (CommandLineOptionException e) {
            throw new ParameterException(spec.commandLine(), "bad JMH options: " + e.getMessage());
        }
        if (options.shouldHelp()) {
            options.showHelp();
            return 0;
        }
        if (options.shouldListProfilers()) {
            options.listProfilers();
            return 0;
        }
        if (options.shouldListResultFormats()) {
            options.listResultFormats();
            return 0;
        }
        Runner runner = new Runner(options);
        if (options.shouldList()) {
            runner.list();
            return 0;
        }
        if (options.shouldListWithParams()) {
            runner.listWithParams(options);
            return 0;
        }
        if (options.getResult().hasValue()) {
            Path result = Path.of(options.getResult().get()).toAbsolutePath();
            Preflight.writableDirectory(spec, "-rff", result.getParent());
        }
        try {
            runner.run();
            return 0;
        } catch (NoBenchmarksException e) {
            throw new ParameterException(
                    spec.commandLine(), "no benchmark matches " + arguments + " (jmh -l lists them)");
        } catch (RunnerException e) {
            PrintWriter err = spec.commandLine().getErr();
            err.println("perfkit jmh: the benchmark run failed: " + rootMessage(e));
            err.flush();
            return PerfkitCli.FAILED;
        }
    }

    private static String rootMessage(Throwable failure) {
        Throwable current = failure;
        while (current.getCause() != null && current.getCause() != current) {
            current = current.getCause();
        }
        return current.getMessage() != null ? current.getMessage() : current.toString();
    }
}
