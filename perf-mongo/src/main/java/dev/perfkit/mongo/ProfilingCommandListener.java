package dev.perfkit.mongo;

import com.mongodb.event.CommandFailedEvent;
import com.mongodb.event.CommandListener;
import com.mongodb.event.CommandStartedEvent;
import com.mongodb.event.CommandSucceededEvent;
import dev.perfkit.internal.WarnThenDebug;
import dev.perfkit.profile.QueryProfiler;
import java.time.Duration;
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
 * Feeds driver commands into a QueryProfiler. On start it extracts the collection, the filter and
 * the sort from the command document; on success or failure it records them with the driver's
 * elapsed time and, on success, the number of documents returned or affected.
 *
 * The command document of a started event is a view over the driver's network buffer, valid only
 * during the callback, so the filter and sort are copied there.
 *
 * State: started commands wait in a map keyed by request id until they finish. The map is bounded
 * (MAX_IN_FLIGHT); past the bound new commands are simply not profiled. A command whose finish never
 * arrives (a connection dropped mid-command) would stay, so entries are also dropped when the map
 * is full and older than a minute. Nothing here ever throws into the driver.
 */
final class ProfilingCommandListener implements CommandListener {
    private static final Logger log = LoggerFactory.getLogger(ProfilingCommandListener.class);
    static final int MAX_IN_FLIGHT = 10_000;
    private static final long STALE_NANOS = TimeUnit.MINUTES.toNanos(1);
    private static final Set<String> PROFILED =
            Set.of("find", "aggregate", "count", "distinct", "update", "delete", "findAndModify", "insert", "getMore");

    private record Started(String collection, BsonDocument filter, BsonDocument sort, long startNanos) {}

    private final WarnThenDebug failures = new WarnThenDebug(log);
    private final Supplier<QueryProfiler> profiler;
    private final ConcurrentHashMap<Integer, Started> inFlight = new ConcurrentHashMap<>();

    ProfilingCommandListener(Supplier<QueryProfiler> profiler) {
        this.profiler = profiler;
    }

    @Override
    public void commandStarted(CommandStartedEvent event) {
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
            // The event's document is a view over the network buffer, reused once the command is
            // sent: copy what we keep now.
            inFlight.put(
                    event.getRequestId(),
                    new Started(
                            collection,
                            filterOf(name, command).clone(),
                            sortOf(name, command).clone(),
                            System.nanoTime()));
        } catch (RuntimeException | StackOverflowError | LinkageError e) {
            failures.log("Could not read a started " + event.getCommandName() + " command; not profiling it", e);
        }
    }

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
        profiler.get()
                .recordQuery(
                        started.collection(),
                        command,
                        toDocument(started.filter()),
                        sortDirections(started.sort()),
                        Duration.ofNanos(Math.max(0, nanos)),
                        success,
                        count);
    }

    int inFlightCount() {
        return inFlight.size();
    }

    private String collectionOf(String name, BsonDocument command) {
        if (name.equals("getMore")) {
            BsonValue collection = command.get("collection");
            return collection != null && collection.isString()
                    ? collection.asString().getValue()
                    : null;
        }
        BsonValue collection = command.get(name);
        return collection != null && collection.isString()
                ? collection.asString().getValue()
                : null;
    }

    private static BsonDocument filterOf(String name, BsonDocument command) {
        return switch (name) {
            case "find" -> documentOrEmpty(command.get("filter"));
            case "count", "distinct", "findAndModify" -> documentOrEmpty(command.get("query"));
            case "update" -> firstStatement(command.get("updates"), "q");
            case "delete" -> firstStatement(command.get("deletes"), "q");
            case "aggregate" -> firstMatch(command.get("pipeline"));
            default -> new BsonDocument();
        };
    }

    private static BsonDocument sortOf(String name, BsonDocument command) {
        return name.equals("find") || name.equals("findAndModify")
                ? documentOrEmpty(command.get("sort"))
                : new BsonDocument();
    }

    private static BsonDocument documentOrEmpty(BsonValue value) {
        return value != null && value.isDocument() ? value.asDocument() : new BsonDocument();
    }

    private static BsonDocument firstStatement(BsonValue statements, String field) {
        if (statements != null && statements.isArray() && !statements.asArray().isEmpty()) {
            BsonValue first = statements.asArray().get(0);
            if (first.isDocument()) {
                return documentOrEmpty(first.asDocument().get(field));
            }
        }
        return new BsonDocument();
    }

    private static BsonDocument firstMatch(BsonValue pipeline) {
        if (pipeline != null && pipeline.isArray()) {
            BsonArray stages = pipeline.asArray();
            if (!stages.isEmpty() && stages.get(0).isDocument()) {
                return documentOrEmpty(stages.get(0).asDocument().get("$match"));
            }
        }
        return new BsonDocument();
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

    /** The sort as field -> 1 / -1 in Java numbers, which QueryShape reads; {$meta: ...} sorts are left out. */
    private static Map<String, ?> sortDirections(BsonDocument sort) {
        if (sort.isEmpty()) {
            return Map.of();
        }
        Map<String, Integer> directions = new java.util.LinkedHashMap<>();
        sort.forEach((field, direction) -> {
            if (direction.isNumber()) {
                directions.put(field, direction.asNumber().doubleValue() < 0 ? -1 : 1);
            }
        });
        return directions;
    }

    /*
     * The profiler keeps only the shape, so the conversion only has to keep structure and types: a
     * BsonDocument is a Map<String, BsonValue>, and QueryShape knows the BSON value classes.
     */
    private static Map<String, ?> toDocument(BsonDocument document) {
        return document;
    }
}
