package dev.perfkit.bench.cli;

import dev.perfkit.PerfConfig;
import dev.perfkit.monitor.Alert;
import dev.perfkit.monitor.AlertListener;
import dev.perfkit.monitor.MonitorServer;
import dev.perfkit.monitor.PerfMonitor;
import dev.perfkit.monitor.RequestReport;
import dev.perfkit.monitor.micrometer.MicrometerPerfMonitor;
import java.io.PrintWriter;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import java.util.concurrent.CopyOnWriteArrayList;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/** {@code perfkit monitor}: the bank bot with the monitor attached, and the dashboard's address. */
@Command(
        name = "monitor",
        mixinStandardHelpOptions = true,
        description = {
            "Runs the bank bot of 'perfkit simulate' (toolkit on) against the embedded MongoDB with the perfkit",
            "monitor attached, and prints the dashboard's address: open it while the bot runs. Every command",
            "is a request; cache, memory, queries and the connection pool are watched, alerts evaluated."
        })
final class MonitorCommand implements Callable<Integer> {
    @Option(
            names = "--port",
            defaultValue = "-1",
            description = "Dashboard port (default: PERF_MONITOR_PORT, else any free port)")
    int port;

    @Option(
            names = "--host",
            description = "Address to bind (default: PERF_MONITOR_HOST, 127.0.0.1); another address needs"
                    + " PERF_ADMIN_TOKEN")
    String host;

    @Option(names = "--seconds", defaultValue = "60", description = "How long the bot runs (default: ${DEFAULT-VALUE})")
    int seconds;

    @Option(names = "--users", defaultValue = "200", description = "Accounts and users (default: ${DEFAULT-VALUE})")
    int users;

    @Option(names = "--seed", defaultValue = "42", description = "Seed of the command mix (default: ${DEFAULT-VALUE})")
    long seed;

    @Option(
            names = "--evaluate-every",
            defaultValue = "5",
            description = "Seconds between alert evaluations (default: ${DEFAULT-VALUE})")
    int evaluateEvery;

    @Mixin
    MongoOption mongo = new MongoOption();

    @Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() {
        if (seconds <= 0) {
            throw new ParameterException(spec.commandLine(), "--seconds must be positive: " + seconds);
        }
        if (users < 2) {
            throw new ParameterException(spec.commandLine(), "--users must be at least 2: " + users);
        }
        if (port < -1 || port > 65_535) {
            throw new ParameterException(spec.commandLine(), "--port must be from 0 to 65535: " + port);
        }
        if (evaluateEvery <= 0) {
            throw new ParameterException(spec.commandLine(), "--evaluate-every must be positive: " + evaluateEvery);
        }
        PerfConfig environment = Preflight.config(spec);
        if (!Preflight.mongoUsable(spec, mongo.uri)) {
            return PerfkitCli.FAILED;
        }
        PrintWriter out = spec.commandLine().getOut();
        List<Alert> fired = new CopyOnWriteArrayList<>();
        BankBotSimulation simulation = new BankBotSimulation(users, Duration.ofSeconds(seconds), seed);
        RequestReport[] lastReport = new RequestReport[1];
        BankBotSimulation.RunResult result = simulation.runMonitored(mongo.uri, new BankBotSimulation.Attachment() {
            @Override
            public PerfMonitor attach(
                    dev.perfkit.cache.QueryCache cache,
                    dev.perfkit.memory.MemoryManager memory,
                    dev.perfkit.profile.QueryProfiler profiler,
                    io.micrometer.core.instrument.MeterRegistry registry) {
                PerfConfig config = environment.toBuilder()
                        .meterRegistry(registry)
                        .performanceMonitoringInterval(Duration.ofSeconds(evaluateEvery))
                        .build();
                MicrometerPerfMonitor monitor = MicrometerPerfMonitor.builder(config)
                        .name("simulation")
                        .queryCache(cache)
                        .memoryManager(memory)
                        .queryProfiler(profiler)
                        .build();
                monitor.addAlertListener(new AlertListener() {
                    @Override
                    public void onFiring(Alert alert) {
                        fired.add(alert);
                        out.println("  alert: " + alert.message());
                        out.flush();
                    }
                });
                int chosen = port >= 0 ? port : Math.max(0, config.monitorPort());
                String address = host != null ? host : config.monitorHost();
                MonitorServer server;
                try {
                    server = monitor.startServer(new InetSocketAddress(address, chosen));
                } catch (RuntimeException e) {
                    monitor.close();
                    throw e;
                }
                out.printf(
                        "Dashboard: %s  (JSON: %sstatus, Prometheus: %smetrics/prometheus)%n",
                        server.uri(), server.uri(), server.uri());
                out.printf(
                        "Running the bank bot: %d users, %d threads, %d s, seed %d...%n",
                        users, BankBotSimulation.THREADS, seconds, seed);
                out.flush();
                return monitor;
            }

            @Override
            public void detach(PerfMonitor monitor) {
                lastReport[0] = monitor.requestReport();
                monitor.close();
            }
        });
        RequestReport report = lastReport[0];
        out.printf(
                Locale.ROOT,
                "%nDone: %d commands in %.1f s (%.0f/s), cache hit ratio %.2f, %d alert(s) fired.%n",
                result.commands(),
                result.seconds(),
                result.commandsPerSecond(),
                result.cacheHitRatio(),
                fired.size());
        if (report != null) {
            out.printf(
                    Locale.ROOT,
                    "Requests in the last window: p50 %.2f ms, p95 %.2f ms, p99 %.2f ms, errors %.1f %%%n",
                    report.p50().toNanos() / 1e6,
                    report.p95().toNanos() / 1e6,
                    report.p99().toNanos() / 1e6,
                    report.errorRate() * 100);
        }
        out.flush();
        return 0;
    }
}
