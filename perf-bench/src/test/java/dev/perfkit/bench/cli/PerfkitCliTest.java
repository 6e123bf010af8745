package dev.perfkit.bench.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import picocli.CommandLine;

class PerfkitCliTest {

    /** Runs the CLI in-process, capturing what it prints. */
    private record Run(int exit, String out, String err) {}

    private static Run run(String... args) {
        CommandLine commandLine = new CommandLine(new PerfkitCli());
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        commandLine.setOut(new java.io.PrintWriter(out, true, StandardCharsets.UTF_8));
        commandLine.setErr(new java.io.PrintWriter(err, true, StandardCharsets.UTF_8));
        int exit = commandLine.execute(args);
        return new Run(exit, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
    }

    @Test
    void help_listsTheCommandsAndExitsZero() {
        Run run = run("--help");

        assertThat(run.exit()).isZero();
        assertThat(run.out()).contains("check", "perf-test", "simulate", "jmh", "Exit codes");
    }

    @Test
    void noCommand_printsUsage() {
        Run run = run();

        assertThat(run.exit()).isZero();
        assertThat(run.out()).contains("Usage: perfkit");
    }

    @Test
    void badUsage_exitsTwoWithTheReason() {
        assertThat(run("no-such-command").exit()).isEqualTo(2);
        Run badOption = run("perf-test", "--threshold", "abc");
        assertThat(badOption.exit()).isEqualTo(2);
        assertThat(badOption.err()).contains("--threshold");
        Run badDuration = run("check", "--timeout", "soon");
        assertThat(badDuration.exit()).isEqualTo(2);
        assertThat(badDuration.err()).contains("'soon' is not a duration");
        assertThat(run("simulate", "--seconds", "0").exit()).isEqualTo(2);
    }

    @Test
    void everyCommandHasHelp() {
        for (String command : new String[] {"check", "perf-test", "simulate"}) {
            Run run = run(command, "--help");
            assertThat(run.exit()).as(command).isZero();
            assertThat(run.out()).as(command).contains("Usage: perfkit " + command);
        }
    }

    @Test
    @Timeout(value = 60, unit = TimeUnit.SECONDS)
    void check_embedded_allPass() {
        Run run = run("check");

        assertThat(run.exit()).as(run.out()).isZero();
        assertThat(run.out())
                .contains("OPTIMIZATION STATUS")
                .contains("✅ Modules")
                .contains("✅ Memory management")
                .contains("✅ Query cache")
                .contains("✅ Query profiler")
                .contains("✅ Batch processor")
                .contains("✅ MongoDB")
                .contains("All 7 checks passed.")
                .doesNotContain("❌");
    }

    @Test
    @Timeout(value = 30, unit = TimeUnit.SECONDS) // a hang, not a speed claim: the timeout asked for is 1 s
    void check_closedPort_failsWithTheReasonQuickly() throws Exception {
        int port;
        try (ServerSocket socket = new ServerSocket(0)) {
            port = socket.getLocalPort();
        }

        Run run = run("check", "--mongo-uri", "mongodb://localhost:" + port, "--timeout", "1s");

        assertThat(run.exit()).isEqualTo(PerfkitCli.FAILED);
        assertThat(run.out())
                .contains("❌ MongoDB")
                .contains("no server answered at mongodb://localhost:" + port + " within 1000 ms")
                .contains("1 of 7 checks failed.");
    }

    @Test
    @Timeout(value = 120, unit = TimeUnit.SECONDS)
    void simulate_tinyRun_balancesAgree() {
        Run run = run("simulate", "--users", "12", "--seconds", "1", "--seed", "7");

        assertThat(run.exit()).as(run.out()).isZero();
        assertThat(run.out())
                .contains("toolkit off", "toolkit on", "commands/s", "database round trips")
                .contains("Balances: identical in both runs (12 accounts")
                .contains("What the profiler found in the toolkit-off run");
    }
}
