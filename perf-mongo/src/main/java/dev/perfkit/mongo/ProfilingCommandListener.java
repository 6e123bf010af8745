package dev.perfkit.mongo;

import com.mongodb.connection.ConnectionDescription;
import com.mongodb.connection.ServerId;
import com.mongodb.event.CommandEvent;
import com.mongodb.event.CommandFailedEvent;
import com.mongodb.event.CommandListener;
import com.mongodb.event.CommandStartedEvent;
import com.mongodb.event.CommandSucceededEvent;
import dev.perfkit.internal.QueryShapeCache;
import dev.perfkit.internal.WarnThenDebug;
import dev.perfkit.profile.QueryProfiler;
import dev.perfkit.profile.QueryShape;
import io.micrometer.core.instrument.Tag;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.binder.mongodb.MongoCommandTagsProvider;
import java.util.Arrays;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import org.bson.BsonArray;
import org.bson.BsonDocument;
import org.bson.BsonValue;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/*
 * Feeds driver commands into a QueryProfiler, and gives Micrometer's MongoMetricsCommandListener
 * its tags (so the two share one reading of each command).
 *
 * Cost: registering any command listener makes the driver build an event per command; what this
 * class adds is kept small. On start it reads the collection, filter and sort from the command
 * document (a view over the driver's network buffer, valid only during the callback) and turns
 * them into a QueryShape at once through a QueryShapeCache — a structural fingerprint and a map
 * lookup, no copy of the filter — and looks up the command's metric tags in a small cache. On
 * finish it records the shape with the driver's elapsed time; nothing is parsed twice.
 *
 * Order: MongoPerf.instrument registers Micrometer's listener (with this as its tags provider)
 * before this listener, so the provider's commandStarted reads the command first and this
 * listener's commandSucceeded, which forgets the command, runs after Micrometer asked for its tags.
 *
 * State: started commands wait in a map keyed by request id until they finish. The map is bounded
 * (MAX_IN_FLIGHT); past the bound new commands are simply not profiled. A command whose finish never
 * arrives (a connection dropped mid-command) would stay, so entries are also dropped when the map
 * is full and older than a minute. Collection tags are capped like the profiler's collections
 * (MAX_TAGGED_COLLECTIONS, then "other"). Nothing here ever throws into the driver.
 */
final class ProfilingCommandListener implements CommandListener, MongoCommandTagsProvider {
    private static final Logger log = LoggerFactory.getLogger(ProfilingCommandListener.class);
    static final int MAX_IN_FLIGHT = 10_000;
    static final int MAX_TAGGED_COLLECTIONS = 100;
    private static final int MAX_SERVERS = 64;
    private static final long STALE_NANOS = TimeUnit.MINUTES.toNanos(1);
    private static final Set<String> PROFILED =
            Set.of("find", "aggregate", "count", "distinct", "update", "delete", "findAndModify", "insert", "getMore");

    /** A started command: what the profiler and the metric need at its end. */
    private record Started(String collection, QueryShape shape, CommandTags tags, long startNanos) {}

    /** The metric tags of one (command, collection, server) for both outcomes. */
    private record CommandTags(Tags success, Tags failed) {}

    private final WarnThenDebug failures = new WarnThenDebug(log);
    private final Supplier<QueryProfiler> profiler;
    private final QueryShapeCache shapes = QueryShapeCache.create(10_000);
    private final ConcurrentHashMap<Integer, Started> inFlight = new ConcurrentHashMap<>();
    private volatile ServerTags[] servers = new ServerTags[0];
    private final Set<String> taggedCollections = ConcurrentHashMap.newKeySet();

    ProfilingCommandListener(Supplier<QueryProfiler> profiler) {
        this.profiler = profiler;
    }

    // ---- reading a started command

    /**
     * Both roles' start callback (CommandListener and MongoCommandTagsProvider declare the same
     * method): Micrometer's listener calls it first, as the tags provider; the second call, as a
     * listener, finds the command read already.
     */
    @Override
    public void commandStarted(CommandStartedEvent event) {
        if (inFlight.containsKey(event.getRequestId())) {
            return; // read already, as Micrometer's tags provider
        }
        readStarted(event);
    }

    private void readStarted(CommandStartedEvent event) {
        try {
            String name = event.getCommandName();
            if (!PROFILED.contains(name)) {
                return;
            }
            if (inFlight.size() >= MAX_IN_FLIGHT) {
                long now = System.nanoTime();
                inFlight.values().removeIf(started -> now - started.startNanos() > STALE_NANOS);
                if (inFlight.size() >= MAX_IN_FLIGHT) {
                    return;
                }
            }
            BsonDocument command = event.getCommand();
            String collection = collectionOf(name, command);
            if (collection == null) {
                return;
            }
            QueryShape shape = shapes.shapeOf(filterOf(name, command), sortOf(name, command));
            inFlight.put(
                    event.getRequestId(),
                    new Started(collection, shape, tagsOf(event, name, collection), System.nanoTime()));
        } catch (RuntimeException | StackOverflowError | LinkageError e) {
            failures.log("Could not read a started " + event.getCommandName() + " command; not profiling it", e);
        }
    }

    // ---- Micrometer's tags

    @Override
    public Iterable<Tag> commandTags(CommandEvent event) {
        Started started = inFlight.get(event.getRequestId());
        CommandTags tags = started != null ? started.tags() : tagsOf(event, event.getCommandName(), "unknown");
        return event instanceof CommandSucceededEvent ? tags.success() : tags.failed();
    }

    /** The tag cache of one server: by command, then by collection. */
    private record ServerTags(ServerId server, Map<String, Map<String, CommandTags>> byCommand) {}

    /**
     * The tags of (server, command, collection), looked up without allocating: a client talks to a
     * handful of servers, each with one ServerId object shared by its connections, so the server is
     * found by identity in a short array, then the command and collection in small maps.
     */
    private CommandTags tagsOf(CommandEvent event, String command, String collection) {
        ConnectionDescription connection = event.getConnectionDescription();
        if (connection == null) {
            return newTags(null, command, taggedCollection(collection));
        }
        ServerId server = connection.getConnectionId().getServerId();
        ServerTags cached = null;
        for (ServerTags candidate : servers) {
            if (candidate.server() == server) {
                cached = candidate;
                break;
            }
        }
        if (cached == null) {
            cached = addServer(server);
            if (cached == null) {
                return newTags(connection, command, taggedCollection(collection));
            }
        }
        Map<String, CommandTags> byCollection =
                cached.byCommand().computeIfAbsent(command, c -> new ConcurrentHashMap<>());
        CommandTags tags = byCollection.get(collection);
        if (tags == null) {
            tags = newTags(connection, command, taggedCollection(collection));
            if (byCollection.size() <= MAX_TAGGED_COLLECTIONS) {
                byCollection.putIfAbsent(collection, tags);
            }
        }
        return tags;
    }

    private synchronized ServerTags addServer(ServerId server) {
        for (ServerTags candidate : servers) {
            if (candidate.server() == server) {
                return candidate;
            }
        }
        if (servers.length >= MAX_SERVERS) {
            return null;
        }
        ServerTags added = new ServerTags(server, new ConcurrentHashMap<>());
        ServerTags[] grown = Arrays.copyOf(servers, servers.length + 1);
        grown[servers.length] = added;
        servers = grown;
        return added;
    }

    /** The collection as a tag value: itself while fewer than MAX_TAGGED_COLLECTIONS were seen, else "other". */
    private String taggedCollection(String collection) {
        if (taggedCollections.contains(collection)) {
            return collection;
        }
        if (taggedCollections.size() < MAX_TAGGED_COLLECTIONS) {
            taggedCollections.add(collection);
            return collection;
        }
        return "other";
    }

    private static CommandTags newTags(ConnectionDescription connection, String command, String collection) {
        String clusterId = connection == null
                ? "unknown"
                : connection.getConnectionId().getServerId().getClusterId().getValue();
        String server =
                connection == null ? "unknown" : connection.getServerAddress().toString();
        Tags common = Tags.of(
                Tag.of("command", command),
                Tag.of("collection", collection),
                Tag.of("cluster.id", clusterId),
                Tag.of("server.address", server));
        return new CommandTags(common.and("status", "SUCCESS"), common.and("status", "FAILED"));
    }

    // ---- finishing

    @Override
    public void commandSucceeded(CommandSucceededEvent event) {
        Started started = inFlight.remove(event.getRequestId());
        if (started == null) {
            return;
        }
        try {
            long count = resultCount(event.getCommandName(), event.getResponse());
            record(event.getCommandName(), started, event.getElapsedTime(TimeUnit.NANOSECONDS), true, count);
        } catch (RuntimeException | StackOverflowError | LinkageError e) {
            failures.log("Could not profile a " + event.getCommandName() + " command", e);
        }
    }

    @Override
    public void commandFailed(CommandFailedEvent event) {
        Started started = inFlight.remove(event.getRequestId());
        if (started == null) {
            return;
        }
        try {
            record(event.getCommandName(), started, event.getElapsedTime(TimeUnit.NANOSECONDS), false, -1);
        } catch (RuntimeException | StackOverflowError | LinkageError e) {
            failures.log("Could not profile a failed " + event.getCommandName() + " command", e);
        }
    }

    private void record(String command, Started started, long nanos, boolean success, long count) {
        profiler.get().recordShape(started.collection(), command, started.shape(), Math.max(0, nanos), success, count);
    }

    int inFlightCount() {
        return inFlight.size();
    }

    private static String collectionOf(String name, BsonDocument command) {
        BsonValue collection = command.get(name.equals("getMore") ? "collection" : name);
        return collection != null && collection.isString()
                ? collection.asString().getValue()
                : null;
    }

    private static Map<String, ?> filterOf(String name, BsonDocument command) {
        return switch (name) {
            case "find" -> documentOrEmpty(command.get("filter"));
            case "count", "distinct", "findAndModify" -> documentOrEmpty(command.get("query"));
            case "update" -> firstStatement(command.get("updates"), "q");
            case "delete" -> firstStatement(command.get("deletes"), "q");
            case "aggregate" -> firstMatch(command.get("pipeline"));
            default -> Map.of();
        };
    }

    /** The sort as field -> 1 / -1 in Java numbers, which QueryShape reads; {$meta: ...} sorts are left out. */
    private static Map<String, ?> sortOf(String name, BsonDocument command) {
        if (!name.equals("find") && !name.equals("findAndModify")) {
            return Map.of();
        }
        BsonValue sort = command.get("sort");
        if (sort == null || !sort.isDocument() || sort.asDocument().isEmpty()) {
            return Map.of();
        }
        Map<String, Integer> directions = new java.util.LinkedHashMap<>();
        sort.asDocument().forEach((field, direction) -> {
            if (direction.isNumber()) {
                directions.put(field, direction.asNumber().doubleValue() < 0 ? -1 : 1);
            }
        });
        return directions;
    }

    private static Map<String, ?> documentOrEmpty(BsonValue value) {
        return value != null && value.isDocument() ? value.asDocument() : Map.of();
    }

    private static Map<String, ?> firstStatement(BsonValue statements, String field) {
        if (statements != null && statements.isArray() && !statements.asArray().isEmpty()) {
            BsonValue first = statements.asArray().get(0);
            if (first.isDocument()) {
                return documentOrEmpty(first.asDocument().get(field));
            }
        }
        return Map.of();
    }

    private static Map<String, ?> firstMatch(BsonValue pipeline) {
        if (pipeline != null && pipeline.isArray()) {
            BsonArray stages = pipeline.asArray();
            if (!stages.isEmpty() && stages.get(0).isDocument()) {
                return documentOrEmpty(stages.get(0).asDocument().get("$match"));
            }
        }
        return Map.of();
    }

    private static long resultCount(String name, BsonDocument response) {
        BsonValue cursor = response.get("cursor");
        if (cursor != null && cursor.isDocument()) {
            BsonValue batch = cursor.asDocument().get(name.equals("getMore") ? "nextBatch" : "firstBatch");
            return batch != null && batch.isArray() ? batch.asArray().size() : -1;
        }
        BsonValue n = response.get("n");
        if (n != null && n.isNumber()) {
            return n.asNumber().longValue();
        }
        BsonValue values = response.get("values");
        if (values != null && values.isArray()) {
            return values.asArray().size();
        }
        return -1;
    }
}
