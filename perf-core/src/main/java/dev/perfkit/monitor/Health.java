package dev.perfkit.monitor;

import static java.util.Objects.requireNonNull;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The health of the monitored process, as {@code GET /health} serves it.
 *
 * @param status the overall status: {@code DOWN} when a component could not be read, {@code
 *     DEGRADED} when an alert fires, else {@code UP}
 * @param components each component's status and, when it is not up, why
 */
public record Health(Status status, Map<String, Component> components) {

    /** Copies the map, keeping its order. */
    public Health {
        requireNonNull(status, "status");
        components = Collections.unmodifiableMap(new LinkedHashMap<>(components));
    }

    /** A status, best first. */
    public enum Status {
        /** Working, no alert firing. */
        UP,
        /** Working, with an alert firing. */
        DEGRADED,
        /** Could not be read. */
        DOWN,
        /** Not installed: its module is not on the class path, or it was not given to the monitor. */
        ABSENT
    }

    /**
     * One component's health.
     *
     * @param status its status
     * @param detail why it is not up; empty when it is
     */
    public record Component(Status status, String detail) {
        /** Checks the references. */
        public Component {
            requireNonNull(status, "status");
            requireNonNull(detail, "detail");
        }
    }
}
