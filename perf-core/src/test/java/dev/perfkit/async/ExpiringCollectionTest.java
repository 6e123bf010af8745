package dev.perfkit.async;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.perfkit.Concurrently;
import dev.perfkit.FakeTicker;
import java.time.Duration;
import java.time.temporal.ChronoUnit;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class ExpiringCollectionTest {
    private final FakeTicker clock = new FakeTicker();

    @Test
    void add_itemsExpireEachAfterItsOwnLifetime() {
        ExpiringCollection<String> effects = ExpiringCollection.create(100, clock);
        effects.add("coin", Duration.ofSeconds(3));
        effects.add("confetti", Duration.ofSeconds(10));

        assertThat(effects.active()).containsExactly("coin", "confetti");
        clock.advance(Duration.ofMillis(2_999));
        assertThat(effects.size()).isEqualTo(2);
        clock.advance(Duration.ofMillis(1));
        assertThat(effects.active()).containsExactly("confetti");
        clock.advance(Duration.ofSeconds(7));
        assertThat(effects.active()).isEmpty();
        assertThat(effects.size()).isZero();
    }

    @Test
    void add_full_dropsExpiredFirst_thenEvictsTheSoonestToExpire() {
        ExpiringCollection<String> effects = ExpiringCollection.create(3, clock);
        effects.add("short", Duration.ofSeconds(1));
        effects.add("long", Duration.ofSeconds(60));
        effects.add("medium", Duration.ofSeconds(30));

        effects.add("new", Duration.ofSeconds(45)); // full: "short" expires soonest
        assertThat(effects.active()).containsExactly("long", "medium", "new");
        assertThat(effects.evictions()).isEqualTo(1);

        clock.advance(Duration.ofSeconds(31)); // "medium" expired: room without evicting
        effects.add("later", Duration.ofSeconds(5));
        assertThat(effects.active()).containsExactly("long", "new", "later");
        assertThat(effects.evictions()).isEqualTo(1);
    }

    @Test
    void badInputAndClose() {
        ExpiringCollection<String> effects = ExpiringCollection.create(2, clock);
        assertThatThrownBy(() -> ExpiringCollection.create(0)).hasMessage("maxItems must be positive: 0");
        assertThatThrownBy(() -> effects.add(null, Duration.ofSeconds(1))).hasMessage("item");
        assertThatThrownBy(() -> effects.add("x", Duration.ZERO)).hasMessage("lifetime must be positive: PT0S");
        assertThatThrownBy(() -> effects.add("x", ChronoUnit.CENTURIES.getDuration()))
                .hasMessageContaining("at most 365 days");

        effects.add("x", Duration.ofSeconds(1));
        effects.close();
        assertThat(effects.active()).isEmpty();
        assertThatThrownBy(() -> effects.add("y", Duration.ofSeconds(1)))
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("closed");
        effects.close(); // idempotent
    }

    /** Eight threads add and read at random: the bound holds at every read, nothing live is lost. */
    @Test
    void concurrentAdds_neverExceedTheBound() throws Exception {
        long seed = System.nanoTime();
        System.out.println("ExpiringCollectionTest.concurrentAdds seed=" + seed);
        ExpiringCollection<Integer> effects = ExpiringCollection.create(50, clock);
        Concurrently.run(8, 60, thread -> {
            SplittableRandom random = new SplittableRandom(seed + thread);
            for (int i = 0; i < 20_000; i++) {
                effects.add(i, Duration.ofMillis(1 + random.nextInt(1_000)));
                if (i % 100 == 0) {
                    assertThat(effects.active()).as("seed %d", seed).hasSizeLessThanOrEqualTo(50);
                }
            }
        });
        assertThat(effects.size()).isEqualTo(50);
        assertThat(effects.evictions()).isEqualTo(8 * 20_000 - 50);
    }
}
