/**
 * Work off the request path: task pools with a concurrency limit per kind of operation ({@link
 * TaskPools}, {@link TaskPool}), gathering many tasks ({@link TaskPool#gather}, {@link
 * TaskPool#gatherSettled}), rate limits per key such as a user id ({@link KeyedRateLimiter}) and a
 * bounded collection whose items expire by themselves ({@link ExpiringCollection}). Implemented by
 * perf-async; {@link ExpiringCollection} needs nothing else.
 */
package dev.perfkit.async;
