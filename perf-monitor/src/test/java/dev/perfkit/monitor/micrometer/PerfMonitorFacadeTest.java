package dev.perfkit.monitor.micrometer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.perfkit.Perf;
import dev.perfkit.PerfConfig;
import dev.perfkit.monitor.Health;
import dev.perfkit.monitor.MonitorServer;
import dev.perfkit.monitor.PerfMonitor;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class PerfMonitorFacadeTest {
    private final HttpClient http = HttpClient.newHttpClient();

    @AfterEach
    void reset() {
        Perf.reset();
    }

    @Test
    void getMonitor_findsTheOtherDefaultsThroughTheFacade() {
        Perf.configure(PerfConfig.builder()
                .meterRegistry(new SimpleMeterRegistry())
                .performanceMonitoringEnabled(false)
                .build());
        PerfMonitor monitor = Perf.getMonitor();

        assertThat(monitor).isInstanceOf(MicrometerPerfMonitor.class).isSameAs(Perf.getMonitor());
        assertThat(monitor.servers()).isEmpty(); // PERF_MONITOR_PORT unset: no server until asked
        Perf.getQueryCache().set("k", "v");
        Object unused = Perf.getQueryCache().get("k");

        Health health = monitor.health();
        assertThat(health.components().get("cache").status()).isEqualTo(Health.Status.UP);
        assertThat(health.components().get("memory").status()).isEqualTo(Health.Status.UP);
        assertThat(health.components().get("queries").status()).isEqualTo(Health.Status.UP);
        assertThat(Views.cache((MicrometerPerfMonitor) monitor).get("hits")).isEqualTo(1L);
    }

    @Test
    void monitorPortSetting_startsTheServer_andResetFreesIt() throws Exception {
        Perf.configure(PerfConfig.builder()
                .meterRegistry(new SimpleMeterRegistry())
                .monitorPort(0)
                .build());
        PerfMonitor monitor = Perf.getMonitor();
        assertThat(monitor.servers()).hasSize(1);
        MonitorServer server = monitor.servers().get(0);
        URI health = server.uri().resolve("/health");
        assertThat(http.send(HttpRequest.newBuilder(health).build(), HttpResponse.BodyHandlers.ofString())
                        .statusCode())
                .isEqualTo(200);

        Perf.reset();

        assertThatThrownBy(() -> http.send(
                        HttpRequest.newBuilder(health)
                                .timeout(Duration.ofSeconds(5))
                                .build(),
                        HttpResponse.BodyHandlers.ofString()))
                .isInstanceOf(IOException.class);
        org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> assertThat(
                        HttpMonitorServerTest.monitorThreads())
                .isEmpty());
    }

    @Test
    void configure_afterTheMonitorExists_fails() {
        Perf.configure(
                PerfConfig.builder().meterRegistry(new SimpleMeterRegistry()).build());
        PerfMonitor unused = Perf.getMonitor();
        assertThatThrownBy(() -> Perf.configure(PerfConfig.builder().build()))
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("PerfMonitor");
    }
}
