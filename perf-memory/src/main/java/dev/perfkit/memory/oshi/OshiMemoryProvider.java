package dev.perfkit.memory.oshi;

import dev.perfkit.PerfConfig;
import dev.perfkit.memory.MemoryManager;
import dev.perfkit.spi.PerfProvider;
import java.util.Optional;

/**
 * Supplies {@link OshiMemoryManager} as {@code Perf.getMemoryManager()}. Registered in {@code
 * META-INF/services}; hosts never call it.
 */
public final class OshiMemoryProvider implements PerfProvider {

    /** Creates the provider; called by {@link java.util.ServiceLoader}. */
    public OshiMemoryProvider() {}

    @Override
    public Optional<MemoryManager> createMemoryManager(PerfConfig config) {
        return Optional.of(OshiMemoryManager.create(config));
    }
}
