/**
 * The OSHI- and JMX-backed {@link dev.perfkit.memory.MemoryManager} implementation: process RSS,
 * heap and GC figures, memory trends, collection control and leak tracking.
 */
package dev.perfkit.memory.oshi;
