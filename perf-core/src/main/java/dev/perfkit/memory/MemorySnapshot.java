package dev.perfkit.memory;

import java.time.Instant;

/**
 * The memory figures of the process and the system at one moment. Sizes are in bytes; {@link
 * #rssMb()} converts.
 *
 * @param rssBytes resident memory of the process as the operating system reports it
 * @param heapUsedBytes heap in use
 * @param heapCommittedBytes heap reserved from the operating system
 * @param heapMaxBytes the heap limit, or -1 when undefined
 * @param nonHeapUsedBytes non-heap memory in use (metaspace, code cache, ...)
 * @param systemTotalBytes physical memory of the machine
 * @param systemAvailableBytes physical memory available to new work
 * @param time when the figures were read
 */
public record MemorySnapshot(
        long rssBytes,
        long heapUsedBytes,
        long heapCommittedBytes,
        long heapMaxBytes,
        long nonHeapUsedBytes,
        long systemTotalBytes,
        long systemAvailableBytes,
        Instant time) {

    /** Bytes per megabyte (MiB), as used for every MB figure in perfkit. */
    public static final double BYTES_PER_MB = 1024.0 * 1024.0;

    /** Returns the resident memory in MB. */
    public double rssMb() {
        return rssBytes / BYTES_PER_MB;
    }

    /** Returns the heap in use in MB. */
    public double heapUsedMb() {
        return heapUsedBytes / BYTES_PER_MB;
    }
}
