package dev.perfkit.db;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.perfkit.PerfConfig;
import dev.perfkit.PerformanceMode;
import io.github.resilience4j.bulkhead.Bulkhead;
import io.github.resilience4j.ratelimiter.RateLimiter;
import io.github.resilience4j.retry.Retry;
import java.io.IOException;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

class RetriesTest {

    @Test
    void call_retriesTransientFailuresThenSucceeds() throws Exception {
        Retry retry = Retry.of("test", Retries.config(3, Duration.ofMillis(1), 2.0, Duration.ofMillis(5), e -> true));
        AtomicInteger attempts = new AtomicInteger();

        String result = Retries.call(retry, () -> {
            if (attempts.incrementAndGet() < 3) {
                throw new IOException("reset");
            }
            return "ok";
        });

        assertThat(result).isEqualTo("ok");
        assertThat(attempts).hasValue(3);
        assertThat(retry.getMetrics().getNumberOfSuccessfulCallsWithRetryAttempt())
                .isEqualTo(1);
    }

    @Test
    void call_givesUpAfterMaxAttemptsWithTheLastFailure() {
        Retry retry = Retry.of("test", Retries.config(2, Duration.ofMillis(1), 2.0, Duration.ofMillis(5), e -> true));
        AtomicInteger attempts = new AtomicInteger();
        IOException last = new IOException("still down");

        assertThatThrownBy(() -> Retries.call(retry, () -> {
                    attempts.incrementAndGet();
                    throw last;
                }))
                .isSameAs(last);
        assertThat(attempts).hasValue(2);
    }

    @Test
    void retry_default_doesNotRetryProgrammingErrors() {
        Retry retry = Retries.retry("defaults");
        AtomicInteger attempts = new AtomicInteger();

        assertThatThrownBy(() -> Retries.get(retry, () -> {
                    attempts.incrementAndGet();
                    throw new IllegalArgumentException("bad query");
                }))
                .isInstanceOf(IllegalArgumentException.class);
        assertThat(attempts).hasValue(1);
        assertThat(retry.getRetryConfig().getMaxAttempts()).isEqualTo(Retries.DEFAULT_MAX_ATTEMPTS);
    }

    @Test
    void retry_backoffGrowsWithJitterAndIsCapped() {
        var intervals = Retries.config(10, Duration.ofMillis(100), 2.0, Duration.ofMillis(400), e -> true)
                .getIntervalBiFunction();
        long first = intervals.apply(1, null);
        long fifth = intervals.apply(5, null);

        assertThat(first).isBetween(50L, 150L);
        assertThat(fifth).isBetween(200L, 400L);
    }

    @Test
    void config_rejectsBadValuesWithTheValue() {
        assertThatThrownBy(() -> Retries.config(0, Duration.ofMillis(1), 2, Duration.ofMillis(1), e -> true))
                .hasMessage("maxAttempts must be positive: 0");
        assertThatThrownBy(() -> Retries.config(1, Duration.ZERO, 2, Duration.ofMillis(1), e -> true))
                .hasMessage("initialBackoff must be positive: PT0S");
        assertThatThrownBy(() -> Retries.config(1, Duration.ofMillis(1), 0.5, Duration.ofMillis(1), e -> true))
                .hasMessage("multiplier must be at least 1: 0.5");
    }

    @Test
    void bulkheadAndRateLimiter_followTheModePresets() {
        PerfConfig high = PerfConfig.preset(PerformanceMode.HIGH);

        Bulkhead bulkhead = Retries.bulkhead("db", high);
        RateLimiter limiter = Retries.rateLimiter("db", high);

        assertThat(bulkhead.getBulkheadConfig().getMaxConcurrentCalls()).isEqualTo(high.dbMaxConcurrency());
        assertThat(limiter.getRateLimiterConfig().getLimitForPeriod()).isEqualTo(high.dbRateLimit());
        assertThat(PerfConfig.preset(PerformanceMode.LOW).dbMaxConcurrency()).isLessThan(high.dbMaxConcurrency());
    }
}
