package dev.perfkit.memory;

import java.time.Duration;

/**
 * A name whose tracked objects are still reachable past their expected lifetime.
 *
 * @param name the name given to {@link MemoryManager#trackObject(Object, String)}
 * @param aliveCount objects of this name still alive past their lifetime
 * @param oldestAge age of the oldest of them
 * @param expectedLifetime the expected lifetime they exceeded (of the oldest)
 */
public record LeakSuspect(String name, int aliveCount, Duration oldestAge, Duration expectedLifetime) {}
