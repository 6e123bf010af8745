package dev.perfkit.db;

import static java.util.Objects.requireNonNull;

import dev.perfkit.PerfConfig;
import dev.perfkit.internal.Durations;
import dev.perfkit.internal.MeterOwnership;
import dev.perfkit.internal.Meters;
import dev.perfkit.internal.QueryShapeCache;
import dev.perfkit.internal.WarnThenDebug;
import dev.perfkit.profile.IndexRecommendation;
import dev.perfkit.profile.NPlusOneWarning;
import dev.perfkit.profile.OperationStats;
import dev.perfkit.profile.ProfilerScope;
import dev.perfkit.profile.ProfilerStats;
import dev.perfkit.profile.QueryProfiler;
import dev.perfkit.profile.QueryShape;
import dev.perfkit.profile.SlowQuery;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.Deque;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReferenceArray;
import java.util.concurrent.atomic.LongAccumulator;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.Supplier;
import org.HdrHistogram.ConcurrentHistogram;
import org.HdrHistogram.Histogram;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A {@link QueryProfiler} whose statistics live in lock-free counters and an HdrHistogram, and whose
 * meters go to Micrometer: a {@code perfkit.query} timer tagged by collection, operation and status,
 * and a {@code perfkit.query.slow} counter.
 *
 * <pre>{@code
 * QueryProfiler profiler = MicrometerQueryProfiler.create(PerfConfig.fromEnvironment());   // for injection
 * }</pre>
 *
 * <p>{@code Perf.getQueryProfiler()} returns one of these when {@code perf-db} is on the class path.
 * Thread-safe; {@link #recordQuery} takes no lock.
 */
public final class MicrometerQueryProfiler implements QueryProfiler {
    /*
     * Design notes.
     *
     * Recording: shapes come from a QueryShapeCache (a structural fingerprint, then a map lookup),
     * statistics from LongAdders in per-(collection, operation) and per-shape holders found in
     * concurrent maps, latencies in one ConcurrentHistogram (microseconds, 2 significant digits,
     * up to an hour), and the Micrometer timer and counter are looked up once per holder. The
     * slow-query log is a ring of slots written with one getAndIncrement; reading sorts it.
     *
     * N+1: each thread has a stack of open scopes; a query counts (collection, shape) in every open
     * scope, so a loop that spans nested helpers still counts for the command around it. When a
     * scope closes, shapes run at least nPlusOneThreshold times become warnings, keyed by (scope
     * name, collection, shape): a repeat adds an occurrence and keeps the largest count. New
     * warnings are logged once; past MAX_WARNINGS new keys are dropped and counted.
     *
     * Index advice: computed on demand from the per-shape holders (see IndexAdvice).
     *
     * Bounds: collection and operation names come from data (a bot may name collections after
     * guilds), so at most MAX_COLLECTIONS collections and MAX_OPERATIONS operations per collection
     * get holders and meters of their own; the rest are counted under "other". At most MAX_SHAPES
     * shapes per (collection, operation) are kept for index advice; later ones count only in the
     * totals. Every meter carries a "name" tag of this profiler's own (MeterOwnership), so two
     * profilers on one registry never share or remove each other's meters.
     *
     * Lifecycle: the constructor assigns; create() claims the meter tag. After close() the
     * profiler records nothing and registers no meter (a record racing close removes what it
     * registered itself).
     */
    private static final Logger log = LoggerFactory.getLogger(MicrometerQueryProfiler.class);
    static final int MAX_WARNINGS = 1_000;
    /** Collections with statistics and meters of their own; further ones count as {@value #OTHER}. */
    static final int MAX_COLLECTIONS = 100;
    /** Operations per collection with statistics and meters of their own. */
    static final int MAX_OPERATIONS = 25;
    /** Query shapes kept per (collection, operation) for index advice. */
    static final int MAX_SHAPES = 500;
    /** The bucket of collections and operations past the caps. */
    static final String OTHER = "other";

    private static final long HIGHEST_MICROS = TimeUnit.HOURS.toMicros(1);

    private final QueryShapeCache shapes = QueryShapeCache.create(10_000);
    private final ConcurrentHashMap<String, ConcurrentHashMap<String, OperationHolder>> operations =
            new ConcurrentHashMap<>();
    private final LongAdder total = new LongAdder();
    private final LongAdder errors = new LongAdder();
    private final LongAdder slow = new LongAdder();
    private final LongAdder totalNanos = new LongAdder();
    private volatile Histogram latencies = newHistogram();

    private final int slowLogSize;
    private volatile AtomicReferenceArray<SlowSlot> slowLog;
    private final AtomicLong slowSequence = new AtomicLong();
    private volatile long slowThresholdNanos;

    private final int nPlusOneThreshold;
    private final ThreadLocal<Deque<Scope>> scopes = ThreadLocal.withInitial(ArrayDeque::new);
    private final ConcurrentHashMap<WarningKey, WarningHolder> warnings = new ConcurrentHashMap<>();
    private final LongAdder droppedWarnings = new LongAdder();
    private final WarnThenDebug recordFailures = new WarnThenDebug(log);

    private final MeterRegistry meterRegistry;
    private final List<Meter> meters = new CopyOnWriteArrayList<>();
    private String meterName;
    private volatile boolean closed;

    private MicrometerQueryProfiler(PerfConfig config) {
        this.slowLogSize = config.slowQueryLogSize();
        this.slowLog = new AtomicReferenceArray<>(slowLogSize);
        this.slowThresholdNanos = config.slowQueryThreshold().toNanos();
        this.nPlusOneThreshold = config.nPlusOneThreshold();
        this.meterRegistry = config.meterRegistry();
    }

    /**
     * Creates a profiler: slow threshold, slow-log size and N+1 threshold from the configuration,
     * meters to its registry.
     *
     * @param config the configuration
     * @return a new profiler
     */
    public static MicrometerQueryProfiler create(PerfConfig config) {
        MicrometerQueryProfiler profiler = new MicrometerQueryProfiler(requireNonNull(config, "config"));
        profiler.meterName = MeterOwnership.claim(profiler.meterRegistry, "profiler", "query-profiler");
        return profiler;
    }

    /**
     * Returns the {@code name} tag of this profiler's meters: {@code query-profiler}, or {@code
     * query-profiler-2}, ... when another live profiler publishes to the same registry.
     */
    public String meterTag() {
        return meterName;
    }

    private static Histogram newHistogram() {
        return new ConcurrentHistogram(HIGHEST_MICROS, 2);
    }

    // ---- recording

    @Override
    public void recordQuery(
            String collection,
            String operation,
            Map<String, ?> query,
            Duration duration,
            boolean success,
            long resultSize) {
        recordQuery(collection, operation, query, Map.of(), duration, success, resultSize);
    }

    @Override
    public void recordQuery(
            String collection,
            String operation,
            Map<String, ?> query,
            Map<String, ?> sort,
            Duration duration,
            boolean success,
            long resultSize) {
        requireNonNull(collection, "collection");
        requireNonNull(operation, "operation");
        requireNonNull(query, "query");
        requireNonNull(sort, "sort");
        Durations.checkNonNegative("duration", duration);
        QueryShape shape = shapes.shapeOf(query, sort); // IllegalArgumentException for a too-deep query
        recordQuietly(collection, operation, shape, duration.toNanos(), success, resultSize);
    }

    private void record(
            String collection, String operation, QueryShape shape, long nanos, boolean success, long resultSize) {
        if (closed) {
            return;
        }
        OperationHolder op = holder(collection, operation);
        ShapeHolder shapeHolder = op.shapes.get(shape);
        if (shapeHolder == null && op.shapes.size() < MAX_SHAPES) {
            shapeHolder = op.shapes.computeIfAbsent(shape, ShapeHolder::new);
        }
        boolean isSlow = nanos >= slowThresholdNanos;

        total.increment();
        totalNanos.add(nanos);
        op.count.increment();
        op.totalNanos.add(nanos);
        op.maxNanos.accumulate(nanos);
        if (shapeHolder != null) {
            shapeHolder.count.increment();
            shapeHolder.totalNanos.add(nanos);
        }
        if (!success) {
            errors.increment();
            op.errors.increment();
        }
        latencies.recordValue(Math.min(HIGHEST_MICROS, nanos / 1_000));
        op.timer(success).record(nanos, TimeUnit.NANOSECONDS);
        if (isSlow) {
            slow.increment();
            op.slow.increment();
            op.slowCounter().increment();
            AtomicReferenceArray<SlowSlot> ring = slowLog;
            long sequence = slowSequence.getAndIncrement();
            ring.set(
                    (int) (sequence % ring.length()),
                    new SlowSlot(
                            sequence,
                            new SlowQuery(
                                    collection,
                                    operation,
                                    shape.shape(),
                                    Duration.ofNanos(nanos),
                                    Instant.now(),
                                    success,
                                    resultSize)));
        }
        Deque<Scope> open = scopes.get();
        if (!open.isEmpty()) {
            ScopeKey key = new ScopeKey(collection, shape);
            for (Scope scope : open) {
                scope.counts.merge(key, 1, Integer::sum);
            }
        }
    }

    @Override
    public void recordShape(
            String collection, String operation, QueryShape shape, long nanos, boolean success, long resultSize) {
        requireNonNull(collection, "collection");
        requireNonNull(operation, "operation");
        requireNonNull(shape, "shape");
        if (nanos < 0) {
            throw new IllegalArgumentException("nanos must not be negative: " + nanos);
        }
        recordQuietly(collection, operation, shape, nanos, success, resultSize);
    }

    /** {@inheritDoc} Here: only slow queries keep their size (in the slow-query log). */
    @Override
    public boolean usesResultSize(long nanos) {
        return nanos >= slowThresholdNanos;
    }

    /** The holder of (collection, operation), or of the "other" bucket past the caps. */
    private OperationHolder holder(String collection, String operation) {
        ConcurrentHashMap<String, OperationHolder> byOperation = operations.get(collection);
        if (byOperation == null) {
            String tracked = operations.size() < MAX_COLLECTIONS ? collection : OTHER;
            byOperation = operations.computeIfAbsent(tracked, c -> new ConcurrentHashMap<>());
            collection = tracked;
        }
        OperationHolder op = byOperation.get(operation);
        if (op == null) {
            String tracked = byOperation.size() < MAX_OPERATIONS ? operation : OTHER;
            String owner = collection;
            op = byOperation.computeIfAbsent(tracked, o -> new OperationHolder(owner, o));
        }
        return op;
    }

    /**
     * {@inheritDoc}
     *
     * <p>The query is checked (and shaped) before the call runs, so bad input fails before the
     * host's work, never after it; recording afterwards never throws.
     */
    @Override
    public <T> T profile(String collection, String operation, Map<String, ?> query, Supplier<T> call) {
        requireNonNull(collection, "collection");
        requireNonNull(operation, "operation");
        requireNonNull(query, "query");
        requireNonNull(call, "call");
        QueryShape shape = shapes.shapeOf(query, Map.of()); // IllegalArgumentException before the call runs
        long start = System.nanoTime();
        T result;
        try {
            result = call.get();
        } catch (RuntimeException | Error e) {
            recordQuietly(collection, operation, shape, System.nanoTime() - start, false, -1);
            throw e;
        }
        recordQuietly(collection, operation, shape, System.nanoTime() - start, true, resultSize(result));
        return result;
    }

    /** Records; a failure of the profiler itself is logged once loudly, then quietly, never thrown. */
    private void recordQuietly(
            String collection, String operation, QueryShape shape, long nanos, boolean success, long size) {
        try {
            record(collection, operation, shape, nanos, success, size);
        } catch (RuntimeException | StackOverflowError | LinkageError e) {
            recordFailures.log("Could not record a query on " + collection + "." + operation + "; skipping it", e);
        }
    }

    private static long resultSize(Object result) {
        if (result == null) {
            return 0;
        }
        if (result instanceof Collection<?> collection) {
            return collection.size();
        }
        if (result instanceof Map<?, ?>) {
            return 1; // one document
        }
        if (result instanceof Number number) {
            return number.longValue();
        }
        return -1;
    }

    // ---- reading

    @Override
    public ProfilerStats getStats() {
        long count = total.sum();
        Histogram snapshot = latencies.copy();
        List<OperationStats> breakdown = new ArrayList<>();
        operations.values().forEach(byOperation -> byOperation.values().forEach(op -> breakdown.add(op.stats())));
        breakdown.sort(Comparator.comparing(OperationStats::totalTime).reversed());
        return new ProfilerStats(
                count,
                slow.sum(),
                count == 0 ? Duration.ZERO : Duration.ofNanos(totalNanos.sum() / count),
                count == 0 ? 0.0 : (double) errors.sum() / count,
                percentile(snapshot, 50),
                percentile(snapshot, 95),
                percentile(snapshot, 99),
                breakdown);
    }

    private static Duration percentile(Histogram histogram, double percentile) {
        if (histogram.getTotalCount() == 0) {
            return Duration.ZERO;
        }
        return Duration.ofNanos(TimeUnit.MICROSECONDS.toNanos(histogram.getValueAtPercentile(percentile)));
    }

    @Override
    public List<SlowQuery> getSlowQueries() {
        AtomicReferenceArray<SlowSlot> ring = slowLog;
        List<SlowSlot> slots = new ArrayList<>(ring.length());
        for (int i = 0; i < ring.length(); i++) {
            SlowSlot slot = ring.get(i);
            if (slot != null) {
                slots.add(slot);
            }
        }
        slots.sort(Comparator.comparingLong(SlowSlot::sequence).reversed());
        List<SlowQuery> entries = new ArrayList<>(slots.size());
        slots.forEach(slot -> entries.add(slot.query()));
        return entries;
    }

    @Override
    public List<IndexRecommendation> recommendIndexes() {
        List<IndexAdvice.Observation> observations = new ArrayList<>();
        operations.forEach((collection, byOperation) -> byOperation.values().forEach(op -> op.shapes
                .values()
                .forEach(holder -> observations.add(new IndexAdvice.Observation(
                        collection, holder.shape, holder.count.sum(), holder.totalNanos.sum())))));
        return IndexAdvice.recommend(observations);
    }

    @Override
    public List<NPlusOneWarning> getNPlusOneWarnings() {
        List<NPlusOneWarning> list = new ArrayList<>();
        warnings.forEach((key, holder) -> list.add(holder.toWarning(key)));
        list.sort(Comparator.comparingLong(NPlusOneWarning::occurrences)
                .reversed()
                .thenComparing(NPlusOneWarning::scope));
        return list;
    }

    /** Returns how many new N+1 warnings were dropped because {@value #MAX_WARNINGS} were kept. */
    public long droppedWarnings() {
        return droppedWarnings.sum();
    }

    // ---- scopes

    @Override
    public ProfilerScope scope(String name) {
        requireNonNull(name, "name");
        Scope scope = new Scope(name);
        scopes.get().push(scope);
        return scope;
    }

    private record ScopeKey(String collection, QueryShape shape) {}

    /** A slow-log entry with its sequence number, which orders entries newest first. */
    private record SlowSlot(long sequence, SlowQuery query) {}

    private record WarningKey(String scope, String collection, String shape) {}

    private static final class WarningHolder {
        final AtomicLong occurrences = new AtomicLong();
        final LongAccumulator largest = new LongAccumulator(Math::max, 0);

        NPlusOneWarning toWarning(WarningKey key) {
            return new NPlusOneWarning(
                    key.scope(),
                    key.collection(),
                    key.shape(),
                    (int) largest.get(),
                    occurrences.get(),
                    "Runs of one query per item: fetch the items with one query using $in on the varying"
                            + " field, or cache the lookups");
        }
    }

    private final class Scope implements ProfilerScope {
        private final String name;
        private final Thread owner = Thread.currentThread();
        private final Map<ScopeKey, Integer> counts = new HashMap<>();
        private boolean closed;

        Scope(String name) {
            this.name = name;
        }

        @Override
        public String name() {
            return name;
        }

        @Override
        public void close() {
            if (closed) {
                return;
            }
            closed = true;
            if (Thread.currentThread() == owner) {
                Deque<Scope> open = scopes.get();
                // Closing out of order closes the scopes opened inside this one too.
                while (!open.isEmpty()) {
                    Scope top = open.pop();
                    if (top == this) {
                        break;
                    }
                    top.judge();
                    top.closed = true;
                }
                if (open.isEmpty()) {
                    scopes.remove();
                }
            }
            judge();
        }

        private void judge() {
            counts.forEach((key, count) -> {
                if (count >= nPlusOneThreshold) {
                    warn(new WarningKey(name, key.collection(), key.shape().shape()), count);
                }
            });
            counts.clear();
        }
    }

    private void warn(WarningKey key, int count) {
        WarningHolder holder = warnings.get(key);
        if (holder == null) {
            if (warnings.size() >= MAX_WARNINGS) {
                droppedWarnings.increment();
                return;
            }
            WarningHolder created = new WarningHolder();
            holder = warnings.putIfAbsent(key, created);
            if (holder == null) {
                holder = created;
                log.warn(
                        "N+1 queries in '{}': {} ran {} times with shape {}; fetch them with one $in query",
                        key.scope(),
                        key.collection(),
                        count,
                        key.shape());
            }
        }
        holder.occurrences.incrementAndGet();
        holder.largest.accumulate(count);
    }

    // ---- settings and lifecycle

    @Override
    public Duration getSlowThreshold() {
        return Duration.ofNanos(slowThresholdNanos);
    }

    @Override
    public void setSlowThreshold(Duration threshold) {
        slowThresholdNanos = Durations.checkNonNegative("threshold", threshold).toNanos();
    }

    @Override
    public void reset() {
        operations.clear();
        total.reset();
        errors.reset();
        slow.reset();
        totalNanos.reset();
        latencies = newHistogram();
        slowLog = new AtomicReferenceArray<>(slowLogSize);
        warnings.clear();
        droppedWarnings.reset();
    }

    /**
     * Removes this profiler's meters (only those it registered). Afterwards it records nothing and
     * registers no meter; {@code profile} still runs the call. Idempotent.
     */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        Meters.removeQuietly(meterRegistry, meters);
        meters.clear();
        MeterOwnership.release(meterRegistry, "profiler", meterName);
    }

    /** Registers a meter unless closed; a registration racing close() is undone. */
    private <M extends Meter> M own(M meter) {
        meters.add(meter);
        if (closed) {
            meters.remove(meter);
            Meters.removeQuietly(meterRegistry, List.of(meter));
        }
        return meter;
    }

    @Override
    public String toString() {
        return "MicrometerQueryProfiler{queries=" + total.sum() + ", slowThreshold=" + getSlowThreshold() + "}";
    }

    /** Statistics of one (collection, operation), with its meters looked up once. */
    private final class OperationHolder {
        final String collection;
        final String operation;
        final LongAdder count = new LongAdder();
        final LongAdder errors = new LongAdder();
        final LongAdder slow = new LongAdder();
        final LongAdder totalNanos = new LongAdder();
        final LongAccumulator maxNanos = new LongAccumulator(Math::max, 0);
        final ConcurrentHashMap<QueryShape, ShapeHolder> shapes = new ConcurrentHashMap<>();
        private volatile Timer successTimer;
        private volatile Timer errorTimer;
        private volatile Counter slowCounter;

        OperationHolder(String collection, String operation) {
            this.collection = collection;
            this.operation = operation;
        }

        Timer timer(boolean success) {
            Timer timer = success ? successTimer : errorTimer;
            if (timer == null) {
                timer = Timer.builder("perfkit.query")
                        .description("Database queries recorded by the perfkit profiler")
                        .tag("collection", collection)
                        .tag("operation", operation)
                        .tag("status", success ? "success" : "error")
                        .tag("name", meterName)
                        .register(meterRegistry);
                own(timer);
                if (success) {
                    successTimer = timer;
                } else {
                    errorTimer = timer;
                }
            }
            return timer;
        }

        Counter slowCounter() {
            Counter counter = slowCounter;
            if (counter == null) {
                counter = Counter.builder("perfkit.query.slow")
                        .description("Queries at or above the slow-query threshold")
                        .tag("collection", collection)
                        .tag("operation", operation)
                        .tag("name", meterName)
                        .register(meterRegistry);
                own(counter);
                slowCounter = counter;
            }
            return counter;
        }

        OperationStats stats() {
            long n = count.sum();
            long nanos = totalNanos.sum();
            return new OperationStats(
                    collection,
                    operation,
                    n,
                    errors.sum(),
                    slow.sum(),
                    Duration.ofNanos(nanos),
                    n == 0 ? Duration.ZERO : Duration.ofNanos(nanos / n),
                    Duration.ofNanos(maxNanos.get()));
        }
    }

    /** Statistics of one shape within one (collection, operation). */
    private static final class ShapeHolder {
        final QueryShape shape;
        final LongAdder count = new LongAdder();
        final LongAdder totalNanos = new LongAdder();

        ShapeHolder(QueryShape shape) {
            this.shape = shape;
        }
    }
}
