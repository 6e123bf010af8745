/**
 * Helpers shared by perfkit's modules. Not API: may change in any release.
 */
package dev.perfkit.internal;
