package dev.perfkit.cache;

import java.util.function.LongSupplier;

/** Reaches CacheWarmer's test hooks (package-private) from tests in other packages. */
public final class CacheWarmerAccess {
    private CacheWarmerAccess() {}

    /**
     * Sets the warmer's time source.
     *
     * @param builder the builder
     * @param ticker nanoseconds
     * @return the builder
     */
    public static CacheWarmer.Builder ticker(CacheWarmer.Builder builder, LongSupplier ticker) {
        return builder.ticker(ticker);
    }

    /**
     * Builds and fills on the calling thread, without background checks.
     *
     * @param builder the builder
     * @return the warmer
     */
    public static CacheWarmer startInForeground(CacheWarmer.Builder builder) {
        return builder.startInForeground();
    }
}
