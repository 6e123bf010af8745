package dev.perfkit.redis;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.perfkit.Concurrently;
import dev.perfkit.cache.CacheLevel;
import dev.perfkit.memory.MemoryPressureRegistry;
import io.lettuce.core.RedisClient;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.codec.ByteArrayCodec;
import io.lettuce.core.codec.RedisCodec;
import io.lettuce.core.codec.StringCodec;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLongArray;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** Several instances on one (embedded) Redis: sharing, invalidation, staleness, outages, codecs, leaks. */
class TwoLevelCacheTest {
    private static final AtomicInteger NAMES = new AtomicInteger();
    private static final Duration ARRIVAL = Duration.ofSeconds(5); // generous: CI machines are noisy
    private static EmbeddedRedis redis;
    private final List<RedisQueryCache> caches = new ArrayList<>();

    @BeforeAll
    static void startRedis() {
        redis = EmbeddedRedis.start();
    }

    @AfterAll
    static void stopRedis() {
        redis.close();
    }

    @AfterEach
    void closeCaches() {
        caches.forEach(RedisQueryCache::close);
    }

    /** Instances of one cache (same name), as several bot processes would create them. */
    private List<RedisQueryCache> instances(int count, SharedLevel.Invalidation mode) {
        return instances(count, mode, "shared-" + NAMES.incrementAndGet(), DefaultValueCodec.create());
    }

    private List<RedisQueryCache> instances(int count, SharedLevel.Invalidation mode, String name, ValueCodec codec) {
        List<RedisQueryCache> created = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            RedisQueryCache cache = builder(name, mode).codec(codec).build();
            caches.add(cache);
            created.add(cache);
        }
        for (RedisQueryCache cache : created) {
            assertThat(cache.awaitRedis(Duration.ofSeconds(10)))
                    .as(cache.redisUnavailableReason())
                    .isTrue();
        }
        return created;
    }

    /** Instances of one cache on a given server. */
    private List<RedisQueryCache> instancesOn(EmbeddedRedis server, int count) {
        String name = "outage-" + NAMES.incrementAndGet();
        List<RedisQueryCache> created = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            RedisQueryCache cache = builder(server.uri(), name).build();
            caches.add(cache);
            created.add(cache);
            assertThat(cache.awaitRedis(Duration.ofSeconds(10))).isTrue();
        }
        return created;
    }

    private static RedisQueryCache.Builder builder(String name, SharedLevel.Invalidation mode) {
        return builder(redis.uri(), name).invalidation(mode);
    }

    /** A cache on any server, checked every 200 ms, with meters and memory pressure of its own. */
    private static RedisQueryCache.Builder builder(String uri, String name) {
        return RedisQueryCache.builder()
                .redisUri(uri)
                .name(name)
                .pingInterval(Duration.ofMillis(200))
                .meterRegistry(new SimpleMeterRegistry())
                .pressureRegistry(MemoryPressureRegistry.create());
    }

    @Test
    void instancesShareEntries_differentNamesNever() {
        List<RedisQueryCache> bot = instances(3, SharedLevel.Invalidation.AUTO);
        RedisQueryCache other = instances(1, SharedLevel.Invalidation.AUTO).get(0);

        bot.get(0).set("guild:1:settings", "prefix=!");

        assertThat(bot.get(1).get("guild:1:settings")).isEqualTo("prefix=!");
        assertThat(bot.get(2).get("guild:1:settings")).isEqualTo("prefix=!");
        assertThat(bot.get(1).redisStats().redisHits()).isPositive();
        // Then from its own memory. (Redis sends broadcast invalidations in batches, so the one for
        // the set above may still arrive after the first read and drop that copy once: harmless.)
        await().atMost(ARRIVAL).untilAsserted(() -> {
            assertThat(bot.get(1).get("guild:1:settings")).isEqualTo("prefix=!");
            assertThat(bot.get(1).redisStats().memoryHits()).isPositive();
        });
        assertThat(other.get("guild:1:settings")).isNull();
        assertThat(bot.get(0).redisStats().invalidation()).isEqualTo("tracking");
    }

    @ParameterizedTest
    @EnumSource(
            value = SharedLevel.Invalidation.class,
            names = {"TRACKING", "PUBSUB"})
    void writesOnOneInstance_removeTheEntryFromEveryOthersMemory(SharedLevel.Invalidation mode) {
        List<RedisQueryCache> bot = instances(3, mode);
        RedisQueryCache a = bot.get(0);
        RedisQueryCache b = bot.get(1);
        RedisQueryCache c = bot.get(2);
        a.set("user:1", "v1");
        a.set("user:2", "v1");
        a.set("item:1", "v1");
        for (RedisQueryCache cache : List.of(b, c)) { // now in their memory
            assertThat(cache.get("user:1")).isEqualTo("v1");
            assertThat(cache.get("user:2")).isEqualTo("v1");
            assertThat(cache.get("item:1")).isEqualTo("v1");
        }

        a.set("user:1", "v2");
        await().atMost(ARRIVAL).untilAsserted(() -> {
            assertThat(b.get("user:1")).isEqualTo("v2");
            assertThat(c.get("user:1")).isEqualTo("v2");
        });

        b.invalidate("user:2");
        await().atMost(ARRIVAL).untilAsserted(() -> {
            assertThat(a.get("user:2")).isNull();
            assertThat(c.get("user:2")).isNull();
        });

        c.invalidatePrefix("user:");
        await().atMost(ARRIVAL).untilAsserted(() -> {
            assertThat(a.get("user:1")).isNull();
            assertThat(b.get("user:1")).isNull();
        });
        assertThat(b.get("item:1")).isEqualTo("v1"); // another prefix: untouched

        a.clear();
        await().atMost(ARRIVAL).untilAsserted(() -> {
            assertThat(b.get("item:1")).isNull();
            assertThat(c.get("item:1")).isNull();
        });
        assertThat(b.redisStats().invalidationsReceived()).isPositive();
    }

    /**
     * Cache-aside under races, across three instances: writers change the "database" and then
     * invalidate; readers load through getOrLoad. A read that starts later than the propagation
     * window after an acknowledged write must never return an older version.
     */
    @ParameterizedTest
    @EnumSource(
            value = SharedLevel.Invalidation.class,
            names = {"TRACKING", "PUBSUB"})
    void randomizedStaleness_noReadOlderThanAnAcknowledgedWrite(SharedLevel.Invalidation mode) throws Exception {
        long seed = System.nanoTime();
        System.out.println("TwoLevelCacheTest.randomizedStaleness seed=" + seed + " mode=" + mode);
        List<RedisQueryCache> bot = instances(3, mode);
        int keys = 6;
        long window = Duration.ofSeconds(1).toNanos(); // propagation allowance on a noisy CI machine
        AtomicLongArray database = new AtomicLongArray(keys); // the source of truth: a version per key
        AtomicLongArray[] ackedVersions = new AtomicLongArray[keys]; // version -> acknowledged time
        for (int k = 0; k < keys; k++) {
            ackedVersions[k] = new AtomicLongArray(100_000);
        }
        Object[] locks = new Object[keys];
        for (int k = 0; k < keys; k++) {
            locks[k] = new Object();
        }
        List<String> stale = new CopyOnWriteArrayList<>();
        Concurrently.run(6, 120, thread -> {
            SplittableRandom random = new SplittableRandom(seed + thread);
            RedisQueryCache cache = bot.get(thread % bot.size());
            for (int i = 0; i < 1_500 && stale.isEmpty(); i++) {
                int k = random.nextInt(keys);
                String key = "account:" + k;
                if (random.nextInt(4) == 0) {
                    synchronized (locks[k]) { // one writer per key at a time: "the last write" is defined
                        long version = database.incrementAndGet(k);
                        if (random.nextBoolean()) {
                            cache.invalidate(key);
                        } else {
                            cache.set(key, version);
                        }
                        long now = System.nanoTime();
                        ackedVersions[k].set((int) version, now);
                    }
                } else {
                    long start = System.nanoTime();
                    // the newest version whose write was acknowledged a window before this read began
                    long mustSee = 0;
                    long latest = database.get(k);
                    for (long v = latest; v > 0; v--) {
                        long at = ackedVersions[k].get((int) v);
                        if (at != 0 && at < start - window) {
                            mustSee = v;
                            break;
                        }
                    }
                    Long read = cache.getOrLoad(key, Duration.ofMinutes(5), () -> database.get(k));
                    if (read < mustSee) {
                        stale.add(key + ": read version " + read + ", but version " + mustSee
                                + " was acknowledged more than the window before the read");
                    }
                }
            }
        });
        assertThat(stale).isEmpty();
        assertThat(bot.stream().mapToLong(c -> c.redisStats().redisHits()).sum())
                .isPositive();
    }

    /**
     * The race client tracking alone would miss: b loads a key that Redis does not hold, from a
     * source read before a's invalidation; a's invalidation must still reach b's memory, so b's
     * stale load is not kept.
     */
    @ParameterizedTest
    @EnumSource(
            value = SharedLevel.Invalidation.class,
            names = {"TRACKING", "PUBSUB"})
    void invalidationOfAKeyRedisDoesNotHold_stillCancelsAnotherInstancesLoad(SharedLevel.Invalidation mode)
            throws Exception {
        List<RedisQueryCache> bot = instances(2, mode);
        RedisQueryCache a = bot.get(0);
        RedisQueryCache b = bot.get(1);
        long[] database = {1};
        for (String method : List.of("key", "prefix")) {
            String key = method + ":k";
            java.util.concurrent.CountDownLatch reading = new java.util.concurrent.CountDownLatch(1);
            java.util.concurrent.CountDownLatch release = new java.util.concurrent.CountDownLatch(1);
            java.util.concurrent.CompletableFuture<Long> load = java.util.concurrent.CompletableFuture.supplyAsync(
                    () -> b.getOrLoad(key, Duration.ofMinutes(5), () -> {
                        long read = database[0]; // the source, read before the write below
                        reading.countDown();
                        try {
                            release.await();
                        } catch (InterruptedException e) {
                            Thread.currentThread().interrupt();
                        }
                        return read;
                    }));
            reading.await();
            long heard = b.redisStats().invalidationsReceived();
            database[0]++;
            if (method.equals("key")) {
                a.invalidate(key);
            } else {
                a.invalidatePrefix(method + ":");
            }
            long current = database[0];
            // b hears of it while its load is still reading the old source...
            await().atMost(ARRIVAL).until(() -> b.redisStats().invalidationsReceived() > heard);
            release.countDown();
            assertThat(load.get(10, java.util.concurrent.TimeUnit.SECONDS)).isEqualTo(current - 1);
            // ...so the stale load is not kept: the next read loads the new value.
            assertThat(b.getOrLoad(key, Duration.ofMinutes(5), () -> database[0]))
                    .isEqualTo(current);
        }
    }

    @Test
    void redisStoppedMidRun_noErrorReachesTheHost_nothingStaleAfterRecovery() {
        try (EmbeddedRedis redis = EmbeddedRedis.startEmbedded()) { // its own: this test stops it
            stoppedMidRun(redis);
        }
    }

    private void stoppedMidRun(EmbeddedRedis redis) {
        List<RedisQueryCache> bot = instancesOn(redis, 2);
        RedisQueryCache a = bot.get(0);
        RedisQueryCache b = bot.get(1);
        long[] database = {1};
        assertThat(b.getOrLoad("k", Duration.ofMinutes(5), () -> database[0])).isEqualTo(1L);
        assertThat(a.getOrLoad("k", Duration.ofMinutes(5), () -> database[0])).isEqualTo(1L);

        redis.stop();
        try {
            await().atMost(ARRIVAL).until(() -> !a.isRedisAvailable() && !b.isRedisAvailable());
            // The host keeps working, in memory: no exception, loads go to the source.
            database[0] = 2;
            a.invalidate("k"); // remembered: Redis's copy (version 1) must go when it is back
            assertThat(a.getOrLoad("k", Duration.ofMinutes(5), () -> database[0]))
                    .isEqualTo(2L);
            a.set("other", "x");
            assertThat(a.get("other")).isEqualTo("x");
            assertThat(a.redisStats().redisAvailable()).isFalse();
            assertThat(a.degradedReason()).startsWith("Redis unavailable, working in memory only");
            assertThat(b.getOrLoad("k", Duration.ofMinutes(5), () -> database[0]))
                    .as("b's memory was flushed when Redis went away")
                    .isEqualTo(2L);
        } finally {
            redis.startAgain();
        }
        await().atMost(Duration.ofSeconds(15)).until(() -> a.isRedisAvailable() && b.isRedisAvailable());
        assertThat(a.degradedReason()).isEmpty();
        database[0] = 3;
        a.invalidate("k");
        await().atMost(ARRIVAL)
                .untilAsserted(() -> assertThat(b.getOrLoad("k", Duration.ofMinutes(5), () -> database[0]))
                        .isEqualTo(3L));
        assertThat(a.getOrLoad("k", Duration.ofMinutes(5), () -> database[0])).isEqualTo(3L);
    }

    @Test
    void invalidationsMadeWhileRedisWasAway_areAppliedToItBeforeItIsUsedAgain(
            @org.junit.jupiter.api.io.TempDir java.nio.file.Path data) {
        // Redis keeps its data across the outage here (append-only file): the old shared copy
        // survives unless the instance that invalidated it deletes it on recovery.
        try (EmbeddedRedis durable = EmbeddedRedis.startPersistent(data)) {
            String name = "durable-" + NAMES.incrementAndGet();
            List<RedisQueryCache> bot = new ArrayList<>();
            for (int i = 0; i < 2; i++) {
                RedisQueryCache cache = builder(durable.uri(), name).build();
                caches.add(cache);
                bot.add(cache);
                assertThat(cache.awaitRedis(Duration.ofSeconds(10))).isTrue();
            }
            RedisQueryCache a = bot.get(0);
            RedisQueryCache b = bot.get(1);
            long[] database = {1};
            assertThat(a.getOrLoad("k", Duration.ofMinutes(5), () -> database[0]))
                    .isEqualTo(1L);

            durable.stop();
            await().atMost(ARRIVAL).until(() -> !a.isRedisAvailable() && !b.isRedisAvailable());
            database[0] = 2;
            a.invalidate("k");
            durable.startAgain();

            await().atMost(Duration.ofSeconds(15)).until(() -> a.isRedisAvailable() && b.isRedisAvailable());
            await().atMost(ARRIVAL) // b may have read before a's replay; a's delete then reaches it
                    .untilAsserted(() -> assertThat(b.getOrLoad("k", Duration.ofMinutes(5), () -> database[0]))
                            .isEqualTo(2L));
        }
    }

    /**
     * More invalidations during an outage than the instance remembers one by one: the recovery
     * must then clear the whole cache in Redis rather than forget some.
     */
    @Test
    void tooManyInvalidationsWhileRedisWasAway_clearTheWholeCacheOnRecovery(
            @org.junit.jupiter.api.io.TempDir java.nio.file.Path data) {
        try (EmbeddedRedis durable = EmbeddedRedis.startPersistent(data)) {
            String name = "overflow-" + NAMES.incrementAndGet();
            RedisQueryCache a = builder(durable.uri(), name).build();
            RedisQueryCache b = builder(durable.uri(), name).build();
            caches.add(a);
            caches.add(b);
            assertThat(a.awaitRedis(Duration.ofSeconds(10)) && b.awaitRedis(Duration.ofSeconds(10)))
                    .isTrue();
            a.set("untouched", "old"); // never invalidated below, but outdated by the overflow rule

            durable.stop();
            await().atMost(ARRIVAL).until(() -> !a.isRedisAvailable());
            for (int i = 0; i <= 10_001; i++) {
                a.invalidate("key:" + i);
            }
            durable.startAgain(); // the append-only file brings "untouched" back

            await().atMost(Duration.ofSeconds(15)).until(() -> a.isRedisAvailable() && b.isRedisAvailable());
            await().atMost(ARRIVAL)
                    .untilAsserted(() -> assertThat(b.get("untouched")).isNull());
        }
    }

    @Test
    void recovery_flushesWhatMemoryCachedWhileRedisWasAway() {
        try (EmbeddedRedis redis = EmbeddedRedis.startEmbedded()) { // its own: this test stops it
            flushedOnRecovery(redis);
        }
    }

    private void flushedOnRecovery(EmbeddedRedis redis) {
        List<RedisQueryCache> bot = instancesOn(redis, 1);
        RedisQueryCache a = bot.get(0);
        redis.stop();
        try {
            await().atMost(ARRIVAL).until(() -> !a.isRedisAvailable());
            a.set("k", "cached while away");
            assertThat(a.get("k")).isEqualTo("cached while away");
        } finally {
            redis.startAgain();
        }
        await().atMost(Duration.ofSeconds(15)).until(a::isRedisAvailable);
        assertThat(a.get("k"))
                .as("flushed: other instances' writes were not heard meanwhile")
                .isNull();
    }

    @Test
    void redisUnreachableAtStartUp_startsInMemory_thenJoinsWhenRedisAppears() throws Exception {
        EmbeddedRedis later = EmbeddedRedis.startEmbedded();
        later.stop();
        RedisQueryCache cache = builder(later.uri(), "late").build();
        caches.add(cache);
        try {
            assertThat(cache.isRedisAvailable()).isFalse();
            cache.set("k", "v");
            assertThat(cache.get("k")).isEqualTo("v");
            assertThat(cache.redisUnavailableReason()).isNotEmpty();

            later.startAgain();
            await().atMost(Duration.ofSeconds(15)).until(cache::isRedisAvailable);
            cache.set("k", "w");
            assertThat(cache.get("k")).isEqualTo("w");
        } finally {
            later.close();
        }
    }

    @Test
    void largeValues_areCompressedInRedis_andReadBackIntact() throws Exception {
        List<RedisQueryCache> bot = instances(2, SharedLevel.Invalidation.AUTO);
        String big = "leaderboard ".repeat(2_000);
        bot.get(0).set("big", big);
        bot.get(0).set("small", "tiny");

        assertThat(bot.get(1).get("big")).isEqualTo(big);
        RedisClient raw = RedisClient.create(redis.uri());
        try (StatefulRedisConnection<String, byte[]> connection =
                raw.connect(RedisCodec.of(StringCodec.UTF8, ByteArrayCodec.INSTANCE))) {
            String prefix = "perfkit:cache:" + bot.get(0).name() + ":";
            byte[] stored = connection.sync().get(prefix + "big");
            assertThat(Envelope.isCompressed(stored)).isTrue();
            assertThat(stored.length).isLessThan(big.length() / 10);
            assertThat(Envelope.isCompressed(connection.sync().get(prefix + "small")))
                    .isFalse();
        } finally {
            raw.shutdown();
        }
    }

    /** A type the host did not allow. */
    record Secret(String value) {}

    /** A type the host allowed. */
    record Profile(String name, int level) {}

    @Test
    void codec_sharesAllowedRecords_keepsOthersLocal_andNeverReadsADisallowedType() throws Exception {
        String name = "codec-" + NAMES.incrementAndGet();
        List<RedisQueryCache> bot =
                instances(2, SharedLevel.Invalidation.AUTO, name, DefaultValueCodec.allowing(List.of(Profile.class)));
        bot.get(0).set("profile", new Profile("ada", 7));
        assertThat(bot.get(1).get("profile")).isEqualTo(new Profile("ada", 7));

        bot.get(0).set("secret", new Secret("s"));
        assertThat(bot.get(0).get("secret")).isEqualTo(new Secret("s")); // kept in its writer's memory
        assertThat(bot.get(1).get("secret")).isNull(); // not shared
        bot.get(1).set("secret", new Secret("t"));
        await().atMost(ARRIVAL).untilAsserted(() -> assertThat(bot.get(0).get("secret"))
                .as("the marker key carries writes to every instance")
                .isNull());

        // A hostile entry in the shared Redis naming a class that is not allowed is never read.
        RedisClient raw = RedisClient.create(redis.uri());
        try (StatefulRedisConnection<String, byte[]> connection =
                raw.connect(RedisCodec.of(StringCodec.UTF8, ByteArrayCodec.INSTANCE))) {
            byte[] type = Secret.class.getName().getBytes(StandardCharsets.UTF_8);
            byte[] json = "{\"value\":\"x\"}".getBytes(StandardCharsets.UTF_8);
            java.nio.ByteBuffer payload = java.nio.ByteBuffer.allocate(3 + type.length + json.length);
            payload.put((byte) 'j').putShort((short) type.length).put(type).put(json);
            byte[] entry = Envelope.value(payload.array(), System.currentTimeMillis() + 60_000, 1_024);
            connection.sync().set("perfkit:cache:" + name + ":planted", entry);
        } finally {
            raw.shutdown();
        }
        assertThat(bot.get(1).get("planted")).isNull();
        assertThatThrownBy(() -> DefaultValueCodec.create().encode(new Secret("x")))
                .isInstanceOf(ValueCodec.UnsupportedValueException.class)
                .hasMessageContaining(Secret.class.getName())
                .hasMessageContaining("allow-list");
    }

    @Test
    void defaultCodec_roundTripsBuiltInTypesAndBsonDocuments() {
        DefaultValueCodec codec = DefaultValueCodec.create();
        List<Object> values = List.of(
                "text ü",
                42L,
                7,
                2.5,
                true,
                new java.math.BigDecimal("12.3400"),
                java.math.BigInteger.TEN.pow(30),
                new org.bson.Document("user_id", 1)
                        .append("balance", new org.bson.types.Decimal128(new java.math.BigDecimal("10.50")))
                        .append("tags", List.of("a", "b")));
        for (Object value : values) {
            assertThat(codec.decode(codec.encode(value))).as("%s", value).isEqualTo(value);
        }
        assertThat((byte[]) codec.decode(codec.encode(new byte[] {1, 2, 3}))).containsExactly(1, 2, 3);
        assertThatThrownBy(() -> codec.decode(new byte[] {'?', 1}))
                .isInstanceOf(ValueCodec.UnsupportedValueException.class);
        assertThatThrownBy(() -> Envelope.decode(new byte[] {9, 9, 9}))
                .isInstanceOf(ValueCodec.UnsupportedValueException.class);
    }

    @Test
    void levelRedis_readsEveryTimeFromRedis_levelMemory_needsNoRedis() {
        String name = "levels-" + NAMES.incrementAndGet();
        RedisQueryCache shared = builder(name, SharedLevel.Invalidation.AUTO)
                .level(CacheLevel.REDIS)
                .build();
        caches.add(shared);
        assertThat(shared.awaitRedis(Duration.ofSeconds(10))).isTrue();
        shared.set("k", "v");
        assertThat(shared.get("k")).isEqualTo("v");
        assertThat(shared.get("k")).isEqualTo("v");
        assertThat(shared.redisStats().redisHits()).isEqualTo(2);
        assertThat(shared.redisStats().memoryHits()).isZero();

        RedisQueryCache local = RedisQueryCache.builder()
                .level(CacheLevel.MEMORY)
                .meterRegistry(new SimpleMeterRegistry())
                .pressureRegistry(MemoryPressureRegistry.create())
                .build();
        caches.add(local);
        local.set("k", "v");
        assertThat(local.get("k")).isEqualTo("v");
        assertThat(local.isRedisAvailable()).isFalse();
    }

    @Test
    void profiles_chooseLevelCompressionAndTtlPerKindOfData() throws Exception {
        List<RedisQueryCache> bot = instances(2, SharedLevel.Invalidation.AUTO);
        dev.perfkit.cache.CacheProfile sessions = dev.perfkit.cache.CacheProfile.of("sessions", Duration.ofMinutes(1))
                .withLevel(CacheLevel.MEMORY);
        dev.perfkit.cache.CacheProfile pages = dev.perfkit.cache.CacheProfile.of("pages", Duration.ofMinutes(10))
                .withLevel(CacheLevel.REDIS)
                .withCompress(false);
        String page = "row ".repeat(1_000);

        bot.get(0).withProfile(sessions).set("session:1", "token");
        bot.get(0).withProfile(pages).set("page:1", page);

        assertThat(bot.get(0).get("session:1")).isEqualTo("token");
        assertThat(bot.get(1).get("session:1")).as("memory level: never shared").isNull();
        assertThat(bot.get(1).withProfile(pages).get("page:1")).isEqualTo(page);
        long memoryHitsBefore = bot.get(1).redisStats().memoryHits();
        assertThat(bot.get(1).withProfile(pages).get("page:1")).isEqualTo(page);
        assertThat(bot.get(1).redisStats().memoryHits())
                .as("redis level: read from Redis every time")
                .isEqualTo(memoryHitsBefore);
        RedisClient raw = RedisClient.create(redis.uri());
        try (StatefulRedisConnection<String, byte[]> connection =
                raw.connect(RedisCodec.of(StringCodec.UTF8, ByteArrayCodec.INSTANCE))) {
            String key = "perfkit:cache:" + bot.get(0).name() + ":page:1";
            assertThat(Envelope.isCompressed(connection.sync().get(key))).isFalse();
            assertThat(connection.sync().pttl(key)).isBetween(590_000L, 600_000L); // the profile's TTL
            assertThat(connection.sync().exists("perfkit:cache:" + bot.get(0).name() + ":session:1"))
                    .isZero();
        } finally {
            raw.shutdown();
        }
    }

    @ParameterizedTest
    @EnumSource(
            value = SharedLevel.Invalidation.class,
            names = {"TRACKING", "PUBSUB"})
    void setAll_storesABatch_andReachesEveryInstance(SharedLevel.Invalidation mode) {
        List<RedisQueryCache> bot = instances(2, mode);
        java.util.Map<String, Object> first = new java.util.LinkedHashMap<>();
        java.util.Map<String, Object> second = new java.util.LinkedHashMap<>();
        for (int i = 0; i < 1_000; i++) {
            first.put("item:" + i, "v1-" + i);
            second.put("item:" + i, "v2-" + i);
        }
        bot.get(0).setAll(first, Duration.ofMinutes(5));
        for (int i = 0; i < 1_000; i++) {
            assertThat(bot.get(1).get("item:" + i)).isEqualTo("v1-" + i); // now in b's memory too
        }

        bot.get(0).setAll(second, Duration.ofMinutes(5));

        await().atMost(ARRIVAL).untilAsserted(() -> {
            for (int i = 0; i < 1_000; i += 37) {
                assertThat(bot.get(1).get("item:" + i)).isEqualTo("v2-" + i);
            }
        });
    }

    @Test
    void aWarmerOnOneInstance_fillsRedisForAllOfThem() {
        List<RedisQueryCache> bot = instances(2, SharedLevel.Invalidation.AUTO);
        java.util.Map<String, Object> hotels = new java.util.LinkedHashMap<>();
        for (int i = 0; i < 100; i++) {
            hotels.put("hotel:" + i, "settings " + i);
        }
        try (dev.perfkit.cache.CacheWarmer warmer = dev.perfkit.cache.CacheWarmer.builder(bot.get(0))
                .ttl(Duration.ofMinutes(10))
                .prefix("hotel:")
                .initial(() -> hotels)
                .loader(key -> "loaded " + key)
                .start()) {
            await().atMost(ARRIVAL).until(() -> warmer.warmed() == 100);
            assertThat(bot.get(1).get("hotel:42")).isEqualTo("settings 42");
            assertThat(bot.get(1).redisStats().redisHits()).isEqualTo(1);
        }
    }

    @Test
    void aPasswordProtectedRedis_isReachedWithThePasswordForm() {
        EmbeddedRedis locked = EmbeddedRedis.startWithPassword("s3cret"); // always embedded
        try {
            RedisQueryCache cache = RedisQueryCache.builder()
                    .redisUri("redis://:s3cret@127.0.0.1:" + locked.port() + "/2")
                    .name("locked")
                    .meterRegistry(new SimpleMeterRegistry())
                    .pressureRegistry(MemoryPressureRegistry.create())
                    .build();
            caches.add(cache);
            assertThat(cache.awaitRedis(Duration.ofSeconds(10))).isTrue();
            cache.set("k", "v");
            RedisQueryCache wrong = RedisQueryCache.builder()
                    .redisUri("redis://:nope@127.0.0.1:" + locked.port() + "/2")
                    .name("locked")
                    .pingInterval(Duration.ofMillis(200))
                    .meterRegistry(new SimpleMeterRegistry())
                    .pressureRegistry(MemoryPressureRegistry.create())
                    .build();
            caches.add(wrong);
            assertThat(wrong.awaitRedis(Duration.ofSeconds(2))).isFalse(); // works from memory instead
            assertThat(wrong.redisUnavailableReason()).doesNotContain("nope");
            assertThat(wrong.get("k")).isNull();
        } finally {
            locked.close();
        }
    }

    @Test
    void badInput_failsClearlyWithoutEchoingAPassword() {
        assertThatThrownBy(() -> RedisQueryCache.builder().build())
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("REDIS_URL");
        assertThatThrownBy(() -> RedisQueryCache.builder()
                        .redisUri("http://:hunter2@host:1/0")
                        .meterRegistry(new SimpleMeterRegistry())
                        .build())
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("redisUri")
                .hasMessageNotContaining("hunter2");
        assertThatThrownBy(() -> RedisQueryCache.builder().name("a b"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("a b");
        assertThatThrownBy(() -> RedisQueryCache.builder().compressionThreshold(-1))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("-1");
    }

    @Test
    void aThousandCreateCloseCycles_leakNoThreadOrConnection() throws Exception {
        Set<String> before = perfkitThreads();
        long clientsBefore = connectedClients();
        for (int i = 0; i < 1_000; i++) {
            RedisQueryCache cache =
                    builder("cycle", SharedLevel.Invalidation.AUTO).build();
            if (i % 100 == 0) {
                assertThat(cache.awaitRedis(Duration.ofSeconds(10))).isTrue();
                cache.set("k", i);
            }
            cache.close();
        }
        await().atMost(Duration.ofSeconds(20)).untilAsserted(() -> {
            assertThat(perfkitThreads()).isSubsetOf(before);
            assertThat(connectedClients()).isLessThanOrEqualTo(clientsBefore);
        });
    }

    private static Set<String> perfkitThreads() {
        return Thread.getAllStackTraces().keySet().stream()
                .filter(Thread::isAlive)
                .map(Thread::getName)
                .filter(name -> name.startsWith("perfkit-redis"))
                .collect(Collectors.toSet());
    }

    /** Clients connected to the embedded Redis, not counting the one asking. */
    private static long connectedClients() {
        RedisClient raw = RedisClient.create(redis.uri());
        try (StatefulRedisConnection<String, String> connection = raw.connect()) {
            return connection
                            .sync()
                            .clientList()
                            .lines()
                            .filter(line -> !line.isBlank())
                            .count()
                    - 1;
        } finally {
            raw.shutdown();
        }
    }
}
