package dev.perfkit.bench.cli;

import dev.perfkit.PerfConfig;
import dev.perfkit.PerfConfigException;
import dev.perfkit.mongo.MongoPerf;
import dev.perfkit.mongo.PingResult;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.ParameterException;

/**
 * Checks a command makes before it spends a minute measuring: everything that would otherwise fail
 * (or, worse, silently do nothing) only at the end of a run. Usage and configuration errors are
 * {@link ParameterException}s, so picocli prints the message and exits 2.
 */
final class Preflight {
    private static final Duration PING_TIMEOUT = Duration.ofSeconds(3);

    private Preflight() {}

    /** The configuration from the environment; a bad variable ({@code PERFORMANCE_MODE=turbo}) exits 2. */
    static PerfConfig config(CommandSpec spec) {
        try {
            return PerfConfig.fromEnvironment();
        } catch (PerfConfigException e) {
            throw new ParameterException(spec.commandLine(), "invalid configuration: " + e.getMessage(), e);
        }
    }

    /** Refuses a non-positive or non-finite number given to an option. */
    static double positive(CommandSpec spec, String option, double value) {
        if (!(value > 0) || Double.isInfinite(value)) {
            throw new ParameterException(spec.commandLine(), option + " must be a positive number: " + value);
        }
        return value;
    }

    /** Reads a file named by an option, or exits 2 naming the option, the file and the reason. */
    static String read(CommandSpec spec, String option, Path file) {
        try {
            return Files.readString(file);
        } catch (IOException e) {
            throw new ParameterException(
                    spec.commandLine(), option + " " + file + ": cannot read it (" + describe(e) + ")", e);
        }
    }

    /** Makes sure reports can be written into {@code directory} (creating it), or exits 2. */
    static void writableDirectory(CommandSpec spec, String option, Path directory) {
        try {
            Files.createDirectories(directory);
            Path probe = Files.createTempFile(directory, ".perfkit-write-check", ".tmp");
            Files.delete(probe);
        } catch (IOException | UnsupportedOperationException e) {
            throw new ParameterException(
                    spec.commandLine(),
                    option + " " + directory + ": cannot write reports there (" + describe(e) + ")",
                    e);
        }
    }

    /**
     * Pings the MongoDB a command was given, if any; when it cannot be used, prints {@code perfkit
     * <command>: <why>} on the command's error stream.
     *
     * @return whether the command may go on
     */
    static boolean mongoUsable(picocli.CommandLine.Model.CommandSpec spec, String uri) {
        String unreachable = unreachableMongoMessage(uri);
        if (unreachable == null) {
            return true;
        }
        java.io.PrintWriter err = spec.commandLine().getErr();
        err.println("perfkit " + spec.name() + ": " + unreachable);
        err.flush();
        return false;
    }

    /** Null when the MongoDB of {@code uri} is reachable (or none is named: embedded), else why not. */
    private static String unreachableMongoMessage(String uri) {
        if (uri == null || uri.isBlank()) {
            return null;
        }
        PingResult ping;
        try {
            ping = MongoPerf.ping(uri, PING_TIMEOUT);
        } catch (RuntimeException e) {
            return "MongoDB at " + uri + " cannot be used: " + e.getMessage();
        }
        return ping.reachable() ? null : "MongoDB at " + uri + " is not reachable: " + ping.message();
    }

    private static String describe(Exception e) {
        String message = e.getMessage();
        return e.getClass().getSimpleName() + (message == null ? "" : ": " + message);
    }

    /** Whether standard error is an interactive terminal (progress bars and ANSI codes only then). */
    static boolean onTerminal() {
        String term = System.getenv("TERM");
        return System.console() != null && term != null && !term.equals("dumb");
    }
}
