package dev.perfkit.bench.cli;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Unmatched;

/** {@code perfkit jmh [JMH options]}: runs the JMH benchmarks (see docs/performance-testing.md). */
@Command(
        name = "jmh",
        description = {
            "Runs the JMH benchmarks; every argument goes to JMH (try: jmh -l, jmh QueryCacheBenchmark -prof gc).",
            "Benchmarks: QueryCacheBenchmark, MemoryManagerBenchmark, QueryProfilerBenchmark, BatchProcessorBenchmark,",
            "QueryShapeBenchmark, MongoQueryOptimizerBenchmark, MongoWriteBenchmark, CachedFindBenchmark,",
            "InstrumentationBenchmark, CommandListenerBenchmark."
        })
final class JmhCommand implements Callable<Integer> {
    /** Every argument, in order, options included: JMH parses them. */
    @Unmatched
    List<String> arguments = new ArrayList<>();

    @Override
    public Integer call() throws Exception {
        org.openjdk.jmh.Main.main(arguments.toArray(String[]::new));
        return 0;
    }
}
