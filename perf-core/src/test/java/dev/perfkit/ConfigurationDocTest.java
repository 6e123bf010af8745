package dev.perfkit;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import org.junit.jupiter.api.Test;

/** Keeps the presets table of docs/configuration.md true to the code. */
class ConfigurationDocTest {

    @Test
    void presetsTable_listsEverySettingWithItsPresets() throws Exception {
        Path doc = Paths.get("..", "docs", "configuration.md");
        String text = Files.readString(doc);

        for (Setting<?> setting : Setting.ALL) {
            String row = "| `" + setting.envName() + "` | `" + setting.propertyName() + "` | "
                    + setting.format(setting.preset(PerformanceMode.LOW)) + " | "
                    + setting.format(setting.preset(PerformanceMode.MEDIUM)) + " | "
                    + setting.format(setting.preset(PerformanceMode.HIGH)) + " | "
                    + setting.description() + " |";
            assertThat(text).as("docs/configuration.md row of %s", setting).contains(row);
        }
    }
}
