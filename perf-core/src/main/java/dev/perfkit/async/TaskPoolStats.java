package dev.perfkit.async;

/**
 * A snapshot of a {@link TaskPool}'s counters.
 *
 * @param name the pool's name
 * @param maxConcurrency tasks that may run at once
 * @param queueCapacity tasks that may wait for a slot
 * @param active tasks running now
 * @param queued tasks waiting for a slot now
 * @param completed tasks that finished normally
 * @param failed tasks that threw (or whose stage failed)
 * @param rejected tasks refused: queue full, or waited past the wait timeout
 */
public record TaskPoolStats(
        String name,
        int maxConcurrency,
        int queueCapacity,
        int active,
        int queued,
        long completed,
        long failed,
        long rejected) {}
