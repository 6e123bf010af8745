package dev.perfkit.monitor.micrometer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.perfkit.FakeTicker;
import dev.perfkit.PerfConfig;
import dev.perfkit.cache.QueryCache;
import dev.perfkit.cache.caffeine.CaffeineQueryCache;
import dev.perfkit.db.MicrometerQueryProfiler;
import dev.perfkit.monitor.Alert;
import dev.perfkit.monitor.AlertListener;
import dev.perfkit.monitor.AlertRule;
import dev.perfkit.monitor.Severity;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class AlertRulesTest {
    private final SimpleMeterRegistry registry = new SimpleMeterRegistry();
    private final FakeTicker ticker = new FakeTicker();
    private final List<String> events = new CopyOnWriteArrayList<>();
    private final AtomicReference<Double> value = new AtomicReference<>(0.0);
    private MicrometerPerfMonitor monitor;

    private MicrometerPerfMonitor monitor(MicrometerPerfMonitor.Builder builder) {
        monitor = builder.ticker(ticker).background(false).build();
        monitor.addAlertListener(new AlertListener() {
            @Override
            public void onFiring(Alert alert) {
                events.add("firing " + alert.severity() + " " + alert.rule());
            }

            @Override
            public void onResolved(Alert alert) {
                events.add("resolved " + alert.severity() + " " + alert.rule());
            }
        });
        return monitor;
    }

    private MicrometerPerfMonitor monitor() {
        return monitor(MicrometerPerfMonitor.builder(
                PerfConfig.builder().meterRegistry(registry).build()));
    }

    @AfterEach
    void close() {
        if (monitor != null) {
            monitor.close();
        }
    }

    private void step(double next) {
        value.set(next);
        ticker.advance(Duration.ofSeconds(10));
        monitor.evaluateNow();
    }

    private AlertRule.Builder queueRule() {
        return AlertRule.above("queue", value::get)
                .warning(100)
                .critical(200)
                .forDuration(Duration.ofSeconds(30))
                .hysteresis(0.1);
    }

    @Test
    void firesOnlyAfterTheConditionHeldForItsDuration_andOneNoisySampleDoesNothing() {
        monitor().addAlertRule(queueRule().build());

        step(150); // pending since now
        step(50); // one good sample: pending resets
        step(150);
        step(150);
        step(150);
        assertThat(monitor.activeAlerts()).isEmpty();
        assertThat(events).isEmpty();

        step(150); // 30 s after the breach began
        assertThat(monitor.activeAlerts()).singleElement().satisfies(alert -> {
            assertThat(alert.rule()).isEqualTo("queue");
            assertThat(alert.severity()).isEqualTo(Severity.WARNING);
            assertThat(alert.value()).isEqualTo(150);
            assertThat(alert.threshold()).isEqualTo(100);
            assertThat(alert.message()).contains("queue", "150", "above", "100");
        });
        assertThat(events).containsExactly("firing WARNING queue");
    }

    @Test
    void resolvesOnlyPastTheHysteresisBand_heldForItsDuration_noFlapping() {
        monitor().addAlertRule(queueRule().forDuration(Duration.ZERO).build());
        step(150);
        assertThat(events).containsExactly("firing WARNING queue");

        // Hovering just under the threshold (inside the 10 % band) neither resolves nor re-fires.
        for (double v : new double[] {95, 101, 92, 99, 105, 91}) {
            step(v);
        }
        assertThat(events).containsExactly("firing WARNING queue");
        assertThat(monitor.activeAlerts()).hasSize(1);

        step(90); // 10 % below the threshold: clear
        assertThat(events).containsExactly("firing WARNING queue", "resolved WARNING queue");
        assertThat(monitor.activeAlerts()).isEmpty();
    }

    @Test
    void clearing_mustHoldForTheDuration_andABadSampleKeepsItFiring() {
        monitor().addAlertRule(queueRule().build());
        for (int i = 0; i < 4; i++) {
            step(150);
        }
        assertThat(events).containsExactly("firing WARNING queue");

        step(10);
        step(10);
        step(150); // back up before 30 s of clear: still firing, no new event
        step(10);
        step(10);
        step(10);
        assertThat(events).containsExactly("firing WARNING queue");
        step(10); // 30 s clear
        assertThat(events).containsExactly("firing WARNING queue", "resolved WARNING queue");
    }

    @Test
    void criticalAndWarning_areSeparateAlerts_criticalListedFirst() {
        monitor().addAlertRule(queueRule().forDuration(Duration.ZERO).build());
        step(250);

        assertThat(monitor.activeAlerts())
                .extracting(Alert::severity)
                .containsExactly(Severity.CRITICAL, Severity.WARNING);
        assertThat(events).containsExactlyInAnyOrder("firing CRITICAL queue", "firing WARNING queue");

        step(150);
        assertThat(monitor.activeAlerts()).extracting(Alert::severity).containsExactly(Severity.WARNING);
        assertThat(events).contains("resolved CRITICAL queue");
    }

    @Test
    void noData_neverFires_andDoesNotResolveAFiringAlert() {
        monitor().addAlertRule(queueRule().forDuration(Duration.ZERO).build());
        step(Double.NaN);
        assertThat(events).isEmpty();
        step(150);
        step(Double.NaN);
        step(Double.NaN);
        assertThat(monitor.activeAlerts()).hasSize(1);
        assertThat(events).containsExactly("firing WARNING queue");
    }

    @Test
    void belowRules_fireUnderTheThreshold() {
        monitor()
                .addAlertRule(AlertRule.below("hits", value::get)
                        .warning(70)
                        .critical(60)
                        .unit("%")
                        .build());
        step(65);
        assertThat(monitor.activeAlerts()).extracting(Alert::severity).containsExactly(Severity.WARNING);
        assertThat(monitor.activeAlerts().get(0).message()).contains("65%", "below", "70%");
        step(76); // not yet 10 % above the threshold
        assertThat(monitor.activeAlerts()).hasSize(1);
        step(78);
        assertThat(monitor.activeAlerts()).isEmpty();
        assertThat(events).containsExactly("firing WARNING hits", "resolved WARNING hits");
    }

    @Test
    void failingSuppliersAndListeners_doNotStopEvaluation() {
        monitor();
        monitor.addAlertListener(new AlertListener() {
            @Override
            public void onFiring(Alert alert) {
                throw new IllegalStateException("listener bug");
            }
        });
        monitor.addAlertRule(AlertRule.above("broken", () -> {
                    throw new IllegalStateException("supplier bug");
                })
                .warning(1)
                .build());
        monitor.addAlertRule(queueRule().forDuration(Duration.ZERO).build());

        step(150);

        assertThat(monitor.activeAlerts()).extracting(Alert::rule).containsExactly("queue");
        assertThat(events).containsExactly("firing WARNING queue"); // the first listener still heard it
    }

    @Test
    void removingARule_resolvesItsAlerts() {
        monitor().addAlertRule(queueRule().forDuration(Duration.ZERO).build());
        step(150);
        assertThat(monitor.removeAlertRule("queue")).isTrue();
        assertThat(monitor.removeAlertRule("queue")).isFalse();
        assertThat(monitor.activeAlerts()).isEmpty();
        assertThat(events).containsExactly("firing WARNING queue", "resolved WARNING queue");
    }

    @Test
    void ruleBuilder_rejectsBadInputClearly() {
        assertThatThrownBy(() -> AlertRule.above("no spaces", () -> 1).warning(1))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("no spaces");
        assertThatThrownBy(() -> AlertRule.above("x", () -> 1).build())
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("warning or a critical");
        assertThatThrownBy(() ->
                        AlertRule.above("x", () -> 1).warning(10).critical(5).build())
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("critical threshold 5.0");
        assertThatThrownBy(() -> AlertRule.above("x", () -> 1).warning(Double.NaN))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("warning");
        assertThatThrownBy(() -> AlertRule.above("x", () -> 1).hysteresis(1.5))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("1.5");
        monitor().addAlertRule(queueRule().build());
        assertThatThrownBy(() -> monitor.addAlertRule(queueRule().build()))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("queue");
    }

    @Test
    void meterRule_readsAnyMicrometerMeter() {
        AtomicReference<Double> pending = new AtomicReference<>(0.0);
        Gauge.builder("host.queue", pending, AtomicReference::get)
                .tag("shard", "1")
                .register(registry);
        monitor()
                .addAlertRule(AlertRule.above("host_queue", AlertRule.meter(registry, "host.queue"))
                        .critical(10)
                        .build());
        pending.set(50.0);
        step(0);
        assertThat(monitor.activeAlerts())
                .extracting(Alert::rule, Alert::value)
                .containsExactly(org.assertj.core.groups.Tuple.tuple("host_queue", 50.0));
        assertThat(AlertRule.meter(registry, "missing").getAsDouble()).isNaN();
    }

    // ---- built-in rules, over real components ----

    private MicrometerPerfMonitor.Builder builtIns(PerfConfig.Builder config) {
        return MicrometerPerfMonitor.builder(
                config.meterRegistry(registry).alertFor(Duration.ZERO).build());
    }

    @Test
    void errorRate_firesAboveItsThresholds_onlyWithEnoughRequests() {
        monitor(builtIns(PerfConfig.builder().alertMinRequests(20)));
        for (int i = 0; i < 10; i++) {
            monitor.recordRequest("cmd", Duration.ofMillis(1), false); // 100 % errors, but only 10 requests
        }
        step(0);
        assertThat(monitor.activeAlerts()).isEmpty();

        for (int i = 0; i < 90; i++) {
            monitor.recordRequest("cmd", Duration.ofMillis(1), true); // 10 % of 100
        }
        monitor.evaluateNow();
        assertThat(monitor.activeAlerts())
                .filteredOn(alert -> alert.rule().equals(BuiltInRules.ERROR_RATE))
                .extracting(Alert::severity)
                .containsExactly(Severity.CRITICAL, Severity.WARNING);
        assertThat(monitor.health().components().get("requests").status())
                .isEqualTo(dev.perfkit.monitor.Health.Status.DEGRADED);
    }

    @Test
    void responseTime_firesOnTheWindowP95() {
        monitor(builtIns(PerfConfig.builder().alertMinRequests(1)));
        for (int i = 0; i < 100; i++) {
            monitor.recordRequest("slow", Duration.ofMillis(300), true);
        }
        monitor.evaluateNow();
        assertThat(monitor.activeAlerts())
                .filteredOn(alert -> alert.rule().equals(BuiltInRules.RESPONSE_TIME))
                .extracting(Alert::severity)
                .containsExactly(Severity.WARNING);
    }

    @Test
    void cacheHitRatio_judgesEachIntervalsLookups_afterTheMinimum() {
        try (QueryCache cache = CaffeineQueryCache.create(
                PerfConfig.builder().meterRegistry(registry).build())) {
            monitor(builtIns(PerfConfig.builder().alertCacheMinLookups(100)).queryCache(cache));
            cache.set("k", "v");
            for (int i = 0; i < 50; i++) {
                Object unused = cache.get("missing-" + i); // 50 misses: not enough lookups yet
            }
            monitor.evaluateNow();
            assertThat(monitor.activeAlerts()).isEmpty();

            for (int i = 0; i < 50; i++) {
                Object unused = cache.get("k"); // 50 % over 100 lookups
            }
            monitor.evaluateNow();
            assertThat(monitor.activeAlerts())
                    .filteredOn(alert -> alert.rule().equals(BuiltInRules.CACHE_HIT_RATIO))
                    .extracting(Alert::severity)
                    .containsExactly(Severity.CRITICAL, Severity.WARNING);

            for (int i = 0; i < 100; i++) {
                Object unused = cache.get("k"); // the next interval: all hits
            }
            monitor.evaluateNow();
            assertThat(monitor.activeAlerts()).isEmpty();
            assertThat(events).contains("resolved CRITICAL cache_hit_ratio", "resolved WARNING cache_hit_ratio");
        }
    }

    @Test
    void memory_firesAgainstTheLimitAndTheRssTargets() {
        AtomicReference<Double> rss = new AtomicReference<>(100.0);
        monitor(builtIns(PerfConfig.builder().memoryLimitMb(1_000)).memoryManager(Fakes.memory(rss)));
        monitor.evaluateNow();
        assertThat(monitor.activeAlerts()).isEmpty();

        rss.set(950.0); // 95 % of the limit, above the 500 MB RSS target
        monitor.evaluateNow();
        assertThat(monitor.activeAlerts())
                .extracting(Alert::rule, Alert::severity)
                .containsExactlyInAnyOrder(
                        org.assertj.core.groups.Tuple.tuple(BuiltInRules.MEMORY_USAGE, Severity.WARNING),
                        org.assertj.core.groups.Tuple.tuple(BuiltInRules.MEMORY_RSS, Severity.WARNING));

        rss.set(1_100.0);
        monitor.evaluateNow();
        assertThat(monitor.activeAlerts())
                .extracting(Alert::rule, Alert::severity)
                .contains(
                        org.assertj.core.groups.Tuple.tuple(BuiltInRules.MEMORY_USAGE, Severity.CRITICAL),
                        org.assertj.core.groups.Tuple.tuple(BuiltInRules.MEMORY_RSS, Severity.CRITICAL));
    }

    @Test
    void slowQueries_fireAtOnce_andResolveWhenTheWindowHoldsNone() {
        try (MicrometerQueryProfiler profiler = MicrometerQueryProfiler.create(
                PerfConfig.builder().meterRegistry(registry).build())) {
            monitor(builtIns(PerfConfig.builder()).queryProfiler(profiler));
            profiler.recordQuery("users", "find", Map.of("name", "x"), Duration.ofMillis(2_500), true, 1);
            monitor.evaluateNow();
            assertThat(monitor.activeAlerts())
                    .extracting(Alert::rule, Alert::severity)
                    .containsExactly(org.assertj.core.groups.Tuple.tuple(BuiltInRules.SLOW_QUERIES, Severity.WARNING));
        }
    }

    @Test
    void poolUtilization_readsThePoolGauge() {
        AtomicReference<Double> utilization = new AtomicReference<>(0.5);
        Gauge.builder("perfkit.mongo.pool.utilization", utilization, AtomicReference::get)
                .tag("cluster", "c1")
                .register(registry);
        monitor(builtIns(PerfConfig.builder()));
        monitor.evaluateNow();
        assertThat(monitor.activeAlerts()).isEmpty();
        utilization.set(0.9);
        monitor.evaluateNow();
        assertThat(monitor.activeAlerts())
                .extracting(Alert::rule, Alert::severity)
                .containsExactly(org.assertj.core.groups.Tuple.tuple(BuiltInRules.POOL_UTILIZATION, Severity.WARNING));
    }

    @Test
    void builtInRules_areNamedAsDesignSays() {
        assertThat(monitor().alertRules())
                .extracting(AlertRule::name)
                .containsExactly(
                        "pool_utilization",
                        "cache_hit_ratio",
                        "memory_usage",
                        "memory_rss",
                        "slow_queries",
                        "error_rate",
                        "response_time",
                        "cache_degraded");
    }

    @Test
    void cacheDegraded_firesWhileTheCacheSaysItWorksBelowItsConfiguration() {
        AtomicReference<String> reason = new AtomicReference<>("");
        try (QueryCache base = CaffeineQueryCache.create(
                PerfConfig.builder().meterRegistry(registry).build())) {
            QueryCache cache = new dev.perfkit.cache.ForwardingQueryCache() {
                @Override
                protected QueryCache delegate() {
                    return base;
                }

                @Override
                public String degradedReason() {
                    return reason.get();
                }
            };
            monitor(builtIns(PerfConfig.builder()).queryCache(cache));
            monitor.evaluateNow();
            assertThat(monitor.activeAlerts()).isEmpty();
            reason.set("Redis unavailable, working in memory only: connection refused");
            monitor.evaluateNow();
            assertThat(monitor.activeAlerts())
                    .extracting(Alert::rule, Alert::severity)
                    .containsExactly(
                            org.assertj.core.groups.Tuple.tuple(BuiltInRules.CACHE_DEGRADED, Severity.WARNING));
            reason.set("");
            monitor.evaluateNow();
            assertThat(monitor.activeAlerts()).isEmpty();
        }
    }
}
