/**
 * Memory management: process RSS and heap figures, trends, collection control, leak tracking with
 * weak references, and the {@link dev.perfkit.memory.MemoryPressureListener} hook through which
 * caches give memory back. The implementation lives in {@code dev.perfkit:perf-memory}.
 */
package dev.perfkit.memory;
