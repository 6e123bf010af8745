package dev.perfkit.mongo;

import java.math.BigDecimal;
import java.util.HashMap;
import java.util.Map;
import java.util.Set;

/*
 * The writes running through one CachedCollection, by the documents they may change, so that a
 * write can tell it ran alone on its documents: then nothing but itself changed them between its
 * start and the end of its judging, and a cached copy of them may be brought up to date with the
 * write's own change (UpdatePatch) instead of dropped.
 *
 * A write names its documents by _id when it knows them before it runs (an update by a unique
 * field whose document is cached); any other write is broad: it may change any document, and
 * while one runs no write is alone. Every start and end counts as an event, so a write that
 * started and ended entirely within another's run is seen too. One lock: a few map operations per
 * write, which costs a round trip anyway.
 */
final class WriteTracker {
    private int broadRunning;
    private long broadEvents;
    private final Map<Object, long[]> byDocument = new HashMap<>(); // _id -> {running, events}

    /** One running write. */
    static final class Ticket {
        private final Set<Object> ids; // null: broad
        private final boolean aloneAtStart;
        private final long broadEventsAtStart;
        private final Map<Object, Long> eventsAtStart;

        private Ticket(Set<Object> ids, boolean aloneAtStart, long broadEventsAtStart, Map<Object, Long> events) {
            this.ids = ids;
            this.aloneAtStart = aloneAtStart;
            this.broadEventsAtStart = broadEventsAtStart;
            this.eventsAtStart = events;
        }

        /** Whether this write named {@code id} as one of its documents before it ran. */
        boolean names(Object id) {
            return ids != null && ids.contains(normalized(id));
        }
    }

    /** Starts a write on the documents with these _ids, or a broad one ({@code ids} null). */
    synchronized Ticket start(Set<Object> ids) {
        if (ids == null) {
            broadRunning++;
            broadEvents++;
            return new Ticket(null, false, 0, Map.of());
        }
        boolean alone = broadRunning == 0;
        Map<Object, Long> events = new HashMap<>();
        java.util.Set<Object> normalized = new java.util.HashSet<>();
        for (Object id : ids) {
            Object key = normalized(id);
            if (!normalized.add(key)) {
                continue;
            }
            long[] state = byDocument.computeIfAbsent(key, k -> new long[2]);
            alone &= state[0] == 0;
            state[0]++;
            state[1]++;
            events.put(key, state[1]);
        }
        return new Ticket(Set.copyOf(normalized), alone, broadEvents, events);
    }

    /** Whether the write ran alone on its documents from its start until now. */
    synchronized boolean alone(Ticket ticket) {
        if (ticket.ids == null
                || !ticket.aloneAtStart
                || broadRunning != 0
                || broadEvents != ticket.broadEventsAtStart) {
            return false;
        }
        for (Map.Entry<Object, Long> entry : ticket.eventsAtStart.entrySet()) {
            long[] state = byDocument.get(entry.getKey());
            if (state == null || state[0] != 1 || state[1] != entry.getValue()) {
                return false;
            }
        }
        return true;
    }

    /** Ends a write. */
    synchronized void end(Ticket ticket) {
        if (ticket.ids == null) {
            broadRunning--;
            broadEvents++;
            return;
        }
        for (Object key : ticket.ids) {
            long[] state = byDocument.get(key);
            state[0]--;
            state[1]++;
            if (state[0] == 0) {
                byDocument.remove(key); // no ticket refers to it any more
            }
        }
    }

    /** _ids as the server compares them: 7 and 7L name one document. */
    static Object normalized(Object id) {
        try {
            if (id instanceof Integer || id instanceof Long) {
                return BigDecimal.valueOf(((Number) id).longValue()).stripTrailingZeros();
            }
            if (id instanceof Double value && Double.isFinite(value)) {
                return new BigDecimal(value).stripTrailingZeros();
            }
            if (id instanceof org.bson.types.Decimal128 decimal && !decimal.isNaN() && !decimal.isInfinite()) {
                return decimal.bigDecimalValue().stripTrailingZeros();
            }
        } catch (ArithmeticException negativeZero) {
            return BigDecimal.ZERO;
        }
        return id;
    }
}
