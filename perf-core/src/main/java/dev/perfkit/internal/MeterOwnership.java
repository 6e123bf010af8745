package dev.perfkit.internal;

import static java.util.Objects.requireNonNull;

import io.micrometer.core.instrument.MeterRegistry;
import java.util.Collections;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import java.util.WeakHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Gives every component instance a tag value of its own on a meter registry, so that two instances
 * (two caches with the default name, two memory managers) never register the same meter id: with
 * Micrometer, the second registration of an id returns the first meter, so the second instance's
 * numbers would never show, and closing either would remove the other's meters.
 *
 * <p>The first instance of a name keeps it; later ones get {@code name-2}, {@code name-3}, ... until
 * the earlier ones release theirs. Registries are held weakly. Thread-safe.
 */
public final class MeterOwnership {
    private static final Logger log = LoggerFactory.getLogger(MeterOwnership.class);
    private static final Map<MeterRegistry, Set<String>> CLAIMED = Collections.synchronizedMap(new WeakHashMap<>());

    private MeterOwnership() {}

    /**
     * Claims a tag value for one instance of a component on a registry.
     *
     * @param registry the registry the instance publishes to
     * @param component the kind of component ({@code "cache"}, {@code "memory"}, ...)
     * @param name the name the instance asked for
     * @return {@code name}, or {@code name-N} when another live instance holds {@code name}
     */
    public static String claim(MeterRegistry registry, String component, String name) {
        requireNonNull(registry, "registry");
        requireNonNull(component, "component");
        requireNonNull(name, "name");
        Set<String> claimed;
        synchronized (CLAIMED) {
            claimed = CLAIMED.computeIfAbsent(registry, r -> new HashSet<>());
            String candidate = name;
            for (int n = 2; !claimed.add(component + '\u0000' + candidate); n++) {
                candidate = name + "-" + n;
            }
            if (!candidate.equals(name)) {
                log.info(
                        "Another {} named '{}' already publishes to this meter registry; this one's meters are tagged"
                                + " '{}'",
                        component,
                        name,
                        candidate);
            }
            return candidate;
        }
    }

    /**
     * Releases a value obtained from {@link #claim}.
     *
     * @param registry the registry
     * @param component the kind of component
     * @param claimed the value {@code claim} returned
     */
    public static void release(MeterRegistry registry, String component, String claimed) {
        synchronized (CLAIMED) {
            Set<String> values = CLAIMED.get(registry);
            if (values != null) {
                values.remove(component + '\u0000' + claimed);
                if (values.isEmpty()) {
                    CLAIMED.remove(registry);
                }
            }
        }
    }
}
