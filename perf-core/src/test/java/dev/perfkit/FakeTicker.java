package dev.perfkit;

import java.time.Duration;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongSupplier;

/**
 * A manually advanced nanosecond clock for contract tests: implementations adapt it to their own
 * time source (for Caffeine, {@code Ticker ticker = fakeTicker::getAsLong}) so that expiry is tested
 * without sleeping.
 */
public final class FakeTicker implements LongSupplier {
    private final AtomicLong nanos = new AtomicLong(1_000_000_000L);

    /** Returns the current reading in nanoseconds. */
    @Override
    public long getAsLong() {
        return nanos.get();
    }

    /**
     * Moves the clock forward.
     *
     * @param duration how far
     */
    public void advance(Duration duration) {
        nanos.addAndGet(duration.toNanos());
    }
}
