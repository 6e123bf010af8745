package dev.perfkit.bench.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayOutputStream;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

class PerfkitCliTest {

    /** Runs the CLI in-process, capturing what it prints. */
    private record Run(int exit, String out, String err) {}

    private static Run run(String... args) {
        CommandLine commandLine = PerfkitCli.commandLine();
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
        for (String command : new String[] {"check", "perf-test", "simulate", "monitor"}) {
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
                .contains("✅ Task pools")
                .contains("✅ Rate limiter")
                .contains("✅ Monitor")
                .contains("✅ MongoDB")
                .contains("change streams unavailable") // the embedded server runs without its oplog
                .contains("All 10 checks passed.")
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
                .contains("1 of 10 checks failed.");
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

    /** A run that was refused before measuring prints no table and no progress. */
    private static void assertRefusedBeforeMeasuring(Run run, int exit, String... messages) {
        assertThat(run.exit()).as(run.err()).isEqualTo(exit);
        assertThat(run.err()).contains(messages).doesNotContain("[1/").doesNotContain("Exception\n\tat");
        assertThat(run.out()).doesNotContain("figure");
    }

    @Test
    void perfTest_badInputs_areRefusedBeforeMeasuring(@TempDir Path dir) throws Exception {
        assertRefusedBeforeMeasuring(
                run("perf-test", "--quick", "--threshold", "0"), 2, "--threshold must be a positive");
        assertRefusedBeforeMeasuring(run("perf-test", "--quick", "--threshold", "-5"), 2, "--threshold");

        Path typo = Files.writeString(dir.resolve("typo.json"), "{\"mongo.find.ratio\": {\"maxx\": 5}}");
        assertRefusedBeforeMeasuring(
                run("perf-test", "--quick", "--budget", typo.toString()), 2, "unknown key 'maxx'", "typo.json");
        Path unknown = Files.writeString(dir.resolve("unknown.json"), "{\"mongo.find.ratoi\": {\"min\": 5}}");
        assertRefusedBeforeMeasuring(
                run("perf-test", "--quick", "--budget", unknown.toString()), 2, "unknown figure: 'mongo.find.ratoi'");
        Path broken = Files.writeString(dir.resolve("broken.json"), "{\"mongo.find.ratio\": ");
        assertRefusedBeforeMeasuring(run("perf-test", "--quick", "--budget", broken.toString()), 2, "not valid JSON");
        assertRefusedBeforeMeasuring(
                run(
                        "perf-test",
                        "--quick",
                        "--budget",
                        dir.resolve("missing.json").toString()),
                2,
                "cannot read");
        Path notReport = Files.writeString(dir.resolve("previous.json"), "{\"a\": 1}");
        assertRefusedBeforeMeasuring(
                run("perf-test", "--quick", "--compare", notReport.toString()), 2, "not a perfkit JSON report");

        Path file = Files.writeString(dir.resolve("a-file"), "x");
        assertRefusedBeforeMeasuring(
                run(
                        "perf-test",
                        "--quick",
                        "--save",
                        "--out",
                        file.resolve("reports").toString()),
                2,
                "cannot write reports there");
    }

    @Test
    @Timeout(value = 60, unit = TimeUnit.SECONDS)
    void perfTestAndSimulate_unreachableMongo_failBeforeMeasuring() throws Exception {
        int port;
        try (ServerSocket socket = new ServerSocket(0)) {
            port = socket.getLocalPort();
        }
        String uri = "mongodb://127.0.0.1:" + port + "/?connectTimeoutMS=300";
        assertRefusedBeforeMeasuring(run("perf-test", "--quick", "--mongo-uri", uri), 1, "not reachable");
        assertRefusedBeforeMeasuring(run("simulate", "--seconds", "1", "--mongo-uri", uri), 1, "not reachable");
        assertRefusedBeforeMeasuring(run("monitor", "--seconds", "1", "--mongo-uri", uri), 1, "not reachable");
    }

    @Test
    @Timeout(value = 120, unit = TimeUnit.SECONDS)
    void simulate_instances_twoLevelCacheHasNoStaleReads_perInstanceCachesDo() {
        Run run = run("simulate", "--instances", "2", "--users", "20", "--seconds", "2", "--redis", "embedded");

        assertThat(run.exit()).as(run.out() + run.err()).isZero(); // 1 would mean stale reads with Redis
        assertThat(run.out()).contains("no cache", "cache per instance", "two-level (Redis)", "stale reads");
        String stale = run.out()
                .lines()
                .filter(line -> line.startsWith("stale reads"))
                .findFirst()
                .orElseThrow();
        String[] cells = stale.trim().split("\\s+");
        assertThat(cells[cells.length - 1]).isEqualTo("0"); // two-level
        assertThat(cells[cells.length - 3]).isEqualTo("0"); // no cache
        assertThat(run("simulate", "--instances", "0").exit()).isEqualTo(2);
    }

    @Test
    @Timeout(value = 120, unit = TimeUnit.SECONDS)
    void monitor_servesTheDashboardWhileTheBotRuns() throws Exception {
        int port;
        try (ServerSocket socket = new ServerSocket(0)) {
            port = socket.getLocalPort();
        }
        java.net.URI status = java.net.URI.create("http://127.0.0.1:" + port + "/status");
        java.net.http.HttpClient http = java.net.http.HttpClient.newHttpClient();
        java.util.concurrent.CompletableFuture<Run> running = java.util.concurrent.CompletableFuture.supplyAsync(
                () -> run("monitor", "--seconds", "6", "--users", "20", "--port", String.valueOf(port)));
        // While it runs, the monitor sees the bot's commands as requests, and its cache and memory.
        org.awaitility.Awaitility.await()
                .atMost(java.time.Duration.ofSeconds(60))
                .ignoreExceptions()
                .untilAsserted(() -> {
                    String body = http.send(
                                    java.net.http.HttpRequest.newBuilder(status).build(),
                                    java.net.http.HttpResponse.BodyHandlers.ofString())
                            .body();
                    assertThat(body)
                            .contains("\"byName\"")
                            .contains("\"balance\"")
                            .contains("\"rssMb\"");
                });
        Run run = running.get(90, TimeUnit.SECONDS);
        assertThat(run.exit()).as(run.err()).isZero();
        assertThat(run.out())
                .contains("Dashboard: http://127.0.0.1:" + port + "/")
                .contains("Done: ");
        assertThatThrownBy(() -> http.send(
                        java.net.http.HttpRequest.newBuilder(status).build(),
                        java.net.http.HttpResponse.BodyHandlers.ofString()))
                .isInstanceOf(java.io.IOException.class); // the server is gone with the bot
        assertThat(run("monitor", "--port", "70000").exit()).isEqualTo(2);
    }

    @Test
    void invalidPerformanceMode_exitsTwoWithTheMessage_inEveryCommand() {
        String previous = System.getProperty("perfkit.performance.mode");
        System.setProperty("perfkit.performance.mode", "turbo");
        try {
            assertRefusedBeforeMeasuring(run("perf-test", "--quick"), 2, "turbo", "low, medium, high");
            assertRefusedBeforeMeasuring(run("simulate", "--seconds", "1"), 2, "turbo");
            Run check = run("check");
            assertThat(check.exit()).isEqualTo(2);
            assertThat(check.out()).contains("turbo");
        } finally {
            if (previous == null) {
                System.clearProperty("perfkit.performance.mode");
            } else {
                System.setProperty("perfkit.performance.mode", previous);
            }
        }
    }

    @Test
    void jmh_usageErrors_exitTwoWithoutStackTraces(@TempDir Path dir) throws Exception {
        Run badOption = run("jmh", "-f", "notanumber");
        assertThat(badOption.exit()).isEqualTo(2);
        assertThat(badOption.err()).contains("bad JMH options").doesNotContain("\tat ");

        Path file = Files.writeString(dir.resolve("a-file"), "x");
        Run badResult = run(
                "jmh", "QueryShapeBenchmark", "-rff", file.resolve("out.json").toString());
        assertThat(badResult.exit()).isEqualTo(2);
        assertThat(badResult.err()).contains("-rff").doesNotContain("\tat ");

        Run noMatch = run("jmh", "NoSuchBenchmarkAnywhere");
        assertThat(noMatch.exit()).isEqualTo(2);
        assertThat(noMatch.err()).contains("no benchmark matches").doesNotContain("\tat ");
    }

    @Test
    void simulate_chatWorkload_sameDataWithFewerRoundTrips() {
        Run run = run("simulate", "--workload", "chat", "--users", "40", "--seconds", "1", "--seed", "3");

        assertThat(run.exit()).as(run.out() + run.err()).isZero();
        assertThat(run.out()).contains("Final data: identical in both runs");
        assertThat(run("simulate", "--workload", "fast").exit()).isEqualTo(2);
    }

    @Test
    void chatSimulation_toolkitOn_needsFewerRoundTripsPerEvent() {
        ChatBotSimulation.Result result = new ChatBotSimulation(40, java.time.Duration.ofMillis(500), 11).run(null);

        assertThat(result.identical()).isTrue();
        assertThat(result.on().events()).isEqualTo(result.off().events()).isPositive();
        assertThat((double) result.on().roundTrips() / result.on().events())
                .isLessThan((double) result.off().roundTrips() / result.off().events() / 4);
    }
}
