package dev.perfkit.mongo;

import com.mongodb.connection.ConnectionDescription;
import com.mongodb.connection.ServerId;
import com.mongodb.event.CommandEvent;
import com.mongodb.event.CommandFailedEvent;
import com.mongodb.event.CommandListener;
import com.mongodb.event.CommandStartedEvent;
import com.mongodb.event.CommandSucceededEvent;
import dev.perfkit.internal.WarnThenDebug;
import dev.perfkit.profile.QueryProfiler;
import dev.perfkit.profile.QueryShape;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tag;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.Timer;
import java.util.Arrays;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import org.bson.BsonDocument;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/*
 * perfkit's one command listener: it feeds driver commands into a QueryProfiler and times them in
 * Micrometer's "mongodb.driver.commands" timer (same name, description and tags as Micrometer's
 * MongoMetricsCommandListener, which it replaces).
 *
 * Cost, measured end to end (see docs/mongo.md): registering any command listener makes the driver
 * build an event per command; what this class adds is kept to a few hundred nanoseconds. On start
 * it reads the command once with a streaming reader (CommandReader: collection name and a
 * structural fingerprint of filter and sort, no values decoded) and finds the command's QueryShape
 * by that fingerprint, decoding the filter only the first time a structure is seen. Tags and
 * timers are cached per (server, command, collection), so recording is a lookup and Timer.record,
 * not a Timer.builder(...).register(...) per command as in Micrometer's listener. On finish it
 * counts the reply's documents with the same kind of reader and records the shape with the
 * driver's elapsed time.
 *
 * State: started commands wait in a map keyed by request id until they finish. The map is bounded
 * (MAX_IN_FLIGHT); past the bound new commands are timed but not profiled. A command whose finish
 * never arrives (a connection dropped mid-command) would stay, so entries are also dropped when the
 * map is full and older than a minute. Collection tags are capped like the profiler's collections
 * (MAX_TAGGED_COLLECTIONS, then "other"), and databases likewise (MAX_TAGGED_DATABASES). Timers are looked up once and kept, as Micrometer's own
 * binders do: a host that removes them from its registry stops seeing these commands. Nothing here
 * ever throws into the driver.
 */
final class ProfilingCommandListener implements CommandListener {
    private static final Logger log = LoggerFactory.getLogger(ProfilingCommandListener.class);
    static final int MAX_IN_FLIGHT = 10_000;
    static final int MAX_TAGGED_COLLECTIONS = 100;
    static final String TIMER_NAME = "mongodb.driver.commands";
    static final int MAX_TAGGED_DATABASES = 32;
    private static final int MAX_SERVER_DATABASES = 64;
    private static final int MAX_SHAPES = 10_000;
    private static final long STALE_NANOS = TimeUnit.MINUTES.toNanos(1);
    private static final Set<String> PROFILED =
            Set.of("find", "aggregate", "count", "distinct", "update", "delete", "findAndModify", "insert", "getMore");
    /** Commands not profiled whose first field names a collection, tagged with it as Micrometer does. */
    private static final Set<String> NAMING_A_COLLECTION = Set.of(
            "mapReduce",
            "geoSearch",
            "collMod",
            "compact",
            "convertToCapped",
            "create",
            "createIndexes",
            "drop",
            "dropIndexes",
            "killCursors",
            "listIndexes",
            "reIndex");

    /** A started command: what the profiler (shape null: not profiled) and the timer need at its end. */
    private record Started(String collection, QueryShape shape, CommandTimers timers, long startNanos) {}

    private final WarnThenDebug failures = new WarnThenDebug(log);
    private final Supplier<QueryProfiler> profiler;
    private final MeterRegistry registry;
    private final ConcurrentHashMap<Long, QueryShape> shapes = new ConcurrentHashMap<>();
    private final ConcurrentHashMap<Integer, Started> inFlight = new ConcurrentHashMap<>();
    private volatile ServerTimers[] servers = new ServerTimers[0];
    private final TagValues collections = new TagValues(MAX_TAGGED_COLLECTIONS);
    private final TagValues databases = new TagValues(MAX_TAGGED_DATABASES);

    /**
     * @param profiler where commands are recorded (looked up at each command's end)
     * @param registry where the command timers go; null for none
     */
    ProfilingCommandListener(Supplier<QueryProfiler> profiler, MeterRegistry registry) {
        this.profiler = profiler;
        this.registry = registry;
    }

    // ---- reading a started command

    @Override
    public void commandStarted(CommandStartedEvent event) {
        try {
            String name = event.getCommandName();
            boolean profiled = PROFILED.contains(name);
            if (!profiled && !NAMING_A_COLLECTION.contains(name)) {
                return; // timed at its end, with collection "unknown"
            }
            if (inFlight.size() >= MAX_IN_FLIGHT) {
                long now = System.nanoTime();
                inFlight.values().removeIf(started -> now - started.startNanos() > STALE_NANOS);
                if (inFlight.size() >= MAX_IN_FLIGHT) {
                    return;
                }
            }
            BsonDocument command = event.getCommand();
            String collection;
            QueryShape shape = null; // timed only
            if (profiled) {
                CommandReader.Reading reading = CommandReader.read(name, command);
                collection = reading.collection();
                if (collection != null) {
                    shape = shapeOf(reading.fingerprint(), name, command);
                }
            } else {
                collection = CommandReader.collectionOf(name, command);
            }
            if (collection == null) {
                return;
            }
            inFlight.put(
                    event.getRequestId(),
                    new Started(collection, shape, timersOf(event, name, collection), System.nanoTime()));
        } catch (RuntimeException | StackOverflowError | LinkageError e) {
            failures.log("Could not read a started " + event.getCommandName() + " command; not profiling it", e);
        }
    }

    /** The shape of a structure, decoded from the command only the first time it is seen. */
    private QueryShape shapeOf(long fingerprint, String name, BsonDocument command) {
        QueryShape shape = shapes.get(fingerprint);
        if (shape == null) {
            shape = QueryShape.of(CommandReader.filterOf(name, command), CommandReader.sortOf(name, command));
            if (shapes.size() < MAX_SHAPES) {
                shapes.putIfAbsent(fingerprint, shape);
            }
        }
        return shape;
    }

    // ---- Micrometer's timers

    /**
     * The timers of one (server, command, collection): tagged like Micrometer's
     * MongoMetricsCommandListener, each registered at its first use (so a failed timer appears only
     * once a command failed, as there).
     */
    private final class CommandTimers {
        private final Tags tags;
        private volatile Timer success;
        private volatile Timer failed;

        CommandTimers(Tags tags) {
            this.tags = tags;
        }

        void record(boolean succeeded, long nanos) {
            if (registry == null) {
                return;
            }
            Timer timer = succeeded ? success : failed;
            if (timer == null) {
                timer = Timer.builder(TIMER_NAME)
                        .description("Timer of mongodb commands")
                        .tags(tags.and("status", succeeded ? "SUCCESS" : "FAILED"))
                        .register(registry);
                if (succeeded) {
                    success = timer;
                } else {
                    failed = timer;
                }
            }
            timer.record(nanos, TimeUnit.NANOSECONDS);
        }
    }

    /** The timer cache of one server and database: by command, then by collection. */
    private record ServerTimers(ServerId server, String database, Map<String, Map<String, CommandTimers>> byCommand) {}

    /**
     * The timers of (server, database, command, collection), looked up without allocating: a client
     * talks to a handful of servers, each with one ServerId object shared by its connections, and
     * to a few databases, so the pair is found in a short array, then the command and collection in
     * small maps.
     */
    private CommandTimers timersOf(CommandEvent event, String command, String collection) {
        ConnectionDescription connection = event.getConnectionDescription();
        String database = databases.of(event.getDatabaseName());
        if (connection == null) {
            return newTimers(null, database, command, collections.of(collection));
        }
        ServerId server = connection.getConnectionId().getServerId();
        ServerTimers cached = null;
        for (ServerTimers candidate : servers) {
            if (candidate.server() == server && candidate.database().equals(database)) {
                cached = candidate;
                break;
            }
        }
        if (cached == null) {
            cached = addServer(server, database);
            if (cached == null) {
                return newTimers(connection, database, command, collections.of(collection));
            }
        }
        Map<String, CommandTimers> byCollection =
                cached.byCommand().computeIfAbsent(command, c -> new ConcurrentHashMap<>());
        CommandTimers timers = byCollection.get(collection);
        if (timers == null) {
            timers = newTimers(connection, database, command, collections.of(collection));
            if (byCollection.size() <= MAX_TAGGED_COLLECTIONS) {
                CommandTimers raced = byCollection.putIfAbsent(collection, timers);
                if (raced != null) {
                    timers = raced;
                }
            }
        }
        return timers;
    }

    private synchronized ServerTimers addServer(ServerId server, String database) {
        for (ServerTimers candidate : servers) {
            if (candidate.server() == server && candidate.database().equals(database)) {
                return candidate;
            }
        }
        if (servers.length >= MAX_SERVER_DATABASES) {
            return null;
        }
        ServerTimers added = new ServerTimers(server, database, new ConcurrentHashMap<>());
        ServerTimers[] grown = Arrays.copyOf(servers, servers.length + 1);
        grown[servers.length] = added;
        servers = grown;
        return added;
    }

    /**
     * The values one tag may take: each value as itself while fewer than {@code max} were seen, then
     * "other", so that a host with thousands of collections or databases (one per guild) cannot grow
     * the registry without bound.
     */
    private static final class TagValues {
        private final int max;
        private final Set<String> seen = ConcurrentHashMap.newKeySet();

        TagValues(int max) {
            this.max = max;
        }

        String of(String value) {
            if (seen.contains(value)) {
                return value;
            }
            if (seen.size() < max) {
                seen.add(value);
                return value;
            }
            return "other";
        }
    }

    private CommandTimers newTimers(
            ConnectionDescription connection, String database, String command, String collection) {
        String clusterId = connection == null
                ? "unknown"
                : connection.getConnectionId().getServerId().getClusterId().getValue();
        String server =
                connection == null ? "unknown" : connection.getServerAddress().toString();
        return new CommandTimers(Tags.of(
                Tag.of("command", command),
                Tag.of("database", database),
                Tag.of("collection", collection),
                Tag.of("cluster.id", clusterId),
                Tag.of("server.address", server)));
    }

    // ---- finishing

    @Override
    public void commandSucceeded(CommandSucceededEvent event) {
        finish(event, event.getElapsedTime(TimeUnit.NANOSECONDS), true);
    }

    @Override
    public void commandFailed(CommandFailedEvent event) {
        finish(event, event.getElapsedTime(TimeUnit.NANOSECONDS), false);
    }

    private void finish(CommandEvent event, long nanos, boolean success) {
        Started started = inFlight.remove(event.getRequestId());
        String command = event.getCommandName();
        try {
            CommandTimers timers = started != null ? started.timers() : timersOf(event, command, "unknown");
            timers.record(success, Math.max(0, nanos));
        } catch (RuntimeException | StackOverflowError | LinkageError e) {
            failures.log("Could not time a " + command + " command", e);
        }
        if (started == null || started.shape() == null) {
            return;
        }
        try {
            QueryProfiler target = profiler.get();
            long elapsed = Math.max(0, nanos);
            long count = success && target.usesResultSize(elapsed)
                    ? CommandReader.resultCount(command, ((CommandSucceededEvent) event).getResponse())
                    : -1;
            target.recordShape(started.collection(), command, started.shape(), elapsed, success, count);
        } catch (RuntimeException | StackOverflowError | LinkageError e) {
            failures.log("Could not profile a " + command + " command", e);
        }
    }

    int inFlightCount() {
        return inFlight.size();
    }
}
