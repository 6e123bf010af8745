package dev.perfkit.monitor.micrometer;

import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.composite.CompositeMeterRegistry;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.io.IOException;
import java.io.OutputStream;

/*
 * Where /metrics/prometheus comes from. A PrometheusMeterRegistry configured by the host is scraped
 * as it is. A composite registry (Micrometer's global one is) gets a PrometheusMeterRegistry child
 * of the monitor's own: a composite hands every meter it holds, and every later one, to each child,
 * so the scrape shows the same meter names the host's other registries see. Closing removes the
 * child. Any other registry cannot be scraped; the endpoint says so and names the fix.
 */
final class PrometheusScrape implements AutoCloseable {
    static final String CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8";

    private final PrometheusMeterRegistry prometheus;
    private final CompositeMeterRegistry attachedTo;
    private final String unavailable;

    private PrometheusScrape(
            PrometheusMeterRegistry prometheus, CompositeMeterRegistry attachedTo, String unavailable) {
        this.prometheus = prometheus;
        this.attachedTo = attachedTo;
        this.unavailable = unavailable;
    }

    static PrometheusScrape attach(MeterRegistry registry) {
        if (registry instanceof PrometheusMeterRegistry prometheus) {
            return new PrometheusScrape(prometheus, null, null);
        }
        if (registry instanceof CompositeMeterRegistry composite) {
            for (MeterRegistry child : composite.getRegistries()) {
                if (child instanceof PrometheusMeterRegistry prometheus) {
                    return new PrometheusScrape(prometheus, null, null);
                }
            }
            PrometheusMeterRegistry prometheus = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
            composite.add(prometheus);
            return new PrometheusScrape(prometheus, composite, null);
        }
        return new PrometheusScrape(
                null,
                null,
                "the configured meter registry (" + registry.getClass().getSimpleName()
                        + ") cannot be scraped: configure PerfConfig.builder().meterRegistry(...) with a"
                        + " PrometheusMeterRegistry or a CompositeMeterRegistry");
    }

    /** Returns why there is nothing to scrape, or null when there is. */
    String unavailable() {
        return unavailable;
    }

    void scrape(OutputStream out) throws IOException {
        prometheus.scrape(out);
    }

    String scrape() {
        return prometheus.scrape();
    }

    @Override
    public void close() {
        if (attachedTo != null) {
            attachedTo.remove(prometheus);
            prometheus.close();
        }
    }
}
