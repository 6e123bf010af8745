package dev.perfkit.redis;

import io.github.resilience4j.circuitbreaker.CircuitBreaker;
import io.github.resilience4j.circuitbreaker.CircuitBreakerConfig;
import io.lettuce.core.ClientOptions;
import io.lettuce.core.KeyScanCursor;
import io.lettuce.core.RedisChannelHandler;
import io.lettuce.core.RedisClient;
import io.lettuce.core.RedisConnectionStateListener;
import io.lettuce.core.RedisURI;
import io.lettuce.core.ScanArgs;
import io.lettuce.core.ScanCursor;
import io.lettuce.core.SetArgs;
import io.lettuce.core.SocketOptions;
import io.lettuce.core.TimeoutOptions;
import io.lettuce.core.TrackingArgs;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.api.push.PushMessage;
import io.lettuce.core.api.sync.RedisCommands;
import io.lettuce.core.codec.ByteArrayCodec;
import io.lettuce.core.codec.RedisCodec;
import io.lettuce.core.codec.StringCodec;
import io.lettuce.core.protocol.ProtocolVersion;
import io.lettuce.core.pubsub.RedisPubSubAdapter;
import io.lettuce.core.pubsub.StatefulRedisPubSubConnection;
import io.lettuce.core.resource.ClientResources;
import io.lettuce.core.resource.DefaultClientResources;
import java.net.SocketAddress;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/*
 * The Redis side of a RedisQueryCache: one Lettuce connection for commands (RESP3, with CLIENT
 * TRACKING in broadcast mode on the cache's key prefix when the server has it), or a pub/sub channel
 * for servers without tracking, and the rules that keep the in-process levels of every instance
 * honest:
 *
 *  - Available only while connected AND receiving invalidations. Losing either (a disconnect, a
 *    circuit breaker opened by failing commands, a ping that times out) makes the level unavailable
 *    at once and flushes the in-process level, since invalidations may be missed from then on.
 *  - Recovery happens on one thread (the pinger): reconnect if needed, replay the invalidations this
 *    instance made while Redis was away (so Redis drops what they outdated), re-enable tracking or
 *    the subscription, flush the in-process level again (what it cached meanwhile never heard other
 *    instances), and only then become available.
 *  - Every command runs through a Resilience4j circuit breaker with the configured timeout; while
 *    unavailable no command is sent and the callers fall back to the in-process level or the loader.
 */
final class SharedLevel implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(SharedLevel.class);
    private static final int SCAN_BATCH = 500;
    private static final int MAX_PENDING_INVALIDATIONS = 10_000;

    /** How invalidations reach other instances. */
    enum Invalidation {
        /** CLIENT TRACKING (RESP3, Redis 6+) when the server has it, pub/sub otherwise. */
        AUTO,
        /** Redis's server-assisted invalidation: BCAST on the cache's prefix. */
        TRACKING,
        /** A pub/sub channel perfkit publishes to after each write. */
        PUBSUB
    }

    /** What the shared level tells the cache. */
    interface Listener {
        void invalidateKey(String key);

        void invalidatePrefix(String prefix);

        /** Flushes the in-process level: called when invalidations may have been missed. */
        void invalidateAll(String reason);
    }

    /** Thrown instead of a command when Redis is not usable now; callers fall back. */
    static final class Unavailable extends RuntimeException {
        private static final long serialVersionUID = 1L;

        Unavailable(String message, Throwable cause) {
            super(message, cause, false, false);
        }
    }

    private final RedisURI uri;
    private final String namespace; // "perfkit:cache:<name>:"
    private final String channel; // pub/sub channel of the namespace
    private final String generations; // "perfkit:cachegen:<name>:", outside the tracked prefix
    private final String instanceId;
    private final Duration timeout;
    private final Invalidation requested;
    private final Listener listener;
    private final RedisClient client;
    private final CircuitBreaker breaker;
    private final ScheduledExecutorService pinger;
    private final Object lifecycle = new Object();
    private final AtomicBoolean closed = new AtomicBoolean();
    private final AtomicLong invalidationsReceived = new AtomicLong();
    private final AtomicLong failures = new AtomicLong();
    private final Set<String> pendingKeys = new LinkedHashSet<>(); // guarded by itself
    private final Set<String> pendingPrefixes = new LinkedHashSet<>(); // guarded by pendingKeys
    private boolean pendingAll; // guarded by pendingKeys

    private volatile StatefulRedisConnection<String, byte[]> connection;
    private volatile StatefulRedisPubSubConnection<String, String> subscription;
    private volatile Invalidation active = Invalidation.AUTO;
    private volatile boolean available;
    private volatile String unavailableReason = "not connected yet";

    SharedLevel(
            RedisURI uri,
            String namespace,
            Duration timeout,
            Duration pingInterval,
            Invalidation invalidation,
            String instanceId,
            Listener listener) {
        this.uri = uri;
        this.namespace = namespace;
        this.channel = namespace + "invalidations";
        this.generations = namespace.replaceFirst("^perfkit:cache:", "perfkit:cachegen:");
        this.instanceId = instanceId;
        this.timeout = timeout;
        this.requested = invalidation;
        this.listener = listener;
        this.client = RedisClient.create(Resources.get(), uri);
        client.setOptions(ClientOptions.builder()
                .autoReconnect(true)
                .disconnectedBehavior(ClientOptions.DisconnectedBehavior.REJECT_COMMANDS)
                .timeoutOptions(TimeoutOptions.enabled(timeout))
                .socketOptions(SocketOptions.builder().connectTimeout(timeout).build())
                .protocolVersion(invalidation == Invalidation.PUBSUB ? ProtocolVersion.RESP2 : ProtocolVersion.RESP3)
                .build());
        client.addListener(new RedisConnectionStateListener() {
            @Override
            public void onRedisDisconnected(RedisChannelHandler<?, ?> handler) {
                if (handler == connection || handler == subscription) {
                    lost("connection to Redis lost", null);
                }
            }

            @Override
            public void onRedisConnected(RedisChannelHandler<?, ?> handler, SocketAddress address) {
                // Tracking and subscriptions are restored by the pinger's recovery, not here: this
                // runs on an I/O thread, where commands must not block.
            }
        });
        this.breaker = CircuitBreaker.of(
                "perfkit-redis-" + namespace,
                CircuitBreakerConfig.custom()
                        .slidingWindowType(CircuitBreakerConfig.SlidingWindowType.COUNT_BASED)
                        .slidingWindowSize(20)
                        .minimumNumberOfCalls(5)
                        .failureRateThreshold(50)
                        .waitDurationInOpenState(pingInterval)
                        .permittedNumberOfCallsInHalfOpenState(1)
                        .build());
        breaker.getEventPublisher().onStateTransition(event -> {
            CircuitBreaker.State to = event.getStateTransition().getToState();
            if (to == CircuitBreaker.State.OPEN || to == CircuitBreaker.State.FORCED_OPEN) {
                lost("Redis commands are failing (circuit breaker open)", null);
            }
        });
        this.pinger = Executors.newSingleThreadScheduledExecutor(runnable -> {
            Thread thread = new Thread(runnable, "perfkit-redis-" + namespace);
            thread.setDaemon(true);
            return thread;
        });
        pinger.execute(this::checkQuietly); // connect now, in the background: start-up never waits on Redis
        long every = pingInterval.toMillis();
        pinger.scheduleWithFixedDelay(this::checkQuietly, every, every, TimeUnit.MILLISECONDS);
    }

    /** Connects (or reconnects) synchronously once, for callers that want Redis before they start. */
    boolean awaitAvailable(Duration wait) {
        long end = System.nanoTime() + wait.toNanos();
        synchronized (lifecycle) {
            while (!available && !closed.get()) {
                long left = end - System.nanoTime();
                if (left <= 0) {
                    break;
                }
                try {
                    TimeUnit.NANOSECONDS.timedWait(lifecycle, left); // recover() and close() notify
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    break;
                }
            }
            return available;
        }
    }

    boolean available() {
        return available;
    }

    String unavailableReason() {
        return available ? "" : unavailableReason;
    }

    Invalidation mode() {
        return active;
    }

    long invalidationsReceived() {
        return invalidationsReceived.get();
    }

    long failures() {
        return failures.get();
    }

    String namespace() {
        return namespace;
    }

    // ---- commands

    /**
     * What a read saw: the entry (or null) and the invalidation generations of its key's stripe and
     * of the whole cache at that moment. A value loaded after a miss is stored only if no
     * invalidation happened since (see {@link #storeLoaded}).
     */
    record Read(byte[] value, byte[] stripeGeneration, byte[] allGeneration) {}

    private static final String STORE_LOADED = "if (redis.call('GET', KEYS[2]) or '0') == ARGV[1]"
            + " and (redis.call('GET', KEYS[3]) or '0') == ARGV[2] then"
            + " return redis.call('SET', KEYS[1], ARGV[3], 'PX', ARGV[4], 'NX') end return false";
    /*
     * Bumps the key's generation, then deletes it. The SET first makes the key "modified" even when
     * it was absent, so that client tracking tells every instance: one of them may be loading the
     * key into its memory right now, from a source read before this invalidation.
     */
    private static final String INVALIDATE = "redis.call('INCR', KEYS[2])"
            + " local existed = redis.call('EXISTS', KEYS[1])"
            + " redis.call('SET', KEYS[1], '', 'PX', 1000) redis.call('UNLINK', KEYS[1]) return existed";
    /** A key whose modification tells tracking instances "invalidate this prefix": see deletePrefix. */
    private static final String PREFIX_MARKER = "\u0000prefix:";

    private static final int STRIPES = 4096;
    private static final byte[] ZERO = "0".getBytes(StandardCharsets.US_ASCII);

    private String stripeKey(String key) {
        return generations + "s" + (key.hashCode() & (STRIPES - 1));
    }

    private String allKey() {
        return generations + "all";
    }

    Read get(String key) {
        List<io.lettuce.core.KeyValue<String, byte[]>> values =
                call(() -> commands().mget(namespace + key, stripeKey(key), allKey()));
        return new Read(
                values.get(0).getValueOrElse(null),
                values.get(1).getValueOrElse(ZERO),
                values.get(2).getValueOrElse(ZERO));
    }

    /**
     * Stores a value loaded after the miss {@code seen}, only if the key is still absent and no
     * invalidation of it (or of the whole cache, by any instance) happened since that read: atomic
     * in Redis, so a load that raced an invalidation never leaves its stale value behind.
     */
    boolean storeLoaded(String key, byte[] value, long ttlMillis, Read seen) {
        Object reply = call(() -> commands()
                .eval(
                        STORE_LOADED,
                        io.lettuce.core.ScriptOutputType.STATUS,
                        new String[] {namespace + key, stripeKey(key), allKey()},
                        seen.stripeGeneration(),
                        seen.allGeneration(),
                        value,
                        Long.toString(Math.max(1, ttlMillis)).getBytes(StandardCharsets.US_ASCII)));
        return "OK".equals(reply);
    }

    /**
     * Stores several entries in one pipelined batch: the commands go out back to back and are
     * awaited together, one round trip's latency instead of one per entry.
     */
    void setAll(Map<String, byte[]> entries, long ttlMillis) {
        if (entries.isEmpty()) {
            return;
        }
        Boolean unused = call(() -> {
            StatefulRedisConnection<String, byte[]> current = connection;
            if (current == null) {
                throw new IllegalStateException("not connected");
            }
            io.lettuce.core.api.async.RedisAsyncCommands<String, byte[]> async = current.async();
            List<io.lettuce.core.RedisFuture<?>> futures = new ArrayList<>(entries.size() * 2);
            SetArgs args = SetArgs.Builder.px(Math.max(1, ttlMillis));
            entries.forEach((key, value) -> {
                futures.add(async.set(namespace + key, value, args));
                if (active == Invalidation.PUBSUB) {
                    futures.add(async.publish(channel, (instanceId + "|k|" + key).getBytes(StandardCharsets.UTF_8)));
                }
            });
            Duration wait = timeout.plus(timeout.multipliedBy(futures.size() / 100));
            if (!io.lettuce.core.LettuceFutures.awaitAll(
                    wait, futures.toArray(new java.util.concurrent.Future<?>[0]))) {
                throw new io.lettuce.core.RedisCommandTimeoutException(
                        "a batch of " + entries.size() + " entries took longer than " + wait);
            }
            for (io.lettuce.core.RedisFuture<?> future : futures) {
                if (future.getError() != null) {
                    throw new io.lettuce.core.RedisCommandExecutionException(future.getError());
                }
            }
            return Boolean.TRUE;
        });
    }

    /** Stores an entry, replacing what Redis held (an explicit set). */
    void set(String key, byte[] value, long ttlMillis) {
        String unused = call(() -> commands().set(namespace + key, value, SetArgs.Builder.px(Math.max(1, ttlMillis))));
        announce("k", key);
    }

    /** Removes an entry everywhere; while unavailable, remembers it for the recovery. */
    boolean delete(String key) {
        Long removed = removal(
                key,
                null,
                () -> call(() -> commands()
                        .eval(INVALIDATE, io.lettuce.core.ScriptOutputType.INTEGER, namespace + key, stripeKey(key))));
        announce("k", key);
        return removed != null && removed > 0;
    }

    /**
     * Removes every entry whose key starts with {@code prefix}: SCAN in batches of 500 and UNLINK
     * each batch, so each command is bounded work for Redis (never KEYS).
     */
    long deletePrefix(String prefix) {
        long removed = removal(null, prefix, () -> scanAndUnlink(prefix));
        announce("p", prefix);
        return removed;
    }

    private long scanAndUnlink(String prefix) {
        Long unused = call(() -> commands().incr(allKey())); // first: loads in flight must not store after this
        if (active == Invalidation.TRACKING) {
            // Tracking reports keys, not prefixes: modifying a marker key whose name carries the
            // prefix tells every instance to drop the prefix from memory (loads in flight included).
            String marker = namespace + PREFIX_MARKER + prefix;
            String unusedReply = call(() -> commands().set(marker, new byte[0], SetArgs.Builder.px(1_000)));
        }
        Long removed = call(() -> unlinkMatching(commands(), prefix));
        return removed;
    }

    /** Deletes the keys under a prefix: SCAN in batches, UNLINK each batch (never KEYS). */
    private long unlinkMatching(RedisCommands<String, byte[]> commands, String prefix) {
        ScanArgs args =
                ScanArgs.Builder.matches(escapeGlob(namespace + prefix) + "*").limit(SCAN_BATCH);
        ScanCursor cursor = ScanCursor.INITIAL;
        long removed = 0;
        do {
            KeyScanCursor<String> page = commands.scan(cursor, args);
            if (!page.getKeys().isEmpty()) {
                Long unlinked = commands.unlink(page.getKeys().toArray(String[]::new));
                removed += unlinked == null ? 0 : unlinked;
            }
            cursor = page;
        } while (!cursor.isFinished());
        return removed;
    }

    /**
     * Runs a removal of a key or a prefix. While Redis is away, or if it goes away during the
     * removal, the removal is remembered for the recovery's replay and Unavailable thrown.
     */
    private <T> T removal(String key, String prefix, java.util.function.Supplier<T> remove) {
        if (!available) {
            remember(key, prefix);
            throw new Unavailable(unavailableReason, null);
        }
        try {
            return remove.get();
        } catch (Unavailable e) {
            remember(key, prefix);
            throw e;
        }
    }

    private void remember(String key, String prefix) {
        synchronized (pendingKeys) {
            if (pendingAll) {
                return;
            }
            if (prefix != null) {
                pendingPrefixes.add(prefix);
                if (prefix.isEmpty()) {
                    pendingAll = true;
                }
            } else {
                pendingKeys.add(key);
            }
            if (pendingKeys.size() + pendingPrefixes.size() > MAX_PENDING_INVALIDATIONS) {
                pendingAll = true; // too many to replay one by one: the recovery clears the namespace
                pendingKeys.clear();
                pendingPrefixes.clear();
            }
        }
    }

    /** Remembers a write made while Redis was away: the recovery deletes the entry it outdated. */
    void rememberWrite(String key) {
        remember(key, null);
    }

    /** Publishes an invalidation, in pub/sub mode; tracking needs nothing (Redis sends them itself). */
    private void announce(String kind, String subject) {
        if (active != Invalidation.PUBSUB) {
            return;
        }
        String message = instanceId + '|' + kind + '|' + subject;
        Long unused = call(() -> commands().publish(channel, message.getBytes(StandardCharsets.UTF_8)));
    }

    private RedisCommands<String, byte[]> commands() {
        StatefulRedisConnection<String, byte[]> current = connection;
        if (current == null) {
            throw new IllegalStateException("not connected");
        }
        return current.sync();
    }

    private <T> T call(Supplier<T> command) {
        if (!available) {
            throw new Unavailable(unavailableReason, null);
        }
        if (!breaker.tryAcquirePermission()) {
            throw new Unavailable("circuit breaker open", null);
        }
        long start = System.nanoTime();
        try {
            T result = command.get();
            breaker.onSuccess(System.nanoTime() - start, TimeUnit.NANOSECONDS);
            return result;
        } catch (RuntimeException e) {
            failures.incrementAndGet();
            breaker.onError(System.nanoTime() - start, TimeUnit.NANOSECONDS, e);
            throw new Unavailable("Redis command failed: " + e.getMessage(), e);
        }
    }

    // ---- availability

    private void lost(String reason, Throwable cause) {
        if (closed.get()) {
            return;
        }
        boolean was;
        synchronized (lifecycle) {
            was = available;
            available = false;
            unavailableReason = reason;
        }
        if (was) {
            if (cause == null) {
                log.warn("perfkit cache {} works in memory only: {}", namespace, reason);
            } else {
                log.warn("perfkit cache {} works in memory only: {}", namespace, reason, cause);
            }
        }
        listener.invalidateAll(reason); // invalidations may be missed from now on
    }

    private void checkQuietly() {
        if (closed.get()) {
            return;
        }
        try {
            check();
        } catch (RuntimeException | LinkageError e) {
            lost("Redis check failed: " + e.getMessage(), null);
        }
    }

    /** The pinger: detects a silent connection while available, recovers while not. */
    private void check() {
        if (closed.get()) {
            return;
        }
        if (available) {
            try {
                String pong = call(() -> {
                    StatefulRedisConnection<String, byte[]> current = connection;
                    return current == null ? null : current.sync().ping();
                });
                if (!"PONG".equals(pong)) {
                    lost("Redis did not answer PING", null);
                }
            } catch (Unavailable e) {
                lost("Redis did not answer PING: " + e.getMessage(), null);
            }
            return;
        }
        recover();
    }

    private void recover() {
        try {
            if (connection == null || !connection.isOpen()) {
                closeConnections();
                StatefulRedisConnection<String, byte[]> opened =
                        client.connect(RedisCodec.of(StringCodec.UTF8, ByteArrayCodec.INSTANCE));
                if (closed.get()) {
                    opened.close();
                    return;
                }
                connection = opened;
                connection.addListener(this::onPush);
            }
            RedisCommands<String, byte[]> commands = connection.sync();
            if (!"PONG".equals(commands.ping())) {
                return;
            }
            replayPending(commands);
            enableInvalidations(commands);
        } catch (RuntimeException e) {
            unavailableReason = "Redis unreachable at " + uri.getHost() + ":" + uri.getPort() + ": " + e.getMessage();
            log.debug("perfkit cache {}: {}", namespace, unavailableReason, e);
            return;
        }
        // Entries cached while Redis was away never heard other instances' writes.
        listener.invalidateAll("Redis is back");
        breaker.transitionToClosedState();
        synchronized (lifecycle) {
            if (closed.get()) {
                return;
            }
            available = true;
            unavailableReason = "";
            lifecycle.notifyAll();
        }
        log.info(
                "perfkit cache {} uses Redis at {}:{} ({} invalidation)",
                namespace,
                uri.getHost(),
                uri.getPort(),
                active == Invalidation.PUBSUB ? "pub/sub" : "client-tracking");
    }

    /** Deletes what this instance invalidated or rewrote while Redis was away. */
    private void replayPending(RedisCommands<String, byte[]> commands) {
        List<String> keys;
        List<String> prefixes;
        boolean all;
        synchronized (pendingKeys) {
            keys = new ArrayList<>(pendingKeys);
            prefixes = new ArrayList<>(pendingPrefixes);
            all = pendingAll;
        }
        if (all) {
            prefixes = List.of("");
            keys = List.of();
        }
        if (!prefixes.isEmpty() || !keys.isEmpty()) {
            Long unused = commands.incr(allKey()); // loads that began before the outage must not store
        }
        for (String prefix : prefixes) {
            long unused = unlinkMatching(commands, prefix);
        }
        for (int i = 0; i < keys.size(); i += SCAN_BATCH) {
            List<String> batch = keys.subList(i, Math.min(keys.size(), i + SCAN_BATCH));
            Long unused = commands.unlink(batch.stream().map(k -> namespace + k).toArray(String[]::new));
        }
        synchronized (pendingKeys) {
            pendingKeys.removeAll(keys);
            prefixes.forEach(pendingPrefixes::remove);
            if (all) {
                pendingAll = false;
                pendingPrefixes.clear();
            }
        }
    }

    private void enableInvalidations(RedisCommands<String, byte[]> commands) {
        if (requested != Invalidation.PUBSUB) {
            try {
                String unused = commands.clientTracking(TrackingArgs.Builder.enabled(false));
                unused = commands.clientTracking(TrackingArgs.Builder.enabled()
                        .bcast()
                        .prefixes(namespace)
                        .noloop());
                active = Invalidation.TRACKING;
                return;
            } catch (RuntimeException e) {
                if (requested == Invalidation.TRACKING) {
                    throw e;
                }
                log.info("Redis has no CLIENT TRACKING ({}); perfkit uses pub/sub for invalidations", e.getMessage());
            }
        }
        if (subscription == null || !subscription.isOpen()) {
            subscription = client.connectPubSub();
            subscription.addListener(new RedisPubSubAdapter<>() {
                @Override
                public void message(String from, String message) {
                    onPublished(message);
                }
            });
        }
        subscription.sync().subscribe(channel);
        active = Invalidation.PUBSUB;
    }

    private void onPush(PushMessage message) {
        if (!"invalidate".equals(message.getType())) {
            return;
        }
        List<Object> content = message.getContent(StringCodec.UTF8::decodeKey);
        Object keys = content.size() > 1 ? content.get(1) : null;
        invalidationsReceived.incrementAndGet();
        if (!(keys instanceof List<?> list)) {
            listener.invalidateAll("Redis flushed its keys");
            return;
        }
        for (Object key : list) {
            String text = key instanceof ByteBuffer buffer ? StringCodec.UTF8.decodeKey(buffer) : String.valueOf(key);
            if (text.startsWith(namespace + PREFIX_MARKER)) {
                listener.invalidatePrefix(text.substring(namespace.length() + PREFIX_MARKER.length()));
            } else if (text.startsWith(namespace)) {
                listener.invalidateKey(text.substring(namespace.length()));
            }
        }
    }

    private void onPublished(String message) {
        int first = message.indexOf('|');
        int second = first < 0 ? -1 : message.indexOf('|', first + 1);
        if (second < 0) {
            return;
        }
        if (message.regionMatches(0, instanceId, 0, first) && first == instanceId.length()) {
            return; // our own: already applied
        }
        invalidationsReceived.incrementAndGet();
        String kind = message.substring(first + 1, second);
        String subject = message.substring(second + 1);
        switch (kind) {
            case "k" -> listener.invalidateKey(subject);
            case "p" -> listener.invalidatePrefix(subject);
            default -> listener.invalidateAll("another instance cleared the cache");
        }
    }

    /** Escapes Redis glob characters, so a prefix is matched literally. */
    static String escapeGlob(String text) {
        StringBuilder escaped = new StringBuilder(text.length() + 8);
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            if (c == '*' || c == '?' || c == '[' || c == ']' || c == '\\') {
                escaped.append('\\');
            }
            escaped.append(c);
        }
        return escaped.toString();
    }

    private void closeConnections() {
        StatefulRedisPubSubConnection<String, String> sub = subscription;
        subscription = null;
        if (sub != null) {
            sub.close();
        }
        StatefulRedisConnection<String, byte[]> current = connection;
        connection = null;
        if (current != null) {
            current.close();
        }
    }

    @Override
    public void close() {
        if (!closed.compareAndSet(false, true)) {
            return;
        }
        synchronized (lifecycle) {
            available = false;
            unavailableReason = "closed";
            lifecycle.notifyAll();
        }
        // Not shutdownNow: interrupting a connect in progress can leave its connection open behind
        // our back. The check in progress ends within the connect timeout.
        pinger.shutdown();
        try {
            if (!pinger.awaitTermination(5, TimeUnit.SECONDS)) {
                log.warn("perfkit cache {}: the Redis check thread did not stop within 5 s", namespace);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        closeConnections();
        client.shutdown(Duration.ZERO, timeout.multipliedBy(4));
    }

    /*
     * One set of Lettuce resources (event loops, timers) for every cache in the process, as Lettuce
     * recommends: a cache then costs one connection and one check thread, not a thread pool.
     * Its threads are daemons and live as long as the process.
     */
    private static final class Resources {
        private static volatile ClientResources shared;

        static ClientResources get() {
            ClientResources current = shared;
            if (current == null) {
                synchronized (Resources.class) {
                    current = shared;
                    if (current == null) {
                        current = DefaultClientResources.builder()
                                .ioThreadPoolSize(2)
                                .computationThreadPoolSize(2)
                                .threadFactoryProvider(poolName -> runnable -> {
                                    Thread thread = new Thread(runnable, "perfkit-lettuce-" + poolName);
                                    thread.setDaemon(true);
                                    return thread;
                                })
                                .build();
                        shared = current;
                    }
                }
            }
            return current;
        }
    }
}
