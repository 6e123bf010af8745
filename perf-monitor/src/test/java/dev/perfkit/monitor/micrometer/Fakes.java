package dev.perfkit.monitor.micrometer;

import dev.perfkit.memory.LeakReport;
import dev.perfkit.memory.MemoryManager;
import dev.perfkit.memory.MemorySnapshot;
import dev.perfkit.memory.MemoryTrend;
import java.lang.reflect.Proxy;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.atomic.AtomicReference;

/** Test doubles of core interfaces, built as proxies so they implement only what a test reads. */
final class Fakes {
    private Fakes() {}

    /** A memory manager whose RSS the test sets; everything else it is asked is unsupported. */
    static MemoryManager memory(AtomicReference<Double> rssMb) {
        return (MemoryManager) Proxy.newProxyInstance(
                Fakes.class.getClassLoader(), new Class<?>[] {MemoryManager.class}, (proxy, method, args) -> {
                    double rss = rssMb.get();
                    long bytes = (long) (rss * MemorySnapshot.BYTES_PER_MB);
                    return switch (method.getName()) {
                        case "getMemoryUsage" -> rss;
                        case "snapshot" ->
                            new MemorySnapshot(
                                    bytes, bytes / 2, bytes, bytes * 2, 1024, 8L << 30, 4L << 30, Instant.now());
                        case "trend" -> new MemoryTrend(List.of(), 0, 0);
                        case "checkTrackedObjects" -> new LeakReport(List.of(), 0, false, 1.0);
                        case "close" -> null;
                        case "toString" -> "FakeMemoryManager";
                        case "hashCode" -> System.identityHashCode(proxy);
                        case "equals" -> proxy == args[0];
                        default -> throw new UnsupportedOperationException(method.getName());
                    };
                });
    }

    /** A component of the given interface whose every method throws, as a broken or closed one would. */
    static <T> T broken(Class<T> type) {
        return type.cast(Proxy.newProxyInstance(
                Fakes.class.getClassLoader(),
                new Class<?>[] {type},
                (proxy, method, args) -> switch (method.getName()) {
                    case "toString" -> "Broken" + type.getSimpleName();
                    case "hashCode" -> System.identityHashCode(proxy);
                    case "equals" -> proxy == args[0];
                    case "close" -> null;
                    default -> throw new IllegalStateException(type.getSimpleName() + " is closed");
                }));
    }
}
