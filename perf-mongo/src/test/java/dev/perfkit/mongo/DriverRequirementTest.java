package dev.perfkit.mongo;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.perfkit.PerfException;
import org.junit.jupiter.api.Test;

class DriverRequirementTest {

    @Test
    void theDriverOnTheClassPath_isFoundAndAccepted() {
        assertThat(DriverRequirement.foundVersion()).startsWith("5.");
        assertThatCode(DriverRequirement::check).doesNotThrowAnyException();
    }

    @Test
    void anOlderDriver_getsOnePerfExceptionNamingBothVersions() {
        assertThatThrownBy(() -> DriverRequirement.check("4.11.1"))
                .isInstanceOf(PerfException.class)
                .hasMessageContaining("driver 4.11.1 is on the class path")
                .hasMessageContaining("5.x");
        assertThatCode(() -> DriverRequirement.check("5.0.0")).doesNotThrowAnyException();
        assertThatCode(() -> DriverRequirement.check("6.1.0-beta")).doesNotThrowAnyException();
        assertThatCode(() -> DriverRequirement.check(null)).doesNotThrowAnyException();
        assertThatCode(() -> DriverRequirement.check("unknown")).doesNotThrowAnyException();
    }
}
