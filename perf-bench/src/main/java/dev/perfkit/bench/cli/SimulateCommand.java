package dev.perfkit.bench.cli;

import java.io.PrintWriter;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import org.HdrHistogram.Histogram;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code perfkit simulate}: the bank bot with the toolkit off and on, side by side. */
@Command(
        name = "simulate",
        mixinStandardHelpOptions = true,
        description = {
            "Runs a bank bot (balance checks, transfers, leaderboards, profile updates, one daily-interest run)",
            "twice on the same data: toolkit off (plain driver calls) and on (cached collections, batch writer,",
            "optimizer). Prints both side by side and what the profiler found in the off run.",
            "Exit 1 if the balances of the two runs differ."
        })
final class SimulateCommand implements Callable<Integer> {
    @Option(names = "--users", defaultValue = "200", description = "Accounts and users (default: ${DEFAULT-VALUE})")
    int users;

    @Option(
            names = "--seconds",
            defaultValue = "10",
            description =
                    "How long the off run works; the on run replays the same commands (default: ${DEFAULT-VALUE})")
    int seconds;

    @Option(names = "--seed", defaultValue = "42", description = "Seed of the command mix (default: ${DEFAULT-VALUE})")
    long seed;

    /** Which bot to simulate. */
    enum Workload {
        BANK,
        CHAT
    }

    @Option(
            names = "--workload",
            defaultValue = "bank",
            converter = WorkloadConverter.class,
            description = "bank: balances, transfers, leaderboards, interest; chat: a chat bot's settings reads, XP"
                    + " increments and economy commands, adopted as docs/adopting.md says (default: ${DEFAULT-VALUE})")
    Workload workload;

    /** Reads --workload case-insensitively. */
    static final class WorkloadConverter implements picocli.CommandLine.ITypeConverter<Workload> {
        @Override
        public Workload convert(String value) {
            try {
                return Workload.valueOf(value.strip().toUpperCase(Locale.ROOT));
            } catch (IllegalArgumentException e) {
                throw new picocli.CommandLine.TypeConversionException(
                        "'" + value + "' is not a workload: expected bank or chat");
            }
        }
    }

    @Option(
            names = "--instances",
            defaultValue = "1",
            description = "Run the bank bot as this many instances on one MongoDB, without a cache, with a cache"
                    + " per instance and with the two-level cache sharing one Redis (default: ${DEFAULT-VALUE})")
    int instances;

    @Option(
            names = "--redis",
            defaultValue = "${env:REDIS_URL}",
            paramLabel = "URI",
            description = "Redis for --instances: embedded (default when REDIS_URL is unset) or redis://...")
    String redis;

    @Mixin
    MongoOption mongo = new MongoOption();

    @Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() {
        if (seconds <= 0) {
            throw new picocli.CommandLine.ParameterException(
                    spec.commandLine(), "--seconds must be positive: " + seconds);
        }
        if (users <= 0) {
            throw new picocli.CommandLine.ParameterException(spec.commandLine(), "--users must be positive: " + users);
        }
        Preflight.config(spec);
        if (!Preflight.mongoUsable(spec, mongo.uri)) {
            return PerfkitCli.FAILED;
        }
        PrintWriter out = spec.commandLine().getOut();
        if (instances < 1) {
            throw new picocli.CommandLine.ParameterException(
                    spec.commandLine(), "--instances must be positive: " + instances);
        }
        if (instances > 1) {
            if (users < 2) {
                throw new picocli.CommandLine.ParameterException(
                        spec.commandLine(), "--users must be at least 2: " + users);
            }
            out.printf(
                    "Simulating %d instances of the bank bot (%d threads each), %d users, %d s per configuration,"
                            + " seed %d...%n",
                    instances, InstancesSimulation.THREADS_PER_INSTANCE, users, seconds, seed);
            out.flush();
            List<InstancesSimulation.RunResult> results =
                    new InstancesSimulation(instances, users, Duration.ofSeconds(seconds), seed).run(mongo.uri, redis);
            out.print(renderInstances(results));
            out.flush();
            boolean twoLevelStale = results.stream()
                    .anyMatch(r -> r.mode() == InstancesSimulation.Mode.TWO_LEVEL && r.staleReads() > 0);
            return twoLevelStale ? PerfkitCli.FAILED : 0;
        }
        if (workload == Workload.CHAT) {
            out.printf(
                    "Simulating a chat bot with %d members for %d s with seed %d, %d threads...%n",
                    users, seconds, seed, ChatBotSimulation.THREADS);
            out.flush();
            ChatBotSimulation.Result chat =
                    new ChatBotSimulation(users, Duration.ofSeconds(seconds), seed).run(mongo.uri);
            out.print(renderChat(chat));
            out.flush();
            return chat.identical() ? 0 : PerfkitCli.FAILED;
        }
        out.printf(
                "Simulating %d users for %d s with seed %d, %d threads...%n",
                users, seconds, seed, BankBotSimulation.THREADS);
        out.flush();
        BankBotSimulation.Result result =
                new BankBotSimulation(users, Duration.ofSeconds(seconds), seed).run(mongo.uri);
        out.print(render(result));
        out.flush();
        return result.balancesIdentical() ? 0 : PerfkitCli.FAILED;
    }

    static String render(BankBotSimulation.Result result) {
        BankBotSimulation.RunResult off = result.off();
        BankBotSimulation.RunResult on = result.on();
        StringBuilder text = new StringBuilder();
        String row = "%-34s %16s %16s%n";
        text.append(String.format(Locale.ROOT, row, "", off.label(), on.label()));
        text.append(String.format(Locale.ROOT, row, "commands", off.commands(), on.commands()));
        text.append(String.format(Locale.ROOT, row, "seconds", fmt(off.seconds()), fmt(on.seconds())));
        text.append(String.format(
                Locale.ROOT, row, "commands/s", fmt(off.commandsPerSecond()), fmt(on.commandsPerSecond())));
        text.append(String.format(Locale.ROOT, row, "database round trips", off.roundTrips(), on.roundTrips()));
        text.append(String.format(
                Locale.ROOT,
                row,
                "round trips per command",
                fmt((double) off.roundTrips() / off.commands()),
                fmt((double) on.roundTrips() / on.commands())));
        text.append(String.format(
                Locale.ROOT,
                row,
                "query cache hit ratio",
                Double.isNaN(off.cacheHitRatio()) ? "-" : fmt(off.cacheHitRatio()),
                Double.isNaN(on.cacheHitRatio()) ? "-" : fmt(on.cacheHitRatio())));
        for (BankBotSimulation.Type type : BankBotSimulation.Type.values()) {
            text.append(String.format(
                    Locale.ROOT,
                    row,
                    type.name().toLowerCase(Locale.ROOT) + " p50/p95/p99 (µs)",
                    percentiles(off.latencies().get(type)),
                    percentiles(on.latencies().get(type))));
        }
        text.append(String.format(
                Locale.ROOT,
                row,
                "RSS MB, start -> end",
                fmt(off.rssStartMb()) + " -> " + fmt(off.rssEndMb()),
                fmt(on.rssStartMb()) + " -> " + fmt(on.rssEndMb())));
        text.append(String.format(
                Locale.ROOT,
                "%nBalances: %s (%d accounts, total %s)%n",
                result.balancesIdentical() ? "identical in both runs" : "DIFFERENT between the runs",
                off.balances().size(),
                result.total().toPlainString()));
        text.append("\nWhat the profiler found in the toolkit-off run:\n");
        result.findings().forEach(finding -> text.append("  - ").append(finding).append('\n'));
        return text.toString();
    }

    static String renderInstances(List<InstancesSimulation.RunResult> results) {
        StringBuilder text = new StringBuilder();
        String row = "%-34s" + "%20s".repeat(results.size()) + "%n";
        Object[] header = new Object[results.size() + 1];
        header[0] = "";
        for (int i = 0; i < results.size(); i++) {
            header[i + 1] = results.get(i).mode().label;
        }
        text.append(String.format(Locale.ROOT, row, header));
        appendRow(text, row, "commands", results, r -> String.valueOf(r.commands()));
        appendRow(text, row, "commands/s", results, r -> fmt(r.commandsPerSecond()));
        appendRow(
                text,
                row,
                "MongoDB round trips per command",
                results,
                r -> fmt((double) r.roundTrips() / Math.max(1, r.commands())));
        appendRow(text, row, "balance p50/p95/p99 (µs)", results, r -> percentiles(r.reads()));
        appendRow(text, row, "transfer p50/p95/p99 (µs)", results, r -> percentiles(r.transfers()));
        appendRow(
                text,
                row,
                "hits in the instance's memory",
                results,
                r -> r.lookups() == 0 ? "-" : fmt((double) r.memoryHits() / r.lookups()));
        appendRow(
                text,
                row,
                "hits in Redis (cross-instance)",
                results,
                r -> r.lookups() == 0 ? "-" : fmt((double) r.redisHits() / r.lookups()));
        appendRow(
                text,
                row,
                "stale reads (> " + InstancesSimulation.WINDOW.toMillis() + " ms old)",
                results,
                r -> String.valueOf(r.staleReads()));
        text.append(String.format(
                Locale.ROOT,
                "%nA stale read returned a balance older than a transfer acknowledged more than %d ms before the read"
                        + " began. Per-instance caches cannot see each other's writes; the two-level cache must show 0.%n",
                InstancesSimulation.WINDOW.toMillis()));
        return text.toString();
    }

    private static void appendRow(
            StringBuilder text,
            String row,
            String label,
            List<InstancesSimulation.RunResult> results,
            java.util.function.Function<InstancesSimulation.RunResult, String> cell) {
        Object[] cells = new Object[results.size() + 1];
        cells[0] = label;
        for (int i = 0; i < results.size(); i++) {
            cells[i + 1] = cell.apply(results.get(i));
        }
        text.append(String.format(Locale.ROOT, row, cells));
    }

    static String renderChat(ChatBotSimulation.Result result) {
        ChatBotSimulation.RunResult off = result.off();
        ChatBotSimulation.RunResult on = result.on();
        StringBuilder text = new StringBuilder();
        String row = "%-34s %16s %16s%n";
        text.append(String.format(Locale.ROOT, row, "", off.label(), on.label()));
        text.append(String.format(Locale.ROOT, row, "events", off.events(), on.events()));
        text.append(String.format(Locale.ROOT, row, "seconds", fmt(off.seconds()), fmt(on.seconds())));
        text.append(String.format(Locale.ROOT, row, "events/s", fmt(off.eventsPerSecond()), fmt(on.eventsPerSecond())));
        text.append(String.format(Locale.ROOT, row, "database round trips", off.roundTrips(), on.roundTrips()));
        text.append(String.format(
                Locale.ROOT,
                row,
                "round trips per event",
                fmt((double) off.roundTrips() / off.events()),
                fmt((double) on.roundTrips() / on.events())));
        text.append(String.format(
                Locale.ROOT,
                row,
                "all events p50/p95/p99 (µs)",
                percentiles(merged(off.latencies().values())),
                percentiles(merged(on.latencies().values()))));
        for (ChatBotSimulation.Type type : ChatBotSimulation.Type.values()) {
            text.append(String.format(
                    Locale.ROOT,
                    row,
                    type.name().toLowerCase(Locale.ROOT) + " p50/p95/p99 (µs)",
                    percentiles(off.latencies().get(type)),
                    percentiles(on.latencies().get(type))));
        }
        text.append(String.format(
                Locale.ROOT,
                "%nFinal data: %s (%d documents)%n",
                result.identical() ? "identical in both runs" : "DIFFERENT between the runs",
                result.documents()));
        return text.toString();
    }

    private static Histogram merged(java.util.Collection<Histogram> histograms) {
        Histogram all = new Histogram(3_600_000_000L, 2);
        histograms.forEach(all::add);
        return all;
    }

    private static String percentiles(Histogram histogram) {
        if (histogram.getTotalCount() == 0) {
            return "-";
        }
        return histogram.getValueAtPercentile(50) + "/" + histogram.getValueAtPercentile(95) + "/"
                + histogram.getValueAtPercentile(99);
    }

    private static String fmt(double value) {
        return Figure.format(value);
    }
}
