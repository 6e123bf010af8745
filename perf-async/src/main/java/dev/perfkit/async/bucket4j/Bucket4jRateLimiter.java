package dev.perfkit.async.bucket4j;

import static java.util.Objects.requireNonNull;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import dev.perfkit.PerfConfig;
import dev.perfkit.async.KeyedRateLimiter;
import dev.perfkit.internal.Durations;
import dev.perfkit.internal.MeterOwnership;
import dev.perfkit.internal.Meters;
import io.github.bucket4j.BlockingStrategy;
import io.github.bucket4j.Bucket;
import io.github.bucket4j.EstimationProbe;
import io.github.bucket4j.TimeMeter;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.LongSupplier;

/**
 * A {@link KeyedRateLimiter} with one Bucket4j token bucket per key: {@code permits} tokens, all of
 * them refilled at once every {@code window} ("N per window", counted from the key's first use).
 *
 * <pre>{@code
 * KeyedRateLimiter receipts = Bucket4jRateLimiter.create(config, "receipt", 10, Duration.ofMinutes(1));
 * }</pre>
 *
 * <p><b>Memory.</b> Buckets live in a Caffeine cache that forgets a key idle for a whole window —
 * its bucket would be full again, so forgetting it changes nothing — and holds at most {@code
 * RATE_LIMIT_MAX_KEYS} keys. Past that bound Caffeine evicts the keys least likely to come back,
 * which resets their limits: size the bound above the number of keys active within one window.
 *
 * <p><b>Metrics</b>, tagged {@code limiter} (the name, unique per registry), never by key: {@code
 * perfkit.ratelimit.allowed}, {@code .rejected} (counters) and {@code .keys} (gauge). Thread-safe.
 */
public final class Bucket4jRateLimiter implements KeyedRateLimiter {
    private final String name;
    private final int permits;
    private final Duration window;
    private final TimeMeter timeMeter;
    private final BlockingStrategy blockingStrategy;
    private final Cache<Object, Bucket> buckets;
    private final MeterRegistry meterRegistry;
    private final LongAdder allowed = new LongAdder();
    private final LongAdder rejected = new LongAdder();
    private final List<Meter> meters = new ArrayList<>();
    private String meterName;
    private volatile boolean closed;

    private Bucket4jRateLimiter(Builder builder) {
        this.name = builder.name;
        this.permits = builder.permits;
        this.window = builder.window;
        LongSupplier clock = builder.clock;
        this.timeMeter = new TimeMeter() {
            @Override
            public long currentTimeNanos() {
                return clock.getAsLong();
            }

            @Override
            public boolean isWallClockBased() {
                return false;
            }
        };
        this.blockingStrategy = builder.blockingStrategy;
        this.buckets = Caffeine.newBuilder()
                .maximumSize(builder.maxKeys)
                .expireAfterAccess(window)
                .ticker(clock::getAsLong)
                .executor(Runnable::run)
                .build();
        this.meterRegistry = builder.meterRegistry;
    }

    /**
     * Creates a limiter with the configuration's key bound ({@code RATE_LIMIT_MAX_KEYS}) and meter
     * registry.
     *
     * @param config the configuration
     * @param name the limiter's name
     * @param permits permits per window per key, positive
     * @param window the window, positive, at most 365 days
     * @return the limiter
     */
    public static Bucket4jRateLimiter create(PerfConfig config, String name, int permits, Duration window) {
        requireNonNull(config, "config");
        return builder(name, permits, window)
                .maxKeys(config.rateLimitMaxKeys())
                .meterRegistry(config.meterRegistry())
                .build();
    }

    /**
     * Starts a builder.
     *
     * @param name the limiter's name, not blank
     * @param permits permits per window per key, positive
     * @param window the window, positive, at most 365 days
     * @return a builder
     * @throws IllegalArgumentException for a value out of range
     */
    public static Builder builder(String name, int permits, Duration window) {
        return new Builder(name, permits, window);
    }

    private Bucket4jRateLimiter start() {
        meterName = MeterOwnership.claim(meterRegistry, "ratelimit", name);
        meters.add(FunctionCounter.builder("perfkit.ratelimit.allowed", allowed, LongAdder::sum)
                .description("Permits taken")
                .tag("limiter", meterName)
                .register(meterRegistry));
        meters.add(FunctionCounter.builder("perfkit.ratelimit.rejected", rejected, LongAdder::sum)
                .description("Permits refused")
                .tag("limiter", meterName)
                .register(meterRegistry));
        meters.add(Gauge.builder("perfkit.ratelimit.keys", this, Bucket4jRateLimiter::trackedKeys)
                .description("Keys remembered")
                .tag("limiter", meterName)
                .register(meterRegistry));
        return this;
    }

    @Override
    public String name() {
        return name;
    }

    @Override
    public int permits() {
        return permits;
    }

    @Override
    public Duration window() {
        return window;
    }

    @Override
    public boolean tryAcquire(Object key) {
        boolean taken = bucket(key).tryConsume(1);
        (taken ? allowed : rejected).increment();
        return taken;
    }

    @Override
    public boolean acquire(Object key, Duration timeout) {
        requireNonNull(key, "key");
        Durations.checkNonNegative("timeout", timeout);
        boolean taken;
        try {
            taken = bucket(key).asBlocking().tryConsume(1, timeout, blockingStrategy);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            taken = false;
        }
        (taken ? allowed : rejected).increment();
        return taken;
    }

    @Override
    public Duration retryAfter(Object key) {
        requireNonNull(key, "key");
        checkOpen();
        Bucket bucket = buckets.getIfPresent(key);
        if (bucket == null) {
            return Duration.ZERO; // unknown or forgotten: a full bucket
        }
        EstimationProbe probe = bucket.estimateAbilityToConsume(1);
        return probe.canBeConsumed() ? Duration.ZERO : Duration.ofNanos(probe.getNanosToWaitForRefill());
    }

    @Override
    public long trackedKeys() {
        buckets.cleanUp();
        return buckets.estimatedSize();
    }

    private Bucket bucket(Object key) {
        requireNonNull(key, "key");
        checkOpen();
        return buckets.get(key, k -> Bucket.builder()
                .addLimit(limit -> limit.capacity(permits).refillIntervally(permits, window))
                .withCustomTimePrecision(timeMeter)
                .build());
    }

    private void checkOpen() {
        if (closed) {
            throw new IllegalStateException("rate limiter '" + name + "' is closed");
        }
    }

    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        buckets.invalidateAll();
        Meters.removeQuietly(meterRegistry, meters);
        MeterOwnership.release(meterRegistry, "ratelimit", meterName);
    }

    @Override
    public String toString() {
        return "KeyedRateLimiter{" + name + ": " + permits + " per " + window + " per key}";
    }

    /** Configures a {@link Bucket4jRateLimiter}. Setters check their values at once. Not thread-safe. */
    public static final class Builder {
        private final String name;
        private final int permits;
        private final Duration window;
        private int maxKeys = 100_000;
        private MeterRegistry meterRegistry = new SimpleMeterRegistry();
        private LongSupplier clock = System::nanoTime;
        private BlockingStrategy blockingStrategy = BlockingStrategy.PARKING;

        private Builder(String name, int permits, Duration window) {
            requireNonNull(name, "name");
            if (name.isBlank()) {
                throw new IllegalArgumentException("name must not be blank: '" + name + "'");
            }
            if (permits <= 0) {
                throw new IllegalArgumentException("permits must be positive: " + permits);
            }
            this.name = name;
            this.permits = permits;
            this.window = Durations.checkPositive("window", window);
        }

        /**
         * Sets the most keys remembered at once.
         *
         * @param maxKeys a positive number
         * @return this builder
         * @throws IllegalArgumentException if not positive
         */
        public Builder maxKeys(int maxKeys) {
            if (maxKeys <= 0) {
                throw new IllegalArgumentException("maxKeys must be positive: " + maxKeys);
            }
            this.maxKeys = maxKeys;
            return this;
        }

        /**
         * Sets where the limiter's meters go.
         *
         * @param meterRegistry the registry
         * @return this builder
         */
        public Builder meterRegistry(MeterRegistry meterRegistry) {
            this.meterRegistry = requireNonNull(meterRegistry, "meterRegistry");
            return this;
        }

        /**
         * Sets the clock (tests pass a fake one), monotonic nanoseconds like {@link System#nanoTime()}.
         *
         * @param clock the clock
         * @return this builder
         */
        public Builder clock(LongSupplier clock) {
            this.clock = requireNonNull(clock, "clock");
            return this;
        }

        /**
         * Sets how {@link KeyedRateLimiter#acquire} waits (tests pass one that advances a fake clock).
         *
         * @param blockingStrategy Bucket4j's strategy; default parking the thread
         * @return this builder
         */
        public Builder blockingStrategy(BlockingStrategy blockingStrategy) {
            this.blockingStrategy = requireNonNull(blockingStrategy, "blockingStrategy");
            return this;
        }

        /**
         * Builds the limiter.
         *
         * @return the limiter
         */
        public Bucket4jRateLimiter build() {
            return new Bucket4jRateLimiter(this).start();
        }
    }
}
