package dev.perfkit.monitor.micrometer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import dev.perfkit.Concurrently;
import dev.perfkit.FakeTicker;
import dev.perfkit.PerfConfig;
import dev.perfkit.monitor.PerfMonitor;
import dev.perfkit.monitor.RequestReport;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Duration;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class RequestStatsTest {
    private final SimpleMeterRegistry registry = new SimpleMeterRegistry();
    private final FakeTicker ticker = new FakeTicker();
    private MicrometerPerfMonitor monitor;

    private MicrometerPerfMonitor monitor(PerfConfig.Builder config) {
        monitor = MicrometerPerfMonitor.builder(config.meterRegistry(registry).build())
                .ticker(ticker)
                .background(false)
                .build();
        return monitor;
    }

    @AfterEach
    void close() {
        if (monitor != null) {
            monitor.close();
        }
    }

    @Test
    void report_countsRateAverageErrorsAndPercentiles() {
        MicrometerPerfMonitor monitor = monitor(PerfConfig.builder());
        ticker.advance(Duration.ofSeconds(10));
        for (int i = 1; i <= 100; i++) {
            monitor.recordRequest("balance", Duration.ofMillis(i), i % 10 != 0); // 10 failures
        }
        monitor.recordRequest("daily", Duration.ofMillis(50), true);

        RequestReport report = monitor.requestReport();

        assertThat(report.requests()).isEqualTo(101);
        assertThat(report.totalRequests()).isEqualTo(101);
        assertThat(report.requestsPerSecond()).isCloseTo(101 / 10.0, within(0.01));
        assertThat(report.errorRate()).isCloseTo(10 / 101.0, within(1e-9));
        assertThat(report.averageResponseTime().toNanos() / 1e6).isCloseTo((5050 + 50) / 101.0, within(0.01));
        assertThat(report.p50().toNanos() / 1e6).isCloseTo(50, within(2.0));
        assertThat(report.p95().toNanos() / 1e6).isCloseTo(95, within(3.0));
        assertThat(report.p99().toNanos() / 1e6).isCloseTo(99, within(3.0));
        assertThat(report.byName()).containsOnlyKeys("balance", "daily");
        assertThat(report.byName().keySet()).first().isEqualTo("balance"); // most requests first
        RequestReport balance = report.byName().get("balance");
        assertThat(balance.requests()).isEqualTo(100);
        assertThat(balance.errorRate()).isCloseTo(0.1, within(1e-9));
        assertThat(report.byName().get("daily").errorRate()).isZero();
    }

    @Test
    void window_forgetsRequestsOlderThanItButTotalsKeepThem() {
        MicrometerPerfMonitor monitor = monitor(PerfConfig.builder().monitorRequestWindow(Duration.ofSeconds(30)));
        monitor.recordRequest("a", Duration.ofMillis(5), false);
        ticker.advance(Duration.ofSeconds(20));
        monitor.recordRequest("a", Duration.ofMillis(5), true);

        assertThat(monitor.requestReport().requests()).isEqualTo(2);

        ticker.advance(Duration.ofSeconds(15)); // the first request is now 35 s old
        RequestReport report = monitor.requestReport();
        assertThat(report.requests()).isEqualTo(1);
        assertThat(report.errorRate()).isZero();
        assertThat(report.totalRequests()).isEqualTo(2);

        ticker.advance(Duration.ofSeconds(31));
        assertThat(monitor.requestReport().requests()).isZero();
        assertThat(monitor.requestReport().requestsPerSecond()).isZero();
    }

    @Test
    void percentiles_forgetSlowRequestsOnceTheyLeaveTheWindow_evenWithoutReaders() {
        MicrometerPerfMonitor monitor = monitor(PerfConfig.builder().monitorRequestWindow(Duration.ofSeconds(60)));
        for (int i = 0; i < 1_000; i++) {
            monitor.recordRequest("a", Duration.ofMillis(500), true); // never read while in the window
        }
        ticker.advance(Duration.ofSeconds(30));
        for (int i = 0; i < 10; i++) {
            monitor.recordRequest("a", Duration.ofMillis(2), true);
        }
        assertThat(monitor.requestReport().p95().toMillis()).isBetween(490L, 510L);

        ticker.advance(Duration.ofSeconds(40)); // the slow ones are 70 s old, the fast ones 40 s
        RequestReport report = monitor.requestReport();
        assertThat(report.requests()).isEqualTo(10);
        assertThat(report.p95().toNanos() / 1e6).isCloseTo(2, within(0.1));
        assertThat(report.p99().toNanos() / 1e6).isCloseTo(2, within(0.1));

        ticker.advance(Duration.ofSeconds(61));
        assertThat(monitor.requestReport().p95()).isZero();
    }

    @Test
    void names_areCappedSoUserInputCannotGrowMetersOrMemory() {
        MicrometerPerfMonitor monitor = monitor(PerfConfig.builder().monitorMaxRequestNames(10));
        for (int i = 0; i < 100_000; i++) {
            monitor.recordRequest("user-" + i, Duration.ofMillis(1), true);
        }
        monitor.recordRequest("x".repeat(RequestStats.MAX_NAME_LENGTH + 1), Duration.ofMillis(1), true);

        RequestReport report = monitor.requestReport();
        assertThat(report.byName()).hasSize(11).containsKey(PerfMonitor.OTHER);
        assertThat(report.byName().get(PerfMonitor.OTHER).totalRequests()).isEqualTo(100_000 - 10 + 1);
        assertThat(report.totalRequests()).isEqualTo(100_001);
        assertThat(registry.find("perfkit.requests").meters()).hasSize(11);
        assertThat(registry.getMeters().size()).isLessThan(11 * 5 + 5);
    }

    @Test
    void timeRequest_recordsFailureAndRethrowsUnchanged() {
        MicrometerPerfMonitor monitor = monitor(PerfConfig.builder());
        IllegalStateException failure = new IllegalStateException("boom");

        assertThatThrownBy(() -> monitor.timeRequest("pay", () -> {
                    throw failure;
                }))
                .isSameAs(failure);
        assertThat(monitor.timeRequest("pay", () -> 42)).isEqualTo(42);
        monitor.timeRequest("pay", () -> {});

        RequestReport pay = monitor.requestReport().byName().get("pay");
        assertThat(pay.requests()).isEqualTo(3);
        assertThat(pay.errorRate()).isCloseTo(1 / 3.0, within(1e-9));
    }

    @Test
    void badArguments_failNamingTheParameter() {
        MicrometerPerfMonitor monitor = monitor(PerfConfig.builder());
        assertThatThrownBy(() -> monitor.recordRequest("a", Duration.ofMillis(-1), true))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("duration")
                .hasMessageContaining("-0.001");
        assertThatThrownBy(() -> monitor.recordRequestNanos("a", -5, true))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("nanos")
                .hasMessageContaining("-5");
        assertThatThrownBy(() -> monitor.recordRequest(null, Duration.ZERO, true))
                .isInstanceOf(NullPointerException.class)
                .hasMessageContaining("name");
        assertThat(monitor.requestReport().totalRequests()).isZero();
    }

    @Test
    void concurrentRecording_losesNoRequestFromTheTotals() throws Exception {
        MicrometerPerfMonitor monitor = monitor(PerfConfig.builder());
        int threads = 8;
        int each = 50_000;
        Concurrently.run(threads, 60, thread -> {
            for (int i = 0; i < each; i++) {
                monitor.recordRequestNanos("cmd-" + (i % 4), 1_000 + i, i % 100 != 0);
            }
        });

        RequestReport report = monitor.requestReport();
        assertThat(report.totalRequests()).isEqualTo((long) threads * each);
        // The fake clock never crosses a second, so the window is exact too.
        assertThat(report.requests()).isEqualTo((long) threads * each);
        assertThat(report.errorRate()).isCloseTo(0.01, within(1e-9));
        assertThat(report.byName().values())
                .allSatisfy(named -> assertThat(named.totalRequests()).isEqualTo((long) threads * each / 4));
    }

    /** The first requests of a fresh monitor race its first harvest: none may be dropped. */
    @Test
    void firstRequestsOfAFreshMonitor_racingItsFirstHarvest_areAllCounted() throws Exception {
        for (int round = 0; round < 200; round++) {
            try (MicrometerPerfMonitor fresh = MicrometerPerfMonitor.builder(
                            PerfConfig.builder().meterRegistry(registry).build())
                    .ticker(ticker)
                    .background(false)
                    .build()) {
                Concurrently.run(4, 30, thread -> {
                    for (int i = 0; i < 50; i++) {
                        fresh.recordRequestNanos("cmd", 1_000, true);
                    }
                });
                assertThat(fresh.requestReport().requests())
                        .as("round %d", round)
                        .isEqualTo(200);
            }
        }
    }

    @Test
    void readersRacingWriters_neverFail_andLoseNothing() throws Exception {
        MicrometerPerfMonitor monitor = monitor(PerfConfig.builder());
        int writers = 4;
        int each = 40_000;
        java.util.concurrent.atomic.AtomicBoolean writing = new java.util.concurrent.atomic.AtomicBoolean(true);
        java.util.concurrent.atomic.AtomicInteger finished = new java.util.concurrent.atomic.AtomicInteger();
        Concurrently.run(writers + 2, 120, thread -> {
            if (thread < writers) {
                for (int i = 0; i < each; i++) {
                    monitor.recordRequestNanos("cmd-" + (i % 3), 1_000L * (i % 500), i % 50 != 0);
                    if (i % 5_000 == 0) {
                        ticker.advance(Duration.ofSeconds(1)); // crosses slots while others record
                    }
                }
                if (finished.incrementAndGet() == writers) {
                    writing.set(false);
                }
            } else {
                while (writing.get()) {
                    RequestReport report = monitor.requestReport();
                    assertThat(report.errorRate()).isBetween(0.0, 1.0);
                    registry.find("perfkit.requests.latency").timeGauges().forEach(gauge -> assertThat(
                                    gauge.value(java.util.concurrent.TimeUnit.NANOSECONDS))
                            .isNotNegative());
                    monitor.evaluateNow();
                }
            }
        });
        RequestReport report = monitor.requestReport();
        assertThat(report.totalRequests()).isEqualTo((long) writers * each);
        assertThat(report.requests()).isEqualTo((long) writers * each); // 32 s of fake time: all in the window
        assertThat(report.errorRate()).isCloseTo(0.02, within(1e-9));
    }

    @Test
    void afterClose_recordingIsIgnoredAndMetersAreGone() {
        MicrometerPerfMonitor monitor = monitor(PerfConfig.builder());
        monitor.recordRequest("a", Duration.ofMillis(1), true);
        assertThat(registry.find("perfkit.requests").meters()).isNotEmpty();

        monitor.close();
        monitor.recordRequest("a", Duration.ofMillis(1), true);

        assertThat(registry.find("perfkit.requests").meters()).isEmpty();
        assertThat(registry.find("perfkit.requests.latency").meters()).isEmpty();
    }

    @Test
    void twoMonitorsOnOneRegistry_publishSeparately() {
        MicrometerPerfMonitor first = monitor(PerfConfig.builder());
        try (MicrometerPerfMonitor second = MicrometerPerfMonitor.builder(
                        PerfConfig.builder().meterRegistry(registry).build())
                .background(false)
                .build()) {
            first.recordRequest("a", Duration.ofMillis(1), true);
            second.recordRequest("a", Duration.ofMillis(1), true);
            second.recordRequest("a", Duration.ofMillis(1), true);

            assertThat(registry.find("perfkit.requests")
                            .tags("monitor", "default", "name", "a")
                            .functionTimer()
                            .count())
                    .isEqualTo(1.0);
            assertThat(registry.find("perfkit.requests")
                            .tags("monitor", "default-2", "name", "a")
                            .functionTimer()
                            .count())
                    .isEqualTo(2.0);
        }
        assertThat(registry.find("perfkit.requests").tag("monitor", "default").functionTimer())
                .isNotNull();
    }
}
