package dev.perfkit.db;

import static java.util.Objects.requireNonNull;

import dev.perfkit.PerfConfig;
import dev.perfkit.batch.BatchProcessorBuilder;
import io.github.resilience4j.bulkhead.Bulkhead;
import io.github.resilience4j.bulkhead.BulkheadConfig;
import io.github.resilience4j.core.IntervalFunction;
import io.github.resilience4j.ratelimiter.RateLimiter;
import io.github.resilience4j.ratelimiter.RateLimiterConfig;
import io.github.resilience4j.retry.Retry;
import io.github.resilience4j.retry.RetryConfig;
import java.time.Duration;
import java.util.concurrent.Callable;
import java.util.function.Predicate;
import java.util.function.Supplier;

/**
 * Retries, concurrency limits and rate limits for the host's own database calls, on Resilience4j —
 * the seeds' "intelligent retry logic" and concurrency control.
 *
 * <pre>{@code
 * Retry retry = Retries.retry("balances");                     // 3 attempts, 100 ms, x2, capped at 2 s, jitter
 * Document account = Retries.call(retry, () -> accounts.find(eq("_id", id)).first());
 *
 * Retry timeouts = Retries.retry("balances", e -> e instanceof TimeoutException);  // your own predicate
 * Bulkhead bulkhead = Retries.bulkhead("db", config);           // DB_MAX_CONCURRENCY calls at once
 * RateLimiter limiter = Retries.rateLimiter("db", config);      // DB_RATE_LIMIT calls per second
 * }</pre>
 *
 * <p>The returned objects are plain Resilience4j instances: decorate suppliers, publish events or
 * bind them to Micrometer with Resilience4j's own modules.
 */
public final class Retries {
    /** Attempts per call by default, the first included. */
    public static final int DEFAULT_MAX_ATTEMPTS = 3;

    /** Wait before the first retry by default. */
    public static final Duration DEFAULT_INITIAL_BACKOFF = Duration.ofMillis(100);

    /** Growth of the wait per retry by default. */
    public static final double DEFAULT_MULTIPLIER = 2.0;

    /** Cap on the wait by default. */
    public static final Duration DEFAULT_MAX_BACKOFF = Duration.ofSeconds(2);

    /** Spread of each wait: ±50 %, so that many clients do not retry in lockstep. */
    public static final double JITTER = 0.5;

    private Retries() {}

    /**
     * Returns a retry with the defaults, retrying every failure except programming errors ({@link
     * BatchProcessorBuilder#DEFAULT_RETRY_ON}).
     *
     * @param name the retry's name, for events and metrics
     * @return the retry
     */
    public static Retry retry(String name) {
        return retry(name, BatchProcessorBuilder.DEFAULT_RETRY_ON);
    }

    /**
     * Returns a retry with the default backoff and a predicate of what is worth retrying.
     *
     * @param name the retry's name
     * @param retryOn which failures to retry, e.g. MongoDB's transient errors
     * @return the retry
     */
    public static Retry retry(String name, Predicate<Throwable> retryOn) {
        return Retry.of(
                requireNonNull(name, "name"),
                config(
                        DEFAULT_MAX_ATTEMPTS,
                        DEFAULT_INITIAL_BACKOFF,
                        DEFAULT_MULTIPLIER,
                        DEFAULT_MAX_BACKOFF,
                        retryOn));
    }

    /**
     * Returns a retry configuration: exponential backoff with jitter, capped.
     *
     * @param maxAttempts attempts per call, the first included; at least 1
     * @param initialBackoff wait before the first retry; positive
     * @param multiplier growth per retry; at least 1
     * @param maxBackoff cap on the wait; at least {@code initialBackoff}
     * @param retryOn which failures to retry
     * @return the configuration
     * @throws IllegalArgumentException for a value out of range
     */
    public static RetryConfig config(
            int maxAttempts,
            Duration initialBackoff,
            double multiplier,
            Duration maxBackoff,
            Predicate<Throwable> retryOn) {
        if (maxAttempts < 1) {
            throw new IllegalArgumentException("maxAttempts must be positive: " + maxAttempts);
        }
        requireNonNull(initialBackoff, "initialBackoff");
        requireNonNull(maxBackoff, "maxBackoff");
        requireNonNull(retryOn, "retryOn");
        if (initialBackoff.isNegative() || initialBackoff.isZero()) {
            throw new IllegalArgumentException("initialBackoff must be positive: " + initialBackoff);
        }
        if (!(multiplier >= 1.0) || Double.isInfinite(multiplier)) {
            throw new IllegalArgumentException("multiplier must be at least 1: " + multiplier);
        }
        if (maxBackoff.compareTo(initialBackoff) < 0) {
            throw new IllegalArgumentException(
                    "maxBackoff must be at least initialBackoff (" + initialBackoff + "): " + maxBackoff);
        }
        return RetryConfig.custom()
                .maxAttempts(maxAttempts)
                .intervalFunction(
                        IntervalFunction.ofExponentialRandomBackoff(initialBackoff, multiplier, JITTER, maxBackoff))
                .retryOnException(retryOn)
                .build();
    }

    /**
     * Runs a call under a retry; checked exceptions are retried like any other and rethrown as
     * they are once the retry gives up.
     *
     * @param retry the retry
     * @param call the call
     * @param <T> the result type
     * @return the call's result
     * @throws Exception the last failure when every attempt failed, or a failure not worth retrying
     */
    public static <T> T call(Retry retry, Callable<T> call) throws Exception {
        return requireNonNull(retry, "retry").executeCallable(requireNonNull(call, "call"));
    }

    /**
     * Runs a call under a retry.
     *
     * @param retry the retry
     * @param call the call
     * @param <T> the result type
     * @return the call's result
     */
    public static <T> T get(Retry retry, Supplier<T> call) {
        return requireNonNull(retry, "retry").executeSupplier(requireNonNull(call, "call"));
    }

    /**
     * Returns a bulkhead that lets {@code DB_MAX_CONCURRENCY} calls run at once; a call that finds
     * it full waits up to five seconds, then fails with {@code BulkheadFullException}.
     *
     * @param name the bulkhead's name
     * @param config supplies {@code DB_MAX_CONCURRENCY}
     * @return the bulkhead
     */
    public static Bulkhead bulkhead(String name, PerfConfig config) {
        requireNonNull(config, "config");
        return Bulkhead.of(
                requireNonNull(name, "name"),
                BulkheadConfig.custom()
                        .maxConcurrentCalls(config.dbMaxConcurrency())
                        .maxWaitDuration(Duration.ofSeconds(5))
                        .build());
    }

    /**
     * Returns a rate limiter that admits {@code DB_RATE_LIMIT} calls per second; a call over the
     * limit waits up to five seconds for a permit, then fails with {@code RequestNotPermitted}.
     *
     * @param name the limiter's name
     * @param config supplies {@code DB_RATE_LIMIT}
     * @return the rate limiter
     */
    public static RateLimiter rateLimiter(String name, PerfConfig config) {
        requireNonNull(config, "config");
        return RateLimiter.of(
                requireNonNull(name, "name"),
                RateLimiterConfig.custom()
                        .limitForPeriod(config.dbRateLimit())
                        .limitRefreshPeriod(Duration.ofSeconds(1))
                        .timeoutDuration(Duration.ofSeconds(5))
                        .build());
    }
}
