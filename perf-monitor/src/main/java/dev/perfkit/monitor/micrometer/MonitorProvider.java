package dev.perfkit.monitor.micrometer;

import dev.perfkit.PerfConfig;
import dev.perfkit.monitor.PerfMonitor;
import dev.perfkit.spi.PerfProvider;
import java.util.Optional;

/** Registers perf-monitor with the {@code Perf} facade: {@code Perf.getMonitor()}. */
public final class MonitorProvider implements PerfProvider {

    /** Creates the provider; called by {@link java.util.ServiceLoader}. */
    public MonitorProvider() {}

    @Override
    public Optional<PerfMonitor> createMonitor(PerfConfig config) {
        MicrometerPerfMonitor monitor =
                MicrometerPerfMonitor.builder(config).fromFacade().build();
        try {
            monitor.startConfiguredServer();
        } catch (RuntimeException e) {
            monitor.close();
            throw e;
        }
        return Optional.of(monitor);
    }
}
