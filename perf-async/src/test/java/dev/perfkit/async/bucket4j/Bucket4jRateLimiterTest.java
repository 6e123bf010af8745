package dev.perfkit.async.bucket4j;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.perfkit.Concurrently;
import dev.perfkit.FakeTicker;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.Tag;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

class Bucket4jRateLimiterTest {
    private final FakeTicker clock = new FakeTicker();
    private final SimpleMeterRegistry meters = new SimpleMeterRegistry();

    private Bucket4jRateLimiter limiter(int permits, Duration window, int maxKeys) {
        return Bucket4jRateLimiter.builder("receipt", permits, window)
                .maxKeys(maxKeys)
                .clock(clock)
                .meterRegistry(meters)
                .blockingStrategy(nanos -> clock.advance(Duration.ofNanos(nanos))) // waits on the fake clock
                .build();
    }

    @Test
    void tryAcquire_tenPerMinutePerKey_andEachKeyHasItsOwn() {
        try (Bucket4jRateLimiter receipts = limiter(10, Duration.ofMinutes(1), 1_000)) {
            for (int i = 0; i < 10; i++) {
                assertThat(receipts.tryAcquire(42L)).isTrue();
            }
            assertThat(receipts.tryAcquire(42L)).as("the 11th in the window").isFalse();
            assertThat(receipts.tryAcquire(7L)).as("another user").isTrue();

            Duration retryAfter = receipts.retryAfter(42L);
            assertThat(retryAfter).isPositive().isLessThanOrEqualTo(Duration.ofMinutes(1));
            assertThat(receipts.retryAfter(7L)).isZero();
            assertThat(receipts.retryAfter("never seen")).isZero();

            clock.advance(retryAfter);
            assertThat(receipts.retryAfter(42L)).isZero();
            assertThat(receipts.tryAcquire(42L)).isTrue();

            assertThat(meters.get("perfkit.ratelimit.allowed").functionCounter().count())
                    .isEqualTo(12);
            assertThat(meters.get("perfkit.ratelimit.rejected")
                            .functionCounter()
                            .count())
                    .isEqualTo(1);
        }
    }

    @Test
    void acquire_waitsForTheNextPermit_orGivesUpAtTheTimeout() {
        try (Bucket4jRateLimiter limiter = limiter(2, Duration.ofSeconds(10), 1_000)) {
            assertThat(limiter.tryAcquire("u")).isTrue();
            assertThat(limiter.tryAcquire("u")).isTrue();

            assertThat(limiter.acquire("u", Duration.ofSeconds(3)))
                    .as("the refill is 10 s away")
                    .isFalse();
            long before = clock.getAsLong();
            assertThat(limiter.acquire("u", Duration.ofSeconds(11))).isTrue();
            assertThat(Duration.ofNanos(clock.getAsLong() - before)).isLessThanOrEqualTo(Duration.ofSeconds(10));
        }
    }

    @Test
    void aMillionDistinctKeys_memoryStaysBounded_andIdleKeysAreForgotten() {
        try (Bucket4jRateLimiter limiter = limiter(5, Duration.ofMinutes(1), 10_000)) {
            for (int i = 0; i < 1_000_000; i++) {
                limiter.tryAcquire(i);
            }
            assertThat(limiter.trackedKeys()).isLessThanOrEqualTo(10_000);

            clock.advance(Duration.ofMinutes(1));
            assertThat(limiter.trackedKeys()).as("idle for a whole window").isZero();
        }
    }

    @Test
    void keysNeverBecomeMetricTags() {
        try (Bucket4jRateLimiter limiter = limiter(1, Duration.ofMinutes(1), 100)) {
            limiter.tryAcquire("user-123456789");
            limiter.tryAcquire("user-123456789");
            for (Meter meter : meters.getMeters()) {
                assertThat(meter.getId().getTags()).extracting(Tag::getValue).doesNotContain("user-123456789");
            }
            assertThat(meters.getMeters()).hasSize(3);
        }
        assertThat(meters.getMeters()).as("close removes them").isEmpty();
    }

    /** Eight threads hammer one key: exactly the permits are granted in a window, never more. */
    @Test
    void oneHotKey_eightThreads_neverGrantsMoreThanThePermits() throws Exception {
        try (Bucket4jRateLimiter limiter = limiter(1_000, Duration.ofHours(1), 100)) {
            AtomicInteger granted = new AtomicInteger();
            Concurrently.run(8, 30, thread -> {
                for (int i = 0; i < 5_000; i++) {
                    if (limiter.tryAcquire("hot")) {
                        granted.incrementAndGet();
                    }
                }
            });
            assertThat(granted).hasValue(1_000);
        }
    }

    @Test
    void badInput_andClosed() {
        assertThatThrownBy(() -> Bucket4jRateLimiter.builder("x", 0, Duration.ofMinutes(1)))
                .hasMessage("permits must be positive: 0");
        assertThatThrownBy(() -> Bucket4jRateLimiter.builder("x", 1, Duration.ZERO))
                .hasMessage("window must be positive: PT0S");
        assertThatThrownBy(() -> Bucket4jRateLimiter.builder(" ", 1, Duration.ofMinutes(1)))
                .isInstanceOf(IllegalArgumentException.class);
        Bucket4jRateLimiter limiter = limiter(1, Duration.ofMinutes(1), 10);
        assertThatThrownBy(() -> limiter.tryAcquire(null)).hasMessage("key");
        assertThatThrownBy(() -> limiter.acquire("k", Duration.ofSeconds(-1)))
                .hasMessage("timeout must not be negative: PT-1S");
        limiter.close();
        assertThatThrownBy(() -> limiter.tryAcquire("k"))
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("closed");
    }
}
