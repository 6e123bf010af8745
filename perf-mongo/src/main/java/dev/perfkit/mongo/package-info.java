/**
 * MongoDB driver helpers: query rewriting, bulk operations, command instrumentation, cached
 * collections, a batch writer, index advice and connection-pool presets.
 */
package dev.perfkit.mongo;
