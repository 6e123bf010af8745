package dev.perfkit.monitor;

/**
 * Receives alert transitions. Each transition is delivered once, on the thread that evaluated the
 * rules; a listener that throws is logged and does not stop the others. Keep listeners quick, or
 * hand the work to an executor.
 */
public interface AlertListener {

    /**
     * Called when an alert starts firing.
     *
     * @param alert the alert
     */
    default void onFiring(Alert alert) {}

    /**
     * Called when a firing alert resolves.
     *
     * @param alert the alert as it was last seen firing
     */
    default void onResolved(Alert alert) {}
}
