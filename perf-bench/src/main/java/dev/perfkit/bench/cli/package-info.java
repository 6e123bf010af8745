/**
 * The {@code perfkit} command-line tool: {@code check}, {@code perf-test} with saved reports,
 * {@code simulate} and {@code jmh}. Run it as {@code java -jar perf-bench/target/perfkit.jar
 * <command> --help}.
 */
package dev.perfkit.bench.cli;
