package dev.perfkit.bench;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import com.github.benmanes.caffeine.cache.Expiry;
import dev.perfkit.cache.caffeine.CaffeineQueryCache;
import dev.perfkit.memory.MemoryPressureRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Duration;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * The query cache against its baselines: raw Caffeine configured the same way (variable expiry,
 * size bound, statistics), an unbounded {@link ConcurrentHashMap}, and a {@code synchronized}
 * access-ordered {@link LinkedHashMap} with TTLs — what the Python seeds' TTLCache amounts to.
 *
 * <p>Every cache holds 100,000 entries ({@code user:<id>:<field>}, 20,000 users × 5 fields) under a
 * bound of 200,000, so nothing is evicted while measuring. Lookups follow a Zipfian distribution
 * (exponent 0.99, ranks scrambled over the keys, seeded): a few users are hot and most are rare, as
 * in a chat bot and as in Caffeine's own benchmarks. Prefix invalidation picks users uniformly.
 *
 * <pre>
 * mvn -B -q install -DskipTests
 * java -jar perf-bench/target/perfkit.jar jmh QueryCacheBenchmark -t 1 -prof gc
 * java -jar perf-bench/target/perfkit.jar jmh QueryCacheBenchmark -t 2 -prof gc
 * </pre>
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
public class QueryCacheBenchmark {
    static final int USERS = 20_000;
    static final String[] FIELDS = {"profile", "balance", "inventory", "stats", "guilds"};
    static final int ENTRIES = USERS * FIELDS.length;
    static final int MAX_SIZE = 2 * ENTRIES;
    static final Duration TTL = Duration.ofMinutes(5);

    /** The implementations compared. */
    public enum Impl {
        /** perfkit's cache. */
        CAFFEINE_QUERY_CACHE {
            @Override
            public Adapter create() {
                CaffeineQueryCache cache = CaffeineQueryCache.builder()
                        .name("bench")
                        .maxSize(MAX_SIZE)
                        .defaultTtl(TTL)
                        .meterRegistry(new SimpleMeterRegistry())
                        .pressureRegistry(MemoryPressureRegistry.create())
                        .build();
                return new Adapter() {
                    @Override
                    public Object get(String key) {
                        return cache.get(key);
                    }

                    @Override
                    public void set(String key, Object value) {
                        cache.set(key, value, TTL);
                    }

                    @Override
                    public Object getOrLoad(String key, Supplier<Object> loader) {
                        return cache.getOrLoad(key, TTL, loader);
                    }

                    @Override
                    public long invalidatePrefix(String prefix) {
                        return cache.invalidatePrefix(prefix);
                    }
                };
            }
        },
        /** Caffeine alone: variable expiry, size bound, statistics on. */
        RAW_CAFFEINE {
            @Override
            public Adapter create() {
                long ttlNanos = TTL.toNanos();
                Cache<String, Object> cache = Caffeine.newBuilder()
                        .maximumSize(MAX_SIZE)
                        .expireAfter(new Expiry<String, Object>() {
                            @Override
                            public long expireAfterCreate(String key, Object value, long currentTime) {
                                return ttlNanos;
                            }

                            @Override
                            public long expireAfterUpdate(
                                    String key, Object value, long currentTime, long currentDuration) {
                                return ttlNanos;
                            }

                            @Override
                            public long expireAfterRead(
                                    String key, Object value, long currentTime, long currentDuration) {
                                return currentDuration;
                            }
                        })
                        .recordStats()
                        .build();
                return new Adapter() {
                    @Override
                    public Object get(String key) {
                        return cache.getIfPresent(key);
                    }

                    @Override
                    public void set(String key, Object value) {
                        cache.put(key, value);
                    }

                    @Override
                    public Object getOrLoad(String key, Supplier<Object> loader) {
                        return cache.get(key, k -> loader.get());
                    }

                    @Override
                    public long invalidatePrefix(String prefix) {
                        return removeByPrefix(cache.asMap(), prefix);
                    }
                };
            }
        },
        /** No TTL, no bound, no statistics: the floor. */
        CONCURRENT_HASH_MAP {
            @Override
            public Adapter create() {
                ConcurrentHashMap<String, Object> map = new ConcurrentHashMap<>();
                return new Adapter() {
                    @Override
                    public Object get(String key) {
                        return map.get(key);
                    }

                    @Override
                    public void set(String key, Object value) {
                        map.put(key, value);
                    }

                    @Override
                    public Object getOrLoad(String key, Supplier<Object> loader) {
                        return map.computeIfAbsent(key, k -> loader.get());
                    }

                    @Override
                    public long invalidatePrefix(String prefix) {
                        return removeByPrefix(map, prefix);
                    }
                };
            }
        },
        /** A synchronized LRU with per-entry expiry times, like the seeds' TTLCache. */
        SYNCHRONIZED_LRU {
            @Override
            public Adapter create() {
                return new SynchronizedTtlLru(MAX_SIZE, TTL);
            }
        };

        /**
         * Creates an empty instance holding up to {@code 2 × 100,000} entries.
         *
         * @return the adapter
         */
        public abstract Adapter create();
    }

    /** The operations measured, common to every implementation. */
    public interface Adapter {
        /** Looks a key up. */
        Object get(String key);

        /** Stores a value with the benchmark's TTL. */
        void set(String key, Object value);

        /** Looks up, loading on a miss. */
        Object getOrLoad(String key, Supplier<Object> loader);

        /** Removes every key with the prefix. */
        long invalidatePrefix(String prefix);
    }

    static long removeByPrefix(Map<String, ?> map, String prefix) {
        long removed = 0;
        for (Iterator<String> keys = map.keySet().iterator(); keys.hasNext(); ) {
            if (keys.next().startsWith(prefix)) {
                keys.remove();
                removed++;
            }
        }
        return removed;
    }

    /** The seeds' TTLCache in Java: one lock around an access-ordered LinkedHashMap. */
    static final class SynchronizedTtlLru implements Adapter {
        private record Timed(Object value, long expiresAt) {}

        private final long ttlNanos;
        private final LinkedHashMap<String, Timed> map;

        SynchronizedTtlLru(int maxSize, Duration ttl) {
            this.ttlNanos = ttl.toNanos();
            this.map = new LinkedHashMap<>(16, 0.75f, true) {
                @Override
                protected boolean removeEldestEntry(Map.Entry<String, Timed> eldest) {
                    return size() > maxSize;
                }
            };
        }

        @Override
        public synchronized Object get(String key) {
            Timed timed = map.get(key);
            if (timed == null) {
                return null;
            }
            if (System.nanoTime() - timed.expiresAt > 0) {
                map.remove(key);
                return null;
            }
            return timed.value;
        }

        @Override
        public synchronized void set(String key, Object value) {
            map.put(key, new Timed(value, System.nanoTime() + ttlNanos));
        }

        @Override
        public synchronized Object getOrLoad(String key, Supplier<Object> loader) {
            Object value = get(key);
            if (value == null) {
                value = loader.get();
                set(key, value);
            }
            return value;
        }

        @Override
        public synchronized long invalidatePrefix(String prefix) {
            return removeByPrefix(map, prefix);
        }
    }

    static final Supplier<Object> LOADER = () -> "loaded";

    @Param
    Impl impl;

    Adapter cache;
    String[] hitKeys;
    String[] missKeys;
    /** Key indexes in Zipfian order; each thread walks them from its own offset. */
    static final int[] ZIPF = zipfianIndexes(1 << 16, ENTRIES, 0.99, 42);

    /** Draws {@code samples} ranks from Zipf(exponent) over n items and scrambles ranks to indexes. */
    static int[] zipfianIndexes(int samples, int n, double exponent, long seed) {
        double[] cumulative = new double[n];
        double sum = 0;
        for (int rank = 1; rank <= n; rank++) {
            sum += 1 / Math.pow(rank, exponent);
            cumulative[rank - 1] = sum;
        }
        java.util.SplittableRandom random = new java.util.SplittableRandom(seed);
        int[] permutation = new int[n];
        for (int i = 0; i < n; i++) {
            permutation[i] = i;
        }
        for (int i = n - 1; i > 0; i--) {
            int j = random.nextInt(i + 1);
            int swap = permutation[i];
            permutation[i] = permutation[j];
            permutation[j] = swap;
        }
        int[] indexes = new int[samples];
        for (int s = 0; s < samples; s++) {
            int rank = java.util.Arrays.binarySearch(cumulative, random.nextDouble() * sum);
            indexes[s] = permutation[rank < 0 ? Math.min(n - 1, -rank - 1) : rank];
        }
        return indexes;
    }

    @Setup(Level.Trial)
    public void fill() {
        cache = impl.create();
        hitKeys = new String[ENTRIES];
        missKeys = new String[ENTRIES];
        int i = 0;
        for (int user = 0; user < USERS; user++) {
            for (String field : FIELDS) {
                hitKeys[i] = "user:" + user + ":" + field;
                missKeys[i] = "absent:" + user + ":" + field;
                cache.set(hitKeys[i], "value-" + i);
                i++;
            }
        }
    }

    /** Each benchmark thread walks the Zipfian sequence from its own offset. */
    @State(Scope.Thread)
    public static class Cursor {
        int position = (int) ((Thread.currentThread().getId() * 7919) % ZIPF.length);

        int next() {
            position = (position + 1) & (ZIPF.length - 1);
            return ZIPF[position];
        }

        int uniform() {
            position = (position + 1) & (ZIPF.length - 1);
            return (int) ((position * 2654435761L) % USERS);
        }
    }

    @Benchmark
    public Object getHit(Cursor cursor) {
        return cache.get(hitKeys[cursor.next()]);
    }

    @Benchmark
    public Object getMiss(Cursor cursor) {
        return cache.get(missKeys[cursor.next()]);
    }

    @Benchmark
    public void set(Cursor cursor) {
        int i = cursor.next();
        cache.set(hitKeys[i], hitKeys[i]);
    }

    @Benchmark
    public Object getOrLoadHit(Cursor cursor) {
        return cache.getOrLoad(hitKeys[cursor.next()], LOADER);
    }

    /**
     * "Invalidate everything of one user" on the full cache: removes the user's five entries, then
     * puts them back so the cache stays at 100,000 entries. Microseconds, so read it in µs.
     */
    @Benchmark
    @OutputTimeUnit(TimeUnit.MICROSECONDS)
    public long invalidatePrefix(Cursor cursor) {
        int user = cursor.uniform();
        long removed = cache.invalidatePrefix("user:" + user + ":");
        for (String field : FIELDS) {
            cache.set("user:" + user + ":" + field, field);
        }
        return removed;
    }
}
