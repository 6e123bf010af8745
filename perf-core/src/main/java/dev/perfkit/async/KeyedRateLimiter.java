package dev.perfkit.async;

import java.time.Duration;

/**
 * "N per window per key": a rate limit per user (or guild, or channel) rather than one for everyone
 * — the seeds' {@code @rate_limiter.limit(max_requests=10, window_seconds=60)}.
 *
 * <pre>{@code
 * KeyedRateLimiter receipts = Perf.rateLimiter("receipt", 10, Duration.ofMinutes(1));
 * if (!receipts.tryAcquire(userId)) {
 *     reply("Slow down: try again in " + receipts.retryAfter(userId).toSeconds() + " s");
 * }
 * }</pre>
 *
 * <p>Memory stays bounded however many keys pass through: a key idle for a whole window is
 * forgotten (its limit would be full again anyway). Keys are never metric tags. Thread-safe. After
 * {@link #close()} every call throws {@link IllegalStateException}.
 */
public interface KeyedRateLimiter extends AutoCloseable {

    /** Returns the limiter's name. */
    String name();

    /** Returns the permits per window per key. */
    int permits();

    /** Returns the window. */
    Duration window();

    /**
     * Takes a permit for a key if one is left, without waiting.
     *
     * @param key the key (a user id, ...), compared with {@code equals}
     * @return whether a permit was taken
     * @throws NullPointerException if {@code key} is null
     */
    boolean tryAcquire(Object key);

    /**
     * Takes a permit for a key, waiting up to {@code timeout} for one.
     *
     * @param key the key
     * @param timeout the longest wait, zero or more, at most 365 days
     * @return whether a permit was taken (false after the timeout or when interrupted, with the
     *     interrupt flag restored)
     * @throws NullPointerException if an argument is null
     * @throws IllegalArgumentException if {@code timeout} is negative or too long
     */
    boolean acquire(Object key, Duration timeout);

    /**
     * Says when the key gets a permit again.
     *
     * @param key the key
     * @return {@link Duration#ZERO} while the key has permits left, else the wait until the next one
     * @throws NullPointerException if {@code key} is null
     */
    Duration retryAfter(Object key);

    /** Returns the number of keys currently remembered (approximate). */
    long trackedKeys();

    /** Removes the limiter's meters and forgets every key. Idempotent. */
    @Override
    void close();
}
