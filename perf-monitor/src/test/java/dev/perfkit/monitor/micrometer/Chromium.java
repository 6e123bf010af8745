package dev.perfkit.monitor.micrometer;

import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;

/**
 * Drives Debian's headless Chromium: loads a page, lets its scripts run (virtual time), and returns
 * the DOM they produced, or a screenshot. Where Chromium is missing the calling test is skipped,
 * unless PERFKIT_REQUIRE_TOOLS=true (CI sets it, after installing chromium), which fails it.
 */
final class Chromium {
    private static final List<String> CANDIDATES =
            List.of("/usr/bin/chromium", "/usr/bin/chromium-browser", "/usr/bin/google-chrome");

    private final Path binary;
    private final Path profile;

    private Chromium(Path binary, Path profile) {
        this.binary = binary;
        this.profile = profile;
    }

    static Chromium find(Path workDirectory) {
        Optional<Path> found =
                CANDIDATES.stream().map(Path::of).filter(Files::isExecutable).findFirst();
        if (found.isEmpty()) {
            String message = "headless Chromium not found at " + CANDIDATES + " (apt-get install chromium)";
            if (Boolean.parseBoolean(System.getenv("PERFKIT_REQUIRE_TOOLS"))) {
                fail(message + "; PERFKIT_REQUIRE_TOOLS=true requires it");
            }
            Assumptions.abort(message);
        }
        return new Chromium(found.get(), workDirectory.resolve("chromium-profile"));
    }

    /** Loads the page, runs its scripts for {@code virtualMillis} of virtual time, returns the DOM. */
    String dumpDom(URI page, int virtualMillis) throws IOException, InterruptedException {
        return run(List.of("--virtual-time-budget=" + virtualMillis, "--dump-dom", page.toString()));
    }

    /** Loads the page and writes a PNG screenshot of it. */
    void screenshot(URI page, Path png, int virtualMillis) throws IOException, InterruptedException {
        String unused = run(List.of(
                "--virtual-time-budget=" + virtualMillis,
                "--window-size=1280,900",
                "--hide-scrollbars",
                "--screenshot=" + png.toAbsolutePath(),
                page.toString()));
    }

    private String run(List<String> arguments) throws IOException, InterruptedException {
        List<String> command = new ArrayList<>(List.of(
                binary.toString(),
                "--headless",
                "--no-sandbox", // tests may run as root, where Chromium's sandbox refuses to start
                "--disable-gpu",
                "--disable-quic",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--user-data-dir=" + profile.toAbsolutePath()));
        command.addAll(arguments);
        Path stderr = Files.createTempFile("chromium", ".log");
        Process process =
                new ProcessBuilder(command).redirectError(stderr.toFile()).start();
        byte[] out = process.getInputStream().readAllBytes();
        if (!process.waitFor(60, TimeUnit.SECONDS)) {
            process.destroyForcibly();
            fail("chromium did not finish within 60 s");
        }
        if (process.exitValue() != 0) {
            fail("chromium exited with " + process.exitValue() + ": " + Files.readString(stderr));
        }
        Files.deleteIfExists(stderr);
        return new String(out, StandardCharsets.UTF_8);
    }
}
