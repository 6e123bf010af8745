/**
 * The service-provider interface through which implementation modules plug into {@code Perf}.
 * Hosts do not use it directly.
 */
package dev.perfkit.spi;
