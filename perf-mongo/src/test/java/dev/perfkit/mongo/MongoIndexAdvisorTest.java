package dev.perfkit.mongo;

import static com.mongodb.client.model.Filters.and;
import static com.mongodb.client.model.Filters.eq;
import static com.mongodb.client.model.Filters.gt;
import static org.assertj.core.api.Assertions.assertThat;

import com.mongodb.client.MongoClient;
import com.mongodb.client.MongoDatabase;
import com.mongodb.client.model.Indexes;
import dev.perfkit.PerfConfig;
import dev.perfkit.db.MicrometerQueryProfiler;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.bson.Document;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class MongoIndexAdvisorTest {
    private final MicrometerQueryProfiler profiler = MicrometerQueryProfiler.create(
            PerfConfig.builder().meterRegistry(new SimpleMeterRegistry()).build());
    private MongoClient client;
    private MongoDatabase db;

    @BeforeEach
    void connect() {
        client = MongoTestSupport.client(
                settings -> MongoPerf.instrument(settings, () -> profiler, new SimpleMeterRegistry()));
        db = MongoTestSupport.freshDatabase(client);
        for (int i = 0; i < 50; i++) {
            db.getCollection("accounts").insertOne(new Document("guild_id", i % 5).append("balance", i));
            db.getCollection("users").insertOne(new Document("name", "u" + i));
        }
        for (int i = 0; i < 20; i++) {
            db.getCollection("accounts")
                    .find(and(eq("guild_id", i % 5), gt("balance", i)))
                    .into(new ArrayList<>());
            db.getCollection("users").find(eq("name", "u" + i)).first();
        }
    }

    @AfterEach
    void disconnect() {
        client.close();
    }

    @Test
    void recommend_observedShapesMinusExistingIndexes() {
        db.getCollection("users").createIndex(Indexes.ascending("name", "created"));

        List<MongoIndexAdvisor.Advice> advice = MongoIndexAdvisor.recommend(db, profiler);

        assertThat(advice).singleElement().satisfies(a -> {
            assertThat(a.recommendation().collection()).isEqualTo("accounts");
            assertThat(a.recommendation().keys()).containsExactly(Map.entry("guild_id", 1), Map.entry("balance", 1));
            assertThat(a.createIndexCommand()).isEqualTo("db.accounts.createIndex({\"guild_id\": 1, \"balance\": 1})");
            assertThat(a.recommendation().reason()).contains("20 queries").contains("equality on guild_id");
        });
    }

    @Test
    void apply_dryRunCreatesNothing_realRunCreatesAndSaysWhetherExplainCouldVerify() {
        List<MongoIndexAdvisor.Applied> dry = MongoIndexAdvisor.apply(db, profiler, true);
        assertThat(dry).hasSize(2).allMatch(applied -> !applied.created());
        assertThat(db.getCollection("accounts").listIndexes().into(new ArrayList<>()))
                .hasSize(1);

        List<MongoIndexAdvisor.Applied> applied = MongoIndexAdvisor.apply(db, profiler, false);

        assertThat(applied).hasSize(2).allMatch(MongoIndexAdvisor.Applied::created);
        if (MongoTestSupport.embedded()) {
            assertThat(applied).allMatch(a -> a.verification().contains("does not support explain"));
        } else {
            assertThat(applied).allMatch(a -> a.verification().contains("plan before"));
        }
        assertThat(MongoIndexAdvisor.recommend(db, profiler)).isEmpty();
    }

    @Test
    void isPrefix_matchesKeysInOrderAndDirection() {
        java.util.LinkedHashMap<String, Integer> keys = new java.util.LinkedHashMap<>();
        keys.put("a", 1);
        keys.put("b", -1);
        assertThat(MongoIndexAdvisor.isPrefix(keys, Document.parse("{a: 1, b: -1, c: 1}")))
                .isTrue();
        assertThat(MongoIndexAdvisor.isPrefix(keys, Document.parse("{a: 1, b: 1}")))
                .isFalse();
        assertThat(MongoIndexAdvisor.isPrefix(keys, Document.parse("{b: -1, a: 1}")))
                .isFalse();
        assertThat(MongoIndexAdvisor.isPrefix(keys, Document.parse("{a: 1}"))).isFalse();
    }
}
