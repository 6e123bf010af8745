/**
 * JMH benchmarks of perfkit's components, one {@code <Subject>Benchmark} per subject, run from the
 * shaded jar: {@code java -jar perf-bench/target/perfkit.jar <BenchmarkName> -prof gc}.
 */
package dev.perfkit.bench;
