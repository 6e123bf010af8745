package dev.perfkit.internal;

import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.MeterRegistry;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Meter housekeeping shared by the components: instrumentation never breaks the host. */
public final class Meters {
    private static final Logger log = LoggerFactory.getLogger(Meters.class);

    private Meters() {}

    /**
     * Removes meters from a registry, logging (not throwing) when one cannot be removed.
     *
     * @param registry the registry
     * @param meters the meters a component registered
     */
    public static void removeQuietly(MeterRegistry registry, Iterable<? extends Meter> meters) {
        for (Meter meter : meters) {
            try {
                registry.remove(meter);
            } catch (RuntimeException e) {
                log.debug("Could not remove meter {}", meter.getId(), e);
            }
        }
    }
}
