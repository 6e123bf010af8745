package dev.perfkit.monitor.micrometer;

import dev.perfkit.Perf;
import dev.perfkit.PerfException;
import dev.perfkit.cache.QueryCache;
import dev.perfkit.memory.MemoryManager;
import dev.perfkit.profile.QueryProfiler;
import java.util.function.Supplier;

/*
 * The components a monitor reads, each either given by the host or found lazily through the Perf
 * facade. A facade lookup happens once: a module that is not on the class path stays absent (the
 * ServiceLoader scan is not repeated on every dashboard refresh). Lookups run outside Perf's
 * creation of the monitor, so the monitor never creates a component while it is being created.
 */
final class Components {
    final Source<QueryCache> cache;
    final Source<MemoryManager> memory;
    final Source<QueryProfiler> profiler;

    Components(Source<QueryCache> cache, Source<MemoryManager> memory, Source<QueryProfiler> profiler) {
        this.cache = cache;
        this.memory = memory;
        this.profiler = profiler;
    }

    static Components fromFacade() {
        return new Components(
                Source.lazy(Perf::getQueryCache),
                Source.lazy(Perf::getMemoryManager),
                Source.lazy(Perf::getQueryProfiler));
    }

    /** One component: present, absent, or looked up on first use. */
    static final class Source<T> {
        private final Supplier<T> lookup;
        private volatile boolean resolved;
        private volatile T value;
        private volatile String absentReason = "not given to the monitor";

        private Source(Supplier<T> lookup, T value, boolean resolved) {
            this.lookup = lookup;
            this.value = value;
            this.resolved = resolved;
        }

        static <T> Source<T> of(T value) {
            return new Source<>(null, value, true);
        }

        static <T> Source<T> absent() {
            return new Source<>(null, null, true);
        }

        static <T> Source<T> absent(String reason) {
            Source<T> source = new Source<>(null, null, true);
            source.absentReason = reason;
            return source;
        }

        static <T> Source<T> lazy(Supplier<T> lookup) {
            return new Source<>(lookup, null, false);
        }

        /** Returns the component, or null when it is absent. */
        T get() {
            if (!resolved) {
                synchronized (this) {
                    if (!resolved) {
                        try {
                            value = lookup.get();
                        } catch (PerfException e) {
                            absentReason = e.getMessage();
                        }
                        resolved = true;
                    }
                }
            }
            return value;
        }

        String absentReason() {
            return absentReason;
        }
    }
}
