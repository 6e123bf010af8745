package dev.perfkit.memory;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

class MemoryPressureRegistryTest {

    @Test
    void relieve_asksEveryListenerInOrder_andSkipsOneThatThrows() {
        MemoryPressureRegistry registry = MemoryPressureRegistry.create();
        MemoryPressureListener first = level -> "first " + level;
        MemoryPressureListener broken = level -> {
            throw new IllegalStateException("broken listener");
        };
        MemoryPressureListener last = level -> "last " + level;
        registry.register(first);
        registry.register(broken);
        registry.register(last);

        List<String> actions = registry.relieve(MemoryPressureLevel.CRITICAL);

        assertThat(actions).containsExactly("first CRITICAL", "last CRITICAL");
        assertThat(registry.size()).isEqualTo(3);
    }

    @Test
    void register_closeUnregisters() {
        MemoryPressureRegistry registry = MemoryPressureRegistry.create();
        MemoryPressureListener listener = level -> "x";

        MemoryPressureRegistry.Registration registration = registry.register(listener);
        registration.close();
        registration.close();

        assertThat(registry.relieve(MemoryPressureLevel.MODERATE)).isEmpty();
        assertThat(registry.size()).isZero();
    }

    @Test
    void register_holdsListenersWeakly() {
        MemoryPressureRegistry registry = MemoryPressureRegistry.create();
        registry.register(new MemoryPressureListener() {
            @Override
            public String relieveMemoryPressure(MemoryPressureLevel level) {
                return "unreachable";
            }
        });

        await().atMost(Duration.ofSeconds(30)).until(() -> {
            System.gc(); // the test's own collection, to observe weak reachability
            return registry.size() == 0;
        });
        assertThat(registry.relieve(MemoryPressureLevel.MODERATE)).isEmpty();
    }

    @Test
    void badInput_throwsNamingTheParameter() {
        MemoryPressureRegistry registry = MemoryPressureRegistry.create();
        assertThatThrownBy(() -> registry.register(null)).hasMessage("listener");
        assertThatThrownBy(() -> registry.relieve(null)).hasMessage("level");
        assertThat(MemoryPressureRegistry.shared()).isSameAs(MemoryPressureRegistry.shared());
    }
}
