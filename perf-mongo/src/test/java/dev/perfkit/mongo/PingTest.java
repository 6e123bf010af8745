package dev.perfkit.mongo;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.ServerSocket;
import java.time.Duration;
import org.junit.jupiter.api.Test;

class PingTest {

    @Test
    void ping_liveServer_isReachable() {
        PingResult result = MongoPerf.ping(MongoTestSupport.connectionString(), Duration.ofSeconds(5));

        assertThat(result.reachable()).as(result.message()).isTrue();
        assertThat(result.message()).startsWith("ok, server version");
    }

    @Test
    void ping_closedPort_failsFastWithAClearMessage() throws Exception {
        int port;
        try (ServerSocket socket = new ServerSocket(0)) {
            port = socket.getLocalPort(); // free again once closed: nothing listens there
        }

        PingResult result = MongoPerf.ping("mongodb://localhost:" + port, Duration.ofSeconds(1));

        assertThat(result.reachable()).isFalse();
        assertThat(result.message()).isEqualTo("no server answered at mongodb://localhost:" + port + " within 1000 ms");
        assertThat(result.latency()).isLessThan(Duration.ofSeconds(10));
    }

    @Test
    void redact_hidesThePassword() {
        assertThat(MongoPerf.redact("mongodb://bot:s3cret@db.example:27017/x"))
                .isEqualTo("mongodb://bot:***@db.example:27017/x");
        assertThatThrownBy(() -> MongoPerf.ping("mongodb://x", Duration.ZERO))
                .hasMessage("timeout must be positive: PT0S");
    }
}
