package dev.perfkit.monitor;

import java.net.URI;

/**
 * The monitor's HTTP server: the dashboard, JSON endpoints, the Prometheus scrape endpoint and the
 * admin actions (see {@code docs/monitoring.md}). {@link #close()} frees the port and every thread
 * the server started; it is idempotent.
 */
public interface MonitorServer extends AutoCloseable {

    /** Returns the base address, e.g. {@code http://127.0.0.1:9464/}. */
    URI uri();

    /** Returns the port the server listens on. */
    int port();

    /** Stops the server at once; requests in progress are cut off. */
    @Override
    void close();
}
