package dev.perfkit.bench.cli;

import picocli.CommandLine.Option;

/** The {@code --mongo-uri} option shared by the commands that talk to MongoDB. */
final class MongoOption {
    @Option(
            names = "--mongo-uri",
            paramLabel = "URI",
            defaultValue = "${env:PERF_MONGO_URI}",
            description = "MongoDB to use instead of the embedded server (default: $PERF_MONGO_URI, else embedded)")
    String uri;
}
