package dev.perfkit.mongo;

import static java.util.Objects.requireNonNull;

import com.mongodb.MongoException;
import com.mongodb.client.MongoChangeStreamCursor;
import com.mongodb.client.MongoCollection;
import com.mongodb.client.model.changestream.ChangeStreamDocument;
import com.mongodb.client.model.changestream.TruncatedArray;
import com.mongodb.client.model.changestream.UpdateDescription;
import dev.perfkit.db.Retries;
import dev.perfkit.internal.WarnThenDebug;
import io.github.resilience4j.retry.Retry;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import java.util.function.Function;
import org.bson.BsonDocument;
import org.bson.BsonDocumentReader;
import org.bson.Document;
import org.bson.codecs.Codec;
import org.bson.codecs.DecoderContext;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Invalidates a {@link CachedCollection}'s reads on the writes made elsewhere — another process,
 * another service, the shell — by listening to the collection's change stream. Start one with
 * {@link CachedCollection#watchChanges()}; close it to stop.
 *
 * <pre>{@code
 * CachedCollection<Document> accounts = MongoPerf.cached(db.getCollection("accounts"), Duration.ofMinutes(5));
 * try (ChangeStreamInvalidator outsideWrites = accounts.watchChanges()) {
 *     if (outsideWrites.state() == ChangeStreamInvalidator.State.UNAVAILABLE) {
 *         log.info(outsideWrites.unavailableReason().orElseThrow());   // writes elsewhere: the TTL bounds them
 *     }
 *     ... run the bot ...
 * }
 * }</pre>
 *
 * <p><b>What it guarantees.</b> Each change event is applied as the wrapper applies its own writes
 * (the same precise rules, docs/mongo.md), on a thread of its own, in the order the server reports
 * them: once an event has been applied, a read through the wrapper never sees data from before that
 * write. Events arrive a few milliseconds after their write, and a server reports a write once a
 * majority of the replica set has it; until then a cached read may still show the old data. The
 * TTL stays the bound when the stream is down or unavailable. Writes through the wrapper itself
 * arrive as events too and are applied a second time: that may drop a read cached since, never
 * keep a stale one.
 *
 * <p><b>Precision.</b> An insert is judged by its document, a delete and a replacement by the
 * document's {@code _id}, an update by its {@code _id} and the fields its update description names
 * (a server that gives no description: every field). Drops, renames, a dropped database, an
 * invalidated stream and every kind of event perfkit does not know invalidate all of the wrapper's
 * reads. So do collections of classes other than {@code Document} and shared (Redis) caches, on
 * every event.
 *
 * <p><b>Availability.</b> Change streams need a replica set or a sharded cluster. On a standalone
 * server, or the embedded server without its oplog, the stream cannot open: the invalidator is
 * then {@link State#UNAVAILABLE}, says why in {@link #unavailableReason()} and logs it once at WARN;
 * nothing else changes (writes made elsewhere show once cached reads expire). The embedded server
 * with its oplog enabled ({@code MemoryBackend.enableOplog()}) does have change streams, with two
 * gaps: its update events do not name the document (each invalidates every read) and its
 * {@code findOneAndUpdate/Replace/Delete} make no event at all.
 *
 * <p><b>Failures.</b> A transient failure (network, election) reopens the stream where it stopped,
 * with backoff (100 ms growing to 5 s), so no event is missed. When the stream cannot resume there
 * (the oplog moved past it, or no position was known yet), it opens anew and invalidates every read
 * of the wrapper, since events may have been missed. Opening it at first likewise invalidates what
 * was cached before. Thread-safe; {@link #close()} may be called from any thread, more than once.
 */
public final class ChangeStreamInvalidator implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(ChangeStreamInvalidator.class);

    /** How long an empty poll waits at most before the next, on servers that answer at once. */
    static final Duration DEFAULT_MAX_IDLE_PAUSE = Duration.ofMillis(50);

    private static final long MIN_IDLE_PAUSE_NANOS = TimeUnit.MILLISECONDS.toNanos(1);
    /** A poll that returns sooner than this waited on nothing server side: pause before the next. */
    private static final long SERVER_WAITED_NANOS = TimeUnit.MILLISECONDS.toNanos(5);
    /** How long {@link #close()} waits for the listening thread to end. */
    private static final long CLOSE_WAIT_MILLIS = 10_000;

    /** Where the listener stands. */
    public enum State {
        /** Listening: writes made elsewhere are applied as their events arrive. */
        RUNNING,
        /** The stream failed transiently and is being reopened; events are replayed once it is. */
        RECONNECTING,
        /** The server has no change streams; see {@link #unavailableReason()}. */
        UNAVAILABLE,
        /** Closed: writes made elsewhere show once cached reads expire. */
        CLOSED
    }

    /** What one event means to the cached reads: an effect and the fields it may have changed. */
    record Change(ReadIndex.Effect effect, Set<String> touched, boolean reopen) {
        static final Change EVERYTHING = new Change(ReadIndex.Effect.ALL, null, false);
    }

    private final CachedCollection<?> cached;
    private final MongoCollection<?> collection;
    private final Function<BsonDocument, Document> decoder;
    private final long maxIdlePauseNanos;
    private final Retry reopening;
    private final WarnThenDebug failures = new WarnThenDebug(log);
    private final AtomicLong eventsApplied = new AtomicLong();
    private final AtomicLong fullInvalidations = new AtomicLong();
    private final Object lifecycle = new Object();

    private volatile State state;
    private volatile String unavailableReason;
    private volatile boolean closed;
    private volatile Thread thread;
    private volatile MongoChangeStreamCursor<ChangeStreamDocument<Document>> cursor;

    // Owned by the listening thread (and by start() before it runs).
    private BsonDocument resumeToken;
    private boolean resumeAfterInvalidate;

    /**
     * Non-transient failures in a row before giving up: a stream that fails that way again and again
     * (each time invalidating everything) is worse than none.
     */
    private static final int MAX_REFUSALS = 3;
    /** A stream that ran this long before failing starts the count of refusals again. */
    private static final long HEALTHY_NANOS = TimeUnit.MINUTES.toNanos(1);

    // Polls, for tests that wait until every event of a write has been applied (caughtUpSince).
    private volatile long pollsStarted;
    private volatile long lastEmptyPoll = -1;

    private ChangeStreamInvalidator(CachedCollection<?> cached, MongoCollection<?> collection, Duration maxIdlePause) {
        this.cached = requireNonNull(cached, "cached");
        this.collection = requireNonNull(collection, "collection");
        this.maxIdlePauseNanos = Math.max(MIN_IDLE_PAUSE_NANOS, maxIdlePause.toNanos());
        Codec<Document> codec = collection.getCodecRegistry().get(Document.class);
        this.decoder = key -> codec.decode(
                new BsonDocumentReader(key), DecoderContext.builder().build());
        this.reopening = Retry.of(
                "perfkit-changes-" + collection.getNamespace().getFullName(),
                Retries.config(
                        Integer.MAX_VALUE,
                        Duration.ofMillis(100),
                        2.0,
                        Duration.ofSeconds(5),
                        failure -> !closed && MongoRetryPolicy.isTransient(failure)));
    }

    /**
     * Opens the change stream of {@code collection} for {@code cached}: on the caller's thread, so
     * that an unavailable server is known when this returns; then listens on a daemon thread.
     */
    static ChangeStreamInvalidator start(
            CachedCollection<?> cached, MongoCollection<?> collection, Duration maxIdlePause) {
        ChangeStreamInvalidator invalidator = new ChangeStreamInvalidator(cached, collection, maxIdlePause);
        invalidator.begin();
        return invalidator;
    }

    private void begin() {
        try {
            cursor = open();
            state = State.RUNNING;
        } catch (RuntimeException e) {
            if (!MongoRetryPolicy.isTransient(e)) {
                unavailable(e);
                return;
            }
            state = State.RECONNECTING; // the server is not reachable yet: keep trying in the background
            failures.log("Change stream of " + namespace() + " could not open yet; retrying", e);
        }
        Thread listening = new Thread(this::listen, "perfkit-changes-" + namespace());
        listening.setDaemon(true);
        thread = listening;
        listening.start();
    }

    /** Returns where the listener stands. */
    public State state() {
        return state;
    }

    /**
     * Returns why the server has no change streams, when {@link #state()} is {@link
     * State#UNAVAILABLE}.
     */
    public Optional<String> unavailableReason() {
        return Optional.ofNullable(unavailableReason);
    }

    /** Returns the number of change events applied so far. */
    public long eventsApplied() {
        return eventsApplied.get();
    }

    /**
     * Returns how often every cached read of the wrapper was invalidated because of the stream:
     * at start, after a stream that could not resume, and for events that change everything
     * (a drop, a rename, an event of a kind perfkit does not know).
     */
    public long fullInvalidations() {
        return fullInvalidations.get();
    }

    /**
     * Stops listening. Writes made elsewhere then show once cached reads expire. Waits for the
     * listening thread to end (an event being applied is finished first).
     */
    @Override
    public void close() {
        Thread listening;
        synchronized (lifecycle) {
            if (closed) {
                return;
            }
            closed = true;
            state = State.CLOSED;
            listening = thread;
        }
        if (listening == null) {
            return;
        }
        listening.interrupt(); // ends a backoff or an idle pause
        MongoChangeStreamCursor<?> open = cursor;
        if (open != null) {
            try {
                open.close(); // the driver defers it until a running getMore returns
            } catch (RuntimeException e) {
                log.debug("Closing the change stream of {} failed", namespace(), e);
            }
        }
        if (listening != Thread.currentThread()) {
            try {
                listening.join(CLOSE_WAIT_MILLIS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    // ---- the listening thread

    private void listen() {
        try {
            listenUntilClosed();
        } catch (Error e) {
            // The thread dies with it: say so, and leave nothing cached that it may have missed.
            log.warn(
                    "The change stream listener of {} stopped; writes made elsewhere show after the TTL",
                    namespace(),
                    e);
            unavailableReason = "the listener stopped: " + e;
            moveTo(State.UNAVAILABLE);
            invalidateEverything();
            throw e;
        }
    }

    private void listenUntilClosed() {
        int refusedInARow = 0; // non-transient failures of a stream that never ran a minute between them
        long openedAt = System.nanoTime();
        while (!closed) {
            try {
                if (cursor == null) {
                    cursor = reopening.executeSupplier(this::reopen);
                    openedAt = System.nanoTime();
                    moveTo(State.RUNNING);
                }
                pump(cursor);
            } catch (RuntimeException e) {
                if (closed) {
                    break;
                }
                closeQuietly(cursor);
                cursor = null;
                boolean transientFailure = MongoRetryPolicy.isTransient(e);
                boolean ranAWhile = System.nanoTime() - openedAt > HEALTHY_NANOS;
                refusedInARow = transientFailure || ranAWhile ? 0 : refusedInARow + 1;
                if (transientFailure) {
                    moveTo(State.RECONNECTING);
                    failures.log("Change stream of " + namespace() + " failed; resuming", e);
                } else if (resumeToken != null && refusedInARow < MAX_REFUSALS) {
                    // It cannot resume where it stopped (the oplog moved past it, say): start anew.
                    failures.log("Change stream of " + namespace() + " cannot resume; opening it anew", e);
                    resumeToken = null;
                    moveTo(State.RECONNECTING);
                } else {
                    unavailable(e);
                    invalidateEverything(); // what is cached may predate writes it did not see
                    return;
                }
            }
        }
        closeQuietly(cursor);
    }

    /** Reads events until closed or the stream fails; an empty poll pauses when the server did not wait. */
    private void pump(MongoChangeStreamCursor<ChangeStreamDocument<Document>> open) {
        long idlePause = MIN_IDLE_PAUSE_NANOS;
        while (!closed) {
            long poll = pollsStarted + 1;
            pollsStarted = poll;
            long started = System.nanoTime();
            ChangeStreamDocument<Document> event = open.tryNext();
            if (event == null) {
                noteResumeToken(open.getResumeToken());
                lastEmptyPoll = poll;
                if (System.nanoTime() - started < SERVER_WAITED_NANOS) {
                    LockSupport.parkNanos(idlePause);
                    idlePause = Math.min(maxIdlePauseNanos, idlePause * 2);
                }
                continue;
            }
            idlePause = MIN_IDLE_PAUSE_NANOS;
            Change change = apply(event);
            noteResumeToken(event.getResumeToken()); // only once applied: a reopen replays what was not
            if (change.reopen()) {
                resumeAfterInvalidate = true;
                closeQuietly(open);
                cursor = null;
                return;
            }
        }
    }

    private void noteResumeToken(BsonDocument token) {
        if (token != null) {
            resumeToken = token;
        }
    }

    private Change apply(ChangeStreamDocument<Document> event) {
        Change change;
        try {
            change = translate(event, decoder);
            if (change.effect().kind() == ReadIndex.EffectKind.ALL) {
                fullInvalidations.incrementAndGet();
            }
            cached.changedElsewhere(change.effect(), change.touched());
        } catch (RuntimeException e) {
            // Instrumentation never breaks the host, and a read must not stay stale: drop them all.
            failures.log("Applying a change event of " + namespace() + " failed; invalidating its reads", e);
            invalidateEverything();
            change = Change.EVERYTHING;
        }
        eventsApplied.incrementAndGet();
        return change;
    }

    /** Opens the stream at first: what is cached may predate writes it will not report. */
    private MongoChangeStreamCursor<ChangeStreamDocument<Document>> open() {
        MongoChangeStreamCursor<ChangeStreamDocument<Document>> opened =
                collection.watch(Document.class).cursor();
        invalidateEverything();
        return opened;
    }

    /** Reopens where it stopped, or anew (invalidating everything) when no position is known. */
    private MongoChangeStreamCursor<ChangeStreamDocument<Document>> reopen() {
        if (resumeToken == null) {
            return open();
        }
        var stream = collection.watch(Document.class);
        stream = resumeAfterInvalidate ? stream.startAfter(resumeToken) : stream.resumeAfter(resumeToken);
        MongoChangeStreamCursor<ChangeStreamDocument<Document>> opened = stream.cursor();
        resumeAfterInvalidate = false;
        return opened;
    }

    private void invalidateEverything() {
        fullInvalidations.incrementAndGet();
        long unused = cached.invalidate();
    }

    private void unavailable(RuntimeException e) {
        String reason = "Change streams are not available for " + namespace() + " (" + describe(e)
                + "): they need a replica set or a sharded cluster (a standalone server has none; the"
                + " embedded server has them only with its oplog enabled). Writes made elsewhere show"
                + " in its cached reads once they expire.";
        unavailableReason = reason;
        moveTo(State.UNAVAILABLE);
        log.warn(reason);
        log.debug("Change stream of {} failed to open", namespace(), e);
    }

    /** Changes the state unless closed (close() has the last word). */
    private void moveTo(State next) {
        synchronized (lifecycle) {
            if (!closed) {
                state = next;
            }
        }
    }

    private static String describe(RuntimeException e) {
        return e instanceof MongoException ? e.getMessage() : e.toString(); // the driver's names the code
    }

    private void closeQuietly(MongoChangeStreamCursor<?> open) {
        if (open == null) {
            return;
        }
        try {
            open.close();
        } catch (RuntimeException e) {
            log.debug("Closing the change stream of {} failed", namespace(), e);
        }
    }

    private String namespace() {
        return collection.getNamespace().getFullName();
    }

    // ---- for tests: wait until every event of the writes made before a mark has been applied

    /** The number of the last poll started; a later empty poll proves earlier events applied. */
    long pollsStarted() {
        return pollsStarted;
    }

    /** Whether a poll started after {@code mark} came back empty (every earlier event applied). */
    boolean caughtUpSince(long mark) {
        return lastEmptyPoll > mark;
    }

    /** Whether the listening thread is alive. */
    boolean listening() {
        Thread listening = thread;
        return listening != null && listening.isAlive();
    }

    /** Ends an idle pause now. */
    void wakeUp() {
        Thread listening = thread;
        if (listening != null) {
            LockSupport.unpark(listening);
        }
    }

    // ---- events to effects

    /**
     * What an event means to the cached reads. Never throws for a well-formed event; unknown kinds,
     * and events that do not name their document, change everything.
     *
     * @param decoder turns the event's document key into a {@code Document} as the collection decodes
     */
    static Change translate(ChangeStreamDocument<Document> event, Function<BsonDocument, Document> decoder) {
        String type = event.getOperationTypeString();
        if (type == null) {
            return Change.EVERYTHING;
        }
        if (type.equals("invalidate")) {
            return new Change(ReadIndex.Effect.ALL, null, true);
        }
        Document id = idOf(event.getDocumentKey(), decoder);
        switch (type) {
            case "insert" -> {
                Document inserted = event.getFullDocument();
                if (inserted != null && inserted.containsKey("_id")) {
                    return new Change(ReadIndex.Effect.insert(List.of(inserted)), null, false);
                }
                // A new document of unknown content under a known _id: like a replacement.
                return id == null ? Change.EVERYTHING : new Change(ReadIndex.Effect.update(id, null), null, false);
            }
            case "update" -> {
                if (id == null) {
                    return Change.EVERYTHING; // e.g. the embedded server, whose update events do not name the document
                }
                Set<String> touched = touchedBy(event.getUpdateDescription());
                return new Change(ReadIndex.Effect.update(id, touched), touched, false);
            }
            case "replace" -> {
                return id == null ? Change.EVERYTHING : new Change(ReadIndex.Effect.update(id, null), null, false);
            }
            case "delete" -> {
                return id == null ? Change.EVERYTHING : new Change(ReadIndex.Effect.delete(id), null, false);
            }
            default -> {
                return Change.EVERYTHING; // drop, rename, dropDatabase, and kinds perfkit does not know
            }
        }
    }

    /** {@code {_id: value}} of a document key, or null when it has no _id or cannot be decoded. */
    private static Document idOf(BsonDocument key, Function<BsonDocument, Document> decoder) {
        if (key == null || !key.containsKey("_id")) {
            return null;
        }
        try {
            Document decoded = decoder.apply(new BsonDocument("_id", key.get("_id")));
            return new Document("_id", decoded.get("_id"));
        } catch (RuntimeException e) {
            return null;
        }
    }

    /**
     * The fields an update description names, with every prefix of each dotted path (a field may
     * have a dot in its own name, so the whole path counts too); null when there is no description.
     */
    static Set<String> touchedBy(UpdateDescription description) {
        if (description == null) {
            return null;
        }
        Set<String> touched = new HashSet<>();
        BsonDocument updated = description.getUpdatedFields();
        if (updated != null) {
            for (String path : updated.keySet()) {
                addWithPrefixes(touched, path);
            }
        }
        List<String> removed = description.getRemovedFields();
        if (removed != null) {
            for (String path : removed) {
                addWithPrefixes(touched, path);
            }
        }
        List<TruncatedArray> truncated = description.getTruncatedArrays();
        if (truncated != null) {
            for (TruncatedArray array : truncated) {
                addWithPrefixes(touched, array.getField());
            }
        }
        return touched.isEmpty() ? null : Set.copyOf(touched);
    }

    private static void addWithPrefixes(Set<String> touched, String path) {
        for (int dot = path.indexOf('.'); dot >= 0; dot = path.indexOf('.', dot + 1)) {
            touched.add(path.substring(0, dot));
        }
        touched.add(path);
    }
}
