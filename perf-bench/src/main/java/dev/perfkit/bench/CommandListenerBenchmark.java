package dev.perfkit.bench;

import com.mongodb.MongoClientSettings;
import com.mongodb.ServerAddress;
import com.mongodb.connection.ClusterId;
import com.mongodb.connection.ConnectionDescription;
import com.mongodb.connection.ServerId;
import com.mongodb.event.CommandListener;
import com.mongodb.event.CommandStartedEvent;
import com.mongodb.event.CommandSucceededEvent;
import dev.perfkit.PerfConfig;
import dev.perfkit.db.MicrometerQueryProfiler;
import dev.perfkit.mongo.MongoPerf;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.bson.BsonDocument;
import org.bson.RawBsonDocument;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * What the command listener added by {@code MongoPerf.instrument} costs per command (profiling and
 * the {@code mongodb.driver.commands} timer), fed a {@code findOne}'s started and succeeded events.
 * Command and reply are binary documents, as the driver hands them over (a view of the network
 * buffer and a {@code RawBsonDocument}). This is the listener's own work only; what registering a
 * listener makes the driver do, and the end-to-end figure, are in {@link InstrumentationBenchmark}
 * and {@code perfkit perf-test}.
 *
 * <pre>
 * java -jar perf-bench/target/perfkit.jar jmh CommandListenerBenchmark -prof gc
 * </pre>
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
public class CommandListenerBenchmark {
    private List<CommandListener> listeners;
    private ConnectionDescription connection;
    private final BsonDocument command =
            RawBsonDocument.parse("{find: 'users', filter: {user_id: 42}, limit: 1, $db: 'bot'}");
    private final BsonDocument response = RawBsonDocument.parse(
            "{cursor: {firstBatch: [{_id: 1, user_id: 42, name: 'x'}], id: 0, ns: 'bot.users'}, ok: 1}");
    private int requestId;

    @Setup
    public void setUp() {
        MicrometerQueryProfiler profiler = MicrometerQueryProfiler.create(
                PerfConfig.builder().meterRegistry(new SimpleMeterRegistry()).build());
        listeners = MongoPerf.instrument(MongoClientSettings.builder(), () -> profiler, new SimpleMeterRegistry())
                .build()
                .getCommandListeners();
        connection = new ConnectionDescription(new ServerId(new ClusterId(), new ServerAddress()));
    }

    @Benchmark
    public int findCommand() {
        int id = requestId++;
        CommandStartedEvent started = new CommandStartedEvent(null, 1, id, connection, "bot", "find", command);
        CommandSucceededEvent succeeded =
                new CommandSucceededEvent(null, 1, id, connection, "bot", "find", response, 250_000);
        for (CommandListener listener : listeners) {
            listener.commandStarted(started);
            listener.commandSucceeded(succeeded);
        }
        return id;
    }
}
