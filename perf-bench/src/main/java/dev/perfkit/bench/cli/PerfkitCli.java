package dev.perfkit.bench.cli;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/**
 * The {@code perfkit} command-line tool.
 *
 * <pre>
 * java -jar perf-bench/target/perfkit.jar check
 * java -jar perf-bench/target/perfkit.jar perf-test --quick --save
 * java -jar perf-bench/target/perfkit.jar simulate --users 200 --seconds 10
 * java -jar perf-bench/target/perfkit.jar jmh QueryCacheBenchmark -prof gc
 * </pre>
 *
 * <p>Exit codes: 0 success; 1 a check failed or the command could not run; 2 bad usage or an invalid
 * configuration (checked before anything is measured); 3 a performance budget was broken.
 */
@Command(
        name = "perfkit",
        mixinStandardHelpOptions = true,
        version = "perfkit 0.1.0-SNAPSHOT",
        description = "Checks, measures and exercises perfkit against an embedded MongoDB (or --mongo-uri).",
        subcommands = {
            CheckCommand.class,
            PerfTestCommand.class,
            SimulateCommand.class,
            MonitorCommand.class,
            JmhCommand.class,
            CommandLine.HelpCommand.class
        },
        exitCodeListHeading = "%nExit codes:%n",
        exitCodeList = {
            "0:success",
            "1:a check failed, or the command could not run",
            "2:bad usage or invalid configuration",
            "3:a performance budget was broken"
        })
public final class PerfkitCli implements Runnable {
    /** Exit code when a check failed or a command could not run. */
    static final int FAILED = 1;

    /** Exit code of bad usage or an invalid configuration (picocli's own for usage errors). */
    static final int BAD_USAGE = 2;

    /** Exit code when a figure broke its budget. */
    static final int BUDGET_BROKEN = 3;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    /**
     * Runs the tool.
     *
     * @param args the command line
     */
    public static void main(String[] args) {
        System.setProperty("java.awt.headless", "true");
        System.exit(execute(args));
    }

    /** Runs the tool and returns its exit code. */
    static int execute(String... args) {
        return commandLine().execute(args);
    }

    /** The configured command line: a command that fails prints one line, never a stack trace. */
    static CommandLine commandLine() {
        CommandLine commandLine = new CommandLine(new PerfkitCli());
        commandLine.setExecutionExceptionHandler((exception, cmd, parseResult) -> {
            cmd.getErr().println("perfkit " + cmd.getCommandName() + " failed: " + exception.getMessage());
            cmd.getErr().flush();
            return FAILED;
        });
        return commandLine;
    }

    @Override
    public void run() {
        spec.commandLine().usage(spec.commandLine().getOut());
    }
}
