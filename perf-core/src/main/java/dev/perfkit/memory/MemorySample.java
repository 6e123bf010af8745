package dev.perfkit.memory;

import java.time.Instant;

/**
 * One reading of the background memory sampler.
 *
 * @param time when it was taken
 * @param rssMb resident memory in MB
 * @param heapUsedMb heap in use in MB
 */
public record MemorySample(Instant time, double rssMb, double heapUsedMb) {}
