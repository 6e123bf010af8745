package dev.perfkit.cache;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.perfkit.Concurrently;
import dev.perfkit.FakeTicker;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Function;
import java.util.function.Supplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The contract of {@link QueryCache} (DESIGN.md §3), run by every implementation:
 *
 * <pre>{@code
 * class CaffeineQueryCacheTest extends QueryCacheContract {
 *     protected QueryCache createCache(long maxSize, Duration defaultTtl, FakeTicker ticker) { ... }
 * }
 * }</pre>
 */
public abstract class QueryCacheContract {
    /** The clock the cache under test must use for expiry. */
    protected final FakeTicker ticker = new FakeTicker();

    /** The cache under test, created before each test and closed after it. */
    protected QueryCache cache;

    /**
     * Creates an empty cache.
     *
     * @param maxSize the bound on entries
     * @param defaultTtl the TTL of {@link QueryCache#set(String, Object)}
     * @param ticker the time source for expiry
     * @return a new cache
     */
    protected abstract QueryCache createCache(long maxSize, Duration defaultTtl, FakeTicker ticker);

    /**
     * Operations per thread of the concurrency test; a cache whose every operation is a network
     * round trip may run fewer.
     */
    protected int concurrencyOperations() {
        return 40_000;
    }

    @BeforeEach
    void createCacheUnderTest() {
        cache = createCache(1_000, Duration.ofMinutes(5), ticker);
    }

    @AfterEach
    void closeCacheUnderTest() {
        cache.close();
    }

    /**
     * {@link QueryCache#replace}: either a true compare-and-set on the very instance, keeping the
     * entry's expiry, or a refusal that changes nothing; never a swap of an equal but other value.
     */
    @Test
    void replace_swapsOnlyTheVeryValueExpected_keepingItsExpiry_orChangesNothing() {
        java.util.List<String> held = new java.util.ArrayList<>(java.util.List.of("a"));
        cache.set("k", held, Duration.ofSeconds(10));
        Object stored = cache.get("k");
        ticker.advance(Duration.ofSeconds(6));
        assertThat(cache.replace("k", new java.util.ArrayList<>(java.util.List.of("a")), java.util.List.of("b")))
                .as("an equal value is not the one expected")
                .isFalse();
        assertThat(cache.get("k")).isEqualTo(java.util.List.of("a"));
        if (cache.replace("k", stored, java.util.List.of("c"))) {
            assertThat(cache.get("k")).isEqualTo(java.util.List.of("c"));
            ticker.advance(Duration.ofSeconds(5)); // 11 s after the set: the original expiry holds
            assertThat(cache.get("k")).isNull();
        } else {
            assertThat(cache.get("k")).isEqualTo(java.util.List.of("a"));
        }
        assertThat(cache.replace("absent", stored, java.util.List.of("d"))).isFalse();
        assertThat(cache.get("absent")).isNull();
        assertThatThrownBy(() -> cache.replace(null, stored, "x")).isInstanceOf(NullPointerException.class);
        assertThatThrownBy(() -> cache.replace("k", null, "x")).isInstanceOf(NullPointerException.class);
        assertThatThrownBy(() -> cache.replace("k", stored, null)).isInstanceOf(NullPointerException.class);
    }

    @Test
    void set_thenGet_returnsValue() {
        cache.set("user:1:profile", "alice");

        assertThat(cache.get("user:1:profile")).isEqualTo("alice");
        assertThat(cache.get("user:1:profile", String.class)).isEqualTo("alice");
    }

    @Test
    void peek_returnsWhatGetWould_presentAbsentOrNull() {
        cache.set("user:1:profile", "alice");
        Object unusedMiss =
                cache.getOrLoad("user:2:settings", Duration.ofMinutes(1), Duration.ofMinutes(1), () -> null);

        assertThat(cache.peek("user:1:profile")).isEqualTo("alice");
        assertThat(cache.peek("nothing")).isNull();
        assertThat(cache.peek("user:2:settings"))
                .as("a remembered absence reads as null")
                .isNull();
        assertThatThrownBy(() -> cache.peek(null)).isInstanceOf(NullPointerException.class);
    }

    @Test
    void get_absent_returnsNull() {
        assertThat(cache.get("nothing")).isNull();
        assertThat(cache.get("nothing", String.class)).isNull();
    }

    @Test
    void get_wrongType_throwsClassCast() {
        cache.set("k", "text");

        assertThatThrownBy(() -> cache.get("k", Integer.class)).isInstanceOf(ClassCastException.class);
    }

    @Test
    void set_overwrites() {
        cache.set("k", 1);
        cache.set("k", 2);

        assertThat(cache.get("k")).isEqualTo(2);
    }

    @Test
    void set_defaultTtl_expiresAfterIt() {
        cache.set("k", "v");

        ticker.advance(Duration.ofMinutes(5).minusSeconds(1));
        assertThat(cache.get("k")).isEqualTo("v");
        ticker.advance(Duration.ofSeconds(2));
        assertThat(cache.get("k")).isNull();
    }

    @Test
    void set_perEntryTtl_expiresIndependently() {
        cache.set("short", "v", Duration.ofSeconds(10));
        cache.set("long", "v", Duration.ofHours(1));

        ticker.advance(Duration.ofSeconds(11));

        assertThat(cache.get("short")).isNull();
        assertThat(cache.get("long")).isEqualTo("v");
    }

    @Test
    void set_overwriteResetsTtl() {
        cache.set("k", "old", Duration.ofSeconds(10));
        ticker.advance(Duration.ofSeconds(8));
        cache.set("k", "new", Duration.ofSeconds(10));
        ticker.advance(Duration.ofSeconds(8));

        assertThat(cache.get("k")).isEqualTo("new");
    }

    @Test
    void set_zeroTtl_isNeverReadBack() {
        cache.set("k", "v", Duration.ZERO);

        assertThat(cache.get("k")).isNull();
    }

    @Test
    void badInput_throwsNamingTheParameter() {
        assertThatThrownBy(() -> cache.set(null, "v"))
                .isInstanceOf(NullPointerException.class)
                .hasMessageContaining("key");
        assertThatThrownBy(() -> cache.set("k", null))
                .isInstanceOf(NullPointerException.class)
                .hasMessageContaining("value");
        assertThatThrownBy(() -> cache.set("k", "v", null))
                .isInstanceOf(NullPointerException.class)
                .hasMessageContaining("ttl");
        assertThatThrownBy(() -> cache.set("k", "v", Duration.ofSeconds(-1)))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("ttl")
                .hasMessageContaining("PT-1S");
        assertThatThrownBy(() -> cache.get(null)).isInstanceOf(NullPointerException.class);
        assertThatThrownBy(() -> cache.getOrLoad("k", Duration.ofSeconds(-5), () -> "v"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("PT-5S");
        assertThatThrownBy(() -> cache.getOrLoad("k", Duration.ofSeconds(1), null))
                .isInstanceOf(NullPointerException.class)
                .hasMessageContaining("loader");
        assertThatThrownBy(() -> cache.invalidatePrefix(null)).isInstanceOf(NullPointerException.class);
        assertThatThrownBy(() -> cache.setMaxSize(-3))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("-3");
        // Nothing accepted before is lost by a rejected call.
        cache.set("kept", "v");
        assertThatThrownBy(() -> cache.set("kept", null)).isInstanceOf(NullPointerException.class);
        assertThat(cache.get("kept")).isEqualTo("v");
    }

    @Test
    void invalidate_removesAndReportsPresence() {
        cache.set("k", "v");

        assertThat(cache.invalidate("k")).isTrue();
        assertThat(cache.invalidate("k")).isFalse();
        assertThat(cache.get("k")).isNull();
    }

    @Test
    void invalidatePrefix_touchesOnlyItsPrefix() {
        cache.set("user:1:profile", "a");
        cache.set("user:1:balance", "b");
        cache.set("user:10:profile", "c");
        cache.set("user:2:profile", "d");
        cache.set("guild:1:user:1:", "e");

        assertThat(cache.invalidatePrefix("user:1:")).isEqualTo(2);

        assertThat(cache.get("user:1:profile")).isNull();
        assertThat(cache.get("user:1:balance")).isNull();
        assertThat(cache.get("user:10:profile")).isEqualTo("c");
        assertThat(cache.get("user:2:profile")).isEqualTo("d");
        assertThat(cache.get("guild:1:user:1:")).isEqualTo("e");
        assertThat(cache.invalidatePrefix("nothing:")).isZero();
    }

    @Test
    void clear_removesEverything() {
        for (int i = 0; i < 100; i++) {
            cache.set("k" + i, i);
        }

        cache.clear();

        for (int i = 0; i < 100; i++) {
            assertThat(cache.get("k" + i)).isNull();
        }
        assertThat(cache.stats().size()).isZero();
    }

    @Test
    void stats_countHitsAndMissesExactly() {
        cache.set("a", 1);
        cache.get("a");
        cache.get("a");
        cache.get("a", Integer.class);
        cache.get("b");

        CacheStats stats = cache.stats();

        assertThat(stats.hits()).isEqualTo(3);
        assertThat(stats.misses()).isEqualTo(1);
        assertThat(stats.hitRatio()).isEqualTo(0.75);
        assertThat(stats.size()).isEqualTo(1);
    }

    @Test
    void stats_noRequests_hitRatioIsOne() {
        assertThat(cache.stats().hitRatio()).isEqualTo(1.0);
        assertThat(cache.stats().requests()).isZero();
    }

    @Test
    void getOrLoad_missThenHit_loadsOnce() {
        AtomicInteger loads = new AtomicInteger();

        String first = cache.getOrLoad("k", Duration.ofMinutes(1), () -> "v" + loads.incrementAndGet());
        String second = cache.getOrLoad("k", Duration.ofMinutes(1), () -> "v" + loads.incrementAndGet());

        assertThat(first).isEqualTo("v1");
        assertThat(second).isEqualTo("v1");
        assertThat(loads).hasValue(1);
        CacheStats stats = cache.stats();
        assertThat(stats.hits()).isEqualTo(1);
        assertThat(stats.misses()).isEqualTo(1);
        assertThat(stats.loadSuccesses()).isEqualTo(1);
    }

    @Test
    void getOrLoad_ttlApplies() {
        AtomicInteger loads = new AtomicInteger();
        cache.getOrLoad("k", Duration.ofSeconds(30), loads::incrementAndGet);

        ticker.advance(Duration.ofSeconds(31));

        assertThat(cache.getOrLoad("k", Duration.ofSeconds(30), loads::incrementAndGet))
                .isEqualTo(2);
    }

    @Test
    void getOrLoad_sixteenConcurrentCallers_shareOneLoad() throws Exception {
        AtomicInteger loads = new AtomicInteger();
        CountDownLatch release = new CountDownLatch(1);

        List<Future<Object>> results = callConcurrently(
                16,
                release,
                () -> cache.getOrLoad("hot", Duration.ofMinutes(1), () -> {
                    loads.incrementAndGet();
                    awaitQuietly(release);
                    return "value";
                }));

        for (Future<Object> result : results) {
            assertThat(result.get(10, TimeUnit.SECONDS)).isEqualTo("value");
        }
        assertThat(loads).hasValue(1);
    }

    @Test
    void getOrLoad_loaderThrows_everyWaiterSeesItAndNothingIsCached() throws Exception {
        AtomicInteger loads = new AtomicInteger();
        CountDownLatch release = new CountDownLatch(1);
        IllegalStateException failure = new IllegalStateException("database down");

        List<Future<Object>> results = callConcurrently(
                8,
                release,
                () -> cache.getOrLoad("k", Duration.ofMinutes(1), () -> {
                    loads.incrementAndGet();
                    awaitQuietly(release);
                    throw failure;
                }));

        for (Future<Object> result : results) {
            assertThatThrownBy(() -> result.get(10, TimeUnit.SECONDS))
                    .isInstanceOf(ExecutionException.class)
                    .cause()
                    .isSameAs(failure);
        }
        assertThat(loads).hasValue(1);
        assertThat(cache.get("k")).isNull();
        assertThat(cache.getOrLoad("k", Duration.ofMinutes(1), () -> "recovered"))
                .isEqualTo("recovered");
        assertThat(cache.stats().loadFailures()).isEqualTo(1);
    }

    /**
     * Starts {@code callers} threads that each run {@code call} at the same moment; once every one
     * of them is parked (the loader on {@code release}, the others waiting for the loader), opens
     * {@code release}. No sleeping: the thread states say when the pile-up is complete.
     */
    private static List<Future<Object>> callConcurrently(int callers, CountDownLatch release, Callable<Object> call)
            throws InterruptedException {
        List<Thread> threads = new CopyOnWriteArrayList<>();
        ExecutorService pool = Executors.newFixedThreadPool(callers, runnable -> {
            Thread thread = new Thread(runnable, "contract-caller");
            threads.add(thread);
            return thread;
        });
        CountDownLatch start = new CountDownLatch(1);
        AtomicInteger entered = new AtomicInteger();
        try {
            List<Future<Object>> results = new ArrayList<>();
            for (int i = 0; i < callers; i++) {
                results.add(pool.submit(() -> {
                    start.await();
                    entered.incrementAndGet();
                    return call.call();
                }));
            }
            await().until(() -> threads.size() == callers);
            start.countDown();
            await().atMost(Duration.ofSeconds(30))
                    .until(() -> threads.stream().allMatch(thread -> {
                                Thread.State state = thread.getState();
                                return state == Thread.State.WAITING
                                        || state == Thread.State.BLOCKED
                                        || state == Thread.State.TIMED_WAITING;
                            })
                            && entered.get() == callers);
            release.countDown();
            return results;
        } finally {
            pool.shutdown();
        }
    }

    private static void awaitQuietly(CountDownLatch latch) {
        try {
            latch.await();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    @Test
    void invalidate_duringLoad_theLoadedValueIsNotCached() throws Exception {
        CountDownLatch loading = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        ExecutorService pool = Executors.newSingleThreadExecutor();
        try {
            Future<String> loader = pool.submit(() -> cache.getOrLoad("k", Duration.ofMinutes(1), () -> {
                loading.countDown();
                awaitQuietly(release);
                return "stale";
            }));
            loading.await();

            cache.invalidate("k");
            release.countDown();

            assertThat(loader.get(10, TimeUnit.SECONDS)).isEqualTo("stale"); // its caller still gets it
            assertThat(cache.get("k")).isNull();
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void set_duringLoad_theSetValueWins() throws Exception {
        CountDownLatch loading = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        ExecutorService pool = Executors.newSingleThreadExecutor();
        try {
            Future<String> loader = pool.submit(() -> cache.getOrLoad("k", Duration.ofMinutes(1), () -> {
                loading.countDown();
                awaitQuietly(release);
                return "loaded-before-the-write";
            }));
            loading.await();

            cache.set("k", "written");
            release.countDown();
            loader.get(10, TimeUnit.SECONDS);

            assertThat(cache.get("k")).isEqualTo("written");
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void getOrLoad_loaderReturnsNull_cachesNothing() {
        AtomicInteger loads = new AtomicInteger();

        Supplier<String> nothing = () -> {
            loads.incrementAndGet();
            return null;
        };
        String loaded = cache.getOrLoad("k", Duration.ofMinutes(1), nothing);

        assertThat(loaded).isNull();
        assertThat(cache.getOrLoad("k", Duration.ofMinutes(1), () -> "v" + loads.incrementAndGet()))
                .isEqualTo("v2");
    }

    @Test
    void getOrLoadAsync_sharesOneLoadAndCaches() throws Exception {
        AtomicInteger loads = new AtomicInteger();
        CompletableFuture<String> gate = new CompletableFuture<>();

        CompletableFuture<String> first = cache.getOrLoadAsync("k", Duration.ofMinutes(1), () -> {
            loads.incrementAndGet();
            return gate;
        });
        CompletableFuture<String> second = cache.getOrLoadAsync("k", Duration.ofMinutes(1), () -> {
            loads.incrementAndGet();
            return CompletableFuture.completedFuture("other");
        });
        gate.complete("v");

        assertThat(first.get(10, TimeUnit.SECONDS)).isEqualTo("v");
        assertThat(second.get(10, TimeUnit.SECONDS)).isEqualTo("v");
        assertThat(loads).hasValue(1);
        await().untilAsserted(() -> assertThat(cache.get("k")).isEqualTo("v"));
    }

    @Test
    void getOrLoadAsync_failedLoad_failsCallersAndCachesNothing() {
        RuntimeException failure = new RuntimeException("boom");

        CompletableFuture<String> result =
                cache.getOrLoadAsync("k", Duration.ofMinutes(1), () -> CompletableFuture.failedFuture(failure));

        assertThatThrownBy(() -> result.get(10, TimeUnit.SECONDS)).hasCause(failure);
        await().untilAsserted(() -> assertThat(
                        cache.getOrLoadAsync("k", Duration.ofMinutes(1), () -> CompletableFuture.completedFuture("ok"))
                                .get(10, TimeUnit.SECONDS))
                .isEqualTo("ok"));
    }

    @Test
    void cacheable_cachesPerArgumentUnderPrefixPlusArgument() {
        AtomicInteger calls = new AtomicInteger();
        Function<Long, String> profiles = cache.cacheable("profile:", Duration.ofMinutes(1), id -> {
            calls.incrementAndGet();
            return "user-" + id;
        });

        assertThat(profiles.apply(42L)).isEqualTo("user-42");
        assertThat(profiles.apply(42L)).isEqualTo("user-42");
        assertThat(profiles.apply(7L)).isEqualTo("user-7");

        assertThat(calls).hasValue(2);
        assertThat(cache.get("profile:42")).isEqualTo("user-42");
        cache.invalidate("profile:42");
        assertThat(profiles.apply(42L)).isEqualTo("user-42");
        assertThat(calls).hasValue(3);
        assertThatThrownBy(() -> profiles.apply(null)).isInstanceOf(NullPointerException.class);
    }

    @Test
    void setMaxSize_shrinks() {
        for (int i = 0; i < 500; i++) {
            cache.set("k" + i, i);
        }

        cache.setMaxSize(100);

        assertThat(cache.getMaxSize()).isEqualTo(100);
        await().untilAsserted(() -> assertThat(cache.stats().size()).isLessThanOrEqualTo(100));
        assertThat(cache.stats().evictions()).isGreaterThanOrEqualTo(400);
    }

    @Test
    void set_beyondMaxSize_evicts() {
        cache.setMaxSize(50);
        for (int i = 0; i < 1_000; i++) {
            cache.set("k" + i, i);
        }

        await().untilAsserted(() -> assertThat(cache.stats().size()).isLessThanOrEqualTo(50));
    }

    @Test
    void invalidate_afterLastSet_isNeverReadBack_underConcurrency() throws Exception {
        int threads = 8;
        int keysPerThread = 2_000;
        Concurrently.run(threads, 60, thread -> {
            for (int i = 0; i < keysPerThread; i++) {
                String key = "t" + thread + ":" + i;
                cache.set(key, i);
                cache.invalidate(key);
                // another thread works on a neighbour's keys at the same time
                cache.get("t" + ((thread + 1) % threads) + ":" + i);
            }
        });
        for (int t = 0; t < threads; t++) {
            for (int i = 0; i < keysPerThread; i++) {
                assertThat(cache.get("t" + t + ":" + i)).isNull();
            }
        }
    }

    @Test
    void close_isIdempotent() {
        cache.close();
        cache.close();
    }

    /** A value that remembers when it was made: by a loader (its start) or a set (start and end). */
    private static final class Stamped {
        final boolean set;
        final long start;
        volatile long end = Long.MAX_VALUE;

        Stamped(boolean set, long start) {
            this.set = set;
            this.start = start;
        }

        /** Whether a reader whose own invalidation (or set) began at {@code since} may see this. */
        boolean visibleAfter(long since) {
            return set ? end >= since : start >= since;
        }
    }

    /**
     * Eight threads mix getOrLoad, set, invalidate and invalidatePrefix on a few overlapping keys.
     * After a thread invalidated (or set) a key, its own later reads of the key never return a value
     * loaded by a loader that started before that invalidation, nor one set by a call that had
     * returned before it: invalidation wins over every load that started before it.
     */
    @Test
    void invalidation_winsOverEveryEarlierLoad_underConcurrency() throws Exception {
        long seed = System.nanoTime();
        System.out.println("QueryCacheContract.invalidationWins seed=" + seed);
        AtomicLong clock = new AtomicLong();
        String[] keys = {"a:1", "a:2", "a:3", "b:1", "b:2"};
        String[] prefixes = {"a:", "b:", "a:1", ""};
        List<String> violations = new CopyOnWriteArrayList<>();
        Concurrently.run(8, 120, thread -> {
            SplittableRandom random = new SplittableRandom(seed + thread);
            long[] since = new long[keys.length];
            for (int i = 0; i < concurrencyOperations() && violations.isEmpty(); i++) {
                int k = random.nextInt(keys.length);
                String key = keys[k];
                switch (random.nextInt(6)) {
                    case 0 -> {
                        since[k] = clock.incrementAndGet();
                        cache.invalidate(key);
                    }
                    case 1 -> {
                        String prefix = prefixes[random.nextInt(prefixes.length)];
                        long now = clock.incrementAndGet();
                        for (int j = 0; j < keys.length; j++) {
                            if (keys[j].startsWith(prefix)) {
                                since[j] = now;
                            }
                        }
                        cache.invalidatePrefix(prefix);
                    }
                    case 2 -> {
                        Stamped value = new Stamped(true, clock.incrementAndGet());
                        since[k] = value.start;
                        cache.set(key, value, Duration.ofMinutes(1));
                        value.end = clock.incrementAndGet();
                    }
                    default -> {
                        Stamped read = cache.getOrLoad(key, Duration.ofMinutes(1), () -> {
                            Stamped loaded = new Stamped(false, clock.incrementAndGet());
                            if (random.nextInt(4) == 0) {
                                Thread.yield();
                            }
                            return loaded;
                        });
                        if (!read.visibleAfter(since[k])) {
                            violations.add("seed " + seed + ": thread " + thread + " read " + key + " made at "
                                    + read.start + " (set=" + read.set + ", end=" + read.end + ") after its own "
                                    + "invalidation at " + since[k]);
                        }
                    }
                }
            }
        });
        assertThat(violations).isEmpty();
    }

    @Test
    void getOrLoad_loaderThrowsUndeclaredCheckedException_keyIsNotBlocked() throws Exception {
        IOException checked = new IOException("sneaky");
        Supplier<String> sneaky = () -> {
            throw QueryCacheContract.<RuntimeException>sneakyThrow(checked);
        };

        assertThatThrownBy(() -> cache.getOrLoad("k", Duration.ofMinutes(1), sneaky))
                .isSameAs(checked);
        assertThat(runWithin(5, () -> cache.getOrLoad("k", Duration.ofMinutes(1), () -> "v")))
                .isEqualTo("v");

        assertThat(cache.getOrLoadAsync("async", Duration.ofMinutes(1), () -> {
                    throw QueryCacheContract.<RuntimeException>sneakyThrow(checked);
                }))
                .isCompletedExceptionally();
        assertThat(cache.getOrLoadAsync("async", Duration.ofMinutes(1), () -> CompletableFuture.completedFuture("w"))
                        .get(5, TimeUnit.SECONDS))
                .isEqualTo("w");
    }

    @Test
    void getOrLoad_loaderAsksForItsOwnKey_failsClearlyInsteadOfDeadlocking() throws Exception {
        Callable<String> recursive = () -> cache.getOrLoad(
                "self", Duration.ofMinutes(1), () -> cache.getOrLoad("self", Duration.ofMinutes(1), () -> "inner"));

        assertThatThrownBy(() -> runWithin(5, recursive))
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("self")
                .hasMessageContaining("recursive");
        assertThat(runWithin(5, () -> cache.getOrLoad("self", Duration.ofMinutes(1), () -> "v")))
                .isEqualTo("v");
        assertThatThrownBy(() -> runWithin(5, () -> cache.getOrLoadAsync(
                                "selfAsync",
                                Duration.ofMinutes(1),
                                () -> cache.getOrLoadAsync(
                                        "selfAsync",
                                        Duration.ofMinutes(1),
                                        () -> CompletableFuture.completedFuture("inner")))
                        .get(5, TimeUnit.SECONDS)))
                .hasRootCauseInstanceOf(IllegalStateException.class);
    }

    /** Runs a call on another thread and fails (instead of hanging the build) if it takes too long. */
    private static <T> T runWithin(int seconds, Callable<T> call) throws Exception {
        ExecutorService executor = Executors.newSingleThreadExecutor();
        try {
            return executor.submit(call).get(seconds, TimeUnit.SECONDS);
        } catch (ExecutionException e) {
            throw e.getCause() instanceof Exception cause ? cause : e;
        } finally {
            executor.shutdownNow();
        }
    }

    @SuppressWarnings("unchecked")
    private static <E extends Throwable> E sneakyThrow(Throwable failure) throws E {
        throw (E) failure;
    }

    @Test
    void closed_refusesWritesAndLoads_readsNothing() {
        cache.set("k", "v");
        cache.close();

        assertThatThrownBy(() -> cache.set("k", "w"))
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("closed");
        assertThatThrownBy(() -> cache.getOrLoad("k", Duration.ofMinutes(1), () -> "w"))
                .isInstanceOf(IllegalStateException.class);
        assertThatThrownBy(() ->
                        cache.getOrLoadAsync("k", Duration.ofMinutes(1), () -> CompletableFuture.completedFuture("w")))
                .isInstanceOf(IllegalStateException.class);
        assertThat(cache.get("k")).isNull();
        assertThat(cache.invalidate("k")).isFalse();
        assertThat(cache.invalidatePrefix("")).isZero();
    }

    @Test
    void getOrLoad_withoutTtl_usesTheDefaultTtl() {
        AtomicInteger loads = new AtomicInteger();
        assertThat(cache.getOrLoad("settings", () -> "v" + loads.incrementAndGet()))
                .isEqualTo("v1");
        ticker.advance(Duration.ofMinutes(5).minusSeconds(1));
        assertThat(cache.getOrLoad("settings", () -> "v" + loads.incrementAndGet()))
                .isEqualTo("v1");
        ticker.advance(Duration.ofSeconds(1));
        assertThat(cache.getOrLoad("settings", () -> "v" + loads.incrementAndGet()))
                .isEqualTo("v2");
    }

    @Test
    void getOrLoad_absentTtl_remembersNothingFound_forItsOwnTtl() {
        AtomicInteger loads = new AtomicInteger();
        Supplier<String> nothing = () -> {
            loads.incrementAndGet();
            return null;
        };
        assertThat((String) cache.getOrLoad("guild:9:settings", Duration.ofMinutes(10), Duration.ofMinutes(1), nothing))
                .isNull();
        assertThat((String) cache.getOrLoad("guild:9:settings", Duration.ofMinutes(10), Duration.ofMinutes(1), nothing))
                .isNull();
        assertThat(loads).as("the absence was remembered").hasValue(1);
        assertThat(cache.get("guild:9:settings")).isNull();

        ticker.advance(Duration.ofMinutes(1));
        assertThat((String) cache.getOrLoad("guild:9:settings", Duration.ofMinutes(10), Duration.ofMinutes(1), nothing))
                .isNull();
        assertThat(loads).as("after absentTtl it loads again").hasValue(2);

        cache.set("guild:9:settings", "custom");
        assertThat((String) cache.getOrLoad("guild:9:settings", Duration.ofMinutes(10), Duration.ofMinutes(1), nothing))
                .isEqualTo("custom");
        assertThatThrownBy(() -> cache.getOrLoad("k", Duration.ofMinutes(1), Duration.ofSeconds(-1), nothing))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("absentTtl");
    }

    @Test
    void withProfile_usesTheProfilesTtl_sharesEntries_andClosingTheViewKeepsTheCache() {
        QueryCache settings = cache.withProfile(CacheProfile.of("hotel_settings", Duration.ofHours(1)));
        settings.set("hotel:1", "quiet hours 22-7");
        Object loaded = settings.getOrLoad("hotel:2", () -> "pool open");

        assertThat(cache.get("hotel:1")).isEqualTo("quiet hours 22-7"); // one cache, two views
        assertThat(loaded).isEqualTo("pool open");
        ticker.advance(Duration.ofMinutes(59));
        assertThat(settings.get("hotel:1")).isEqualTo("quiet hours 22-7");
        assertThat(settings.get("hotel:2")).isEqualTo("pool open");
        ticker.advance(Duration.ofMinutes(2));
        assertThat(settings.get("hotel:1")).isNull();
        assertThat(settings.get("hotel:2")).isNull();

        settings.close();
        cache.set("k", "v");
        assertThat(cache.get("k")).isEqualTo("v");
    }
}
