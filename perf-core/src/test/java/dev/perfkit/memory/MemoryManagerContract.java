package dev.perfkit.memory;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import java.lang.ref.WeakReference;
import java.time.Duration;
import java.time.Instant;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The contract of {@link MemoryManager} (DESIGN.md §3), run by every implementation.
 */
public abstract class MemoryManagerContract {
    /** The manager under test, created before each test and closed after it. */
    protected MemoryManager manager;

    /** The registry the manager under test asks for relief; given to {@link #createManager}. */
    protected final MemoryPressureRegistry registry = MemoryPressureRegistry.create();

    /**
     * Creates a manager that asks {@code registry}'s listeners for relief.
     *
     * @param registry the pressure listeners
     * @return a new manager
     */
    protected abstract MemoryManager createManager(MemoryPressureRegistry registry);

    @BeforeEach
    void createManagerUnderTest() {
        manager = createManager(registry);
    }

    @AfterEach
    void closeManagerUnderTest() {
        manager.close();
    }

    @Test
    void getMemoryUsage_isPositiveAndBelowSystemMemory() {
        double rssMb = manager.getMemoryUsage();
        MemorySnapshot snapshot = manager.snapshot();

        assertThat(rssMb).isPositive();
        assertThat(rssMb * MemorySnapshot.BYTES_PER_MB).isLessThan(snapshot.systemTotalBytes());
    }

    @Test
    void snapshot_figuresAreConsistent() {
        Instant before = Instant.now();
        MemorySnapshot snapshot = manager.snapshot();

        assertThat(snapshot.rssBytes()).isPositive();
        assertThat(snapshot.heapUsedBytes()).isPositive().isLessThanOrEqualTo(snapshot.heapCommittedBytes());
        assertThat(snapshot.heapMaxBytes() == -1 || snapshot.heapMaxBytes() >= snapshot.heapCommittedBytes())
                .isTrue();
        assertThat(snapshot.nonHeapUsedBytes()).isPositive();
        assertThat(snapshot.systemAvailableBytes()).isPositive().isLessThanOrEqualTo(snapshot.systemTotalBytes());
        assertThat(snapshot.time()).isAfterOrEqualTo(before.minusSeconds(5));
    }

    @Test
    void trackObject_badInput_throwsNamingTheParameter() {
        assertThatThrownBy(() -> manager.trackObject(null, "x"))
                .isInstanceOf(NullPointerException.class)
                .hasMessageContaining("object");
        assertThatThrownBy(() -> manager.trackObject(new Object(), null))
                .isInstanceOf(NullPointerException.class)
                .hasMessageContaining("name");
        assertThatThrownBy(() -> manager.trackObject(new Object(), "x", Duration.ofSeconds(-1)))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("PT-1S");
    }

    @Test
    void trackObject_neverKeepsTheObjectAlive() {
        Object tracked = new byte[1024];
        WeakReference<Object> probe = new WeakReference<>(tracked);
        manager.trackObject(tracked, "contract-transient");
        tracked = null;

        await().atMost(Duration.ofSeconds(30)).until(() -> {
            System.gc(); // the test's own collection, to observe reachability
            return probe.get() == null;
        });
    }

    @Test
    void checkTrackedObjects_aliveObjectPastItsLifetime_isASuspect() {
        Object session = new Object();
        manager.trackObject(session, "contract-session", Duration.ofMillis(1));

        await().untilAsserted(() -> assertThat(manager.checkTrackedObjects().suspects())
                .anySatisfy(suspect -> {
                    assertThat(suspect.name()).isEqualTo("contract-session");
                    assertThat(suspect.aliveCount()).isEqualTo(1);
                    assertThat(suspect.oldestAge()).isPositive();
                }));
        assertThat(session).isNotNull(); // keeps it strongly reachable until here
    }

    @Test
    void checkTrackedObjects_withinLifetime_isNoSuspect() {
        Object fresh = new Object();
        manager.trackObject(fresh, "contract-fresh", Duration.ofHours(1));

        LeakReport report = manager.checkTrackedObjects();

        assertThat(report.suspects()).noneMatch(suspect -> suspect.name().equals("contract-fresh"));
        assertThat(report.trackedCount()).isGreaterThanOrEqualTo(1);
        assertThat(fresh).isNotNull();
    }

    @Test
    void checkTrackedObjects_collectedObject_isNoSuspect() {
        manager.trackObject(new Object(), "contract-gone", Duration.ofMillis(1));

        await().atMost(Duration.ofSeconds(30)).until(() -> {
            System.gc();
            return manager.checkTrackedObjects().suspects().stream()
                    .noneMatch(suspect -> suspect.name().equals("contract-gone"));
        });
    }

    @Test
    void optimizeMemoryUsage_underThreshold_doesNothing() {
        MemoryPressureListener listener = level -> "should not be called";
        registry.register(listener);

        MemoryOptimizationResult result = manager.optimizeMemoryUsage(Long.MAX_VALUE / (1024 * 1024));

        assertThat(result.acted()).isFalse();
        assertThat(result.actions()).isEmpty();
    }

    @Test
    void optimizeMemoryUsage_aboveThreshold_asksListenersFirst() {
        MemoryPressureListener listener = level -> "contract cache dropped entries at " + level;
        registry.register(listener);

        MemoryOptimizationResult result = manager.optimizeMemoryUsage(0);

        assertThat(result.acted()).isTrue();
        assertThat(result.actions().get(0)).contains("contract cache dropped entries");
        assertThat(listener).isNotNull();
    }

    @Test
    void optimizeMemoryUsage_negativeThreshold_throws() {
        assertThatThrownBy(() -> manager.optimizeMemoryUsage(-1))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("-1");
    }

    @Test
    void memoryIntensive_returnsResultAndRethrows() {
        assertThat(manager.memoryIntensive("contract-work", () -> 42)).isEqualTo(42);
        IllegalStateException failure = new IllegalStateException("work failed");
        assertThatThrownBy(() -> manager.memoryIntensive("contract-work", () -> {
                    throw failure;
                }))
                .isSameAs(failure);
        assertThatThrownBy(() -> manager.memoryIntensive(null, () -> 1)).isInstanceOf(NullPointerException.class);
        assertThatThrownBy(() -> manager.memoryIntensive("x", null)).isInstanceOf(NullPointerException.class);
    }

    @Test
    void profile_reportsAllocationsAfterClose() {
        MemoryScope scope = manager.profile("contract-scope");
        assertThatThrownBy(scope::report).isInstanceOf(IllegalStateException.class);
        byte[][] chunks = new byte[10][];
        for (int i = 0; i < chunks.length; i++) {
            chunks[i] = new byte[1024 * 1024];
        }
        scope.close();

        MemoryScopeReport report = scope.report();
        assertThat(report.name()).isEqualTo("contract-scope");
        assertThat(report.duration().isNegative()).isFalse();
        assertThat(report.allocatedBytes() == -1 || report.allocatedBytes() >= 10L * 1024 * 1024)
                .as("allocated %d bytes", report.allocatedBytes())
                .isTrue();
        assertThat(chunks[9]).hasSize(1024 * 1024);
    }

    @Test
    void forceCollection_reportsBeforeAndAfter() {
        CollectionResult result = manager.forceCollection();

        assertThat(result.duration().isNegative()).isFalse();
        assertThat(result.heapBeforeBytes()).isPositive();
        assertThat(result.freedBytes()).isEqualTo(result.heapBeforeBytes() - result.heapAfterBytes());
        assertThat(manager.getMemoryReport().lastCollection()).isPresent();
    }

    @Test
    void getMemoryReport_holdsEverything() {
        MemoryReport report = manager.getMemoryReport();

        assertThat(report.current().rssBytes()).isPositive();
        assertThat(report.trend()).isNotNull();
        assertThat(report.leaks()).isNotNull();
    }

    @Test
    void close_isIdempotent() {
        manager.close();
        manager.close();
    }
}
