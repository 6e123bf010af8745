package dev.perfkit.mongo;

import static com.mongodb.client.model.Accumulators.sum;
import static com.mongodb.client.model.Aggregates.group;
import static com.mongodb.client.model.Aggregates.lookup;
import static com.mongodb.client.model.Aggregates.match;
import static com.mongodb.client.model.Aggregates.out;
import static com.mongodb.client.model.Aggregates.sort;
import static com.mongodb.client.model.Filters.eq;
import static com.mongodb.client.model.Sorts.ascending;
import static com.mongodb.client.model.Updates.inc;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.mongodb.client.MongoClient;
import com.mongodb.client.MongoCollection;
import dev.perfkit.cache.caffeine.CaffeineQueryCache;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.bson.Document;
import org.bson.conversions.Bson;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Opt-in cached aggregations: cached, invalidated by any change, read-only, refused when unsafe. */
class CachedAggregateTest {
    private final AtomicInteger aggregates = new AtomicInteger();
    private final CaffeineQueryCache cache = MongoTestSupport.cache("aggregate-test");
    private MongoClient client;
    private MongoCollection<Document> raw;
    private CachedCollection<Document> cached;
    private final List<Bson> totals =
            List.of(match(eq("active", true)), group("$guild", sum("coins", "$balance")), sort(ascending("_id")));

    @BeforeEach
    void connect() {
        client = MongoTestSupport.countingClient(aggregates, "aggregate");
        raw = MongoTestSupport.freshDatabase(client).getCollection("members");
        for (int i = 0; i < 6; i++) {
            raw.insertOne(new Document("_id", i)
                    .append("guild", i % 2)
                    .append("balance", 10 * i)
                    .append("active", true));
        }
        cached = MongoPerf.cached(raw, Duration.ofMinutes(5), cache);
        aggregates.set(0);
    }

    @AfterEach
    void disconnect() {
        client.close();
        cache.close();
    }

    private List<Document> direct() {
        return raw.aggregate(totals).into(new ArrayList<>());
    }

    @Test
    void aRepeatedAggregationIsServedFromTheCache() {
        List<Document> first = cached.aggregate(totals);
        List<Document> second = cached.aggregate(totals);

        assertThat(first).isEqualTo(direct());
        assertThat(second).isEqualTo(first);
        assertThat(aggregates).hasValue(2); // one cached load, one direct()
    }

    @Test
    void anyChangeThroughTheWrapperInvalidatesIt_evenOfAFieldThePipelineIgnores() {
        assertThat(cached.aggregate(totals)).isEqualTo(direct());

        cached.updateOne(eq("_id", 1), inc("balance", 5));
        assertThat(cached.aggregate(totals)).isEqualTo(direct());

        cached.insertOne(
                new Document("_id", 9).append("guild", 1).append("balance", 1).append("active", true));
        assertThat(cached.aggregate(totals)).isEqualTo(direct());

        cached.deleteOne(eq("_id", 0));
        assertThat(cached.aggregate(totals)).isEqualTo(direct());
    }

    @Test
    void aWriteThatChangedNothingKeepsIt() {
        assertThat(cached.aggregate(totals)).hasSize(2);
        cached.updateOne(eq("_id", 999), inc("balance", 5)); // matches nothing
        int before = aggregates.get();

        assertThat(cached.aggregate(totals)).hasSize(2);
        assertThat(aggregates).hasValue(before);
    }

    @Test
    void resultsAreReadOnly() {
        List<Document> result = cached.aggregate(totals);

        assertThatThrownBy(() -> result.get(0).put("coins", 0)).isInstanceOf(UnsupportedOperationException.class);
        assertThatThrownBy(() -> result.remove(0)).isInstanceOf(UnsupportedOperationException.class);
        assertThat(cached.aggregate(totals)).isEqualTo(direct());
    }

    @Test
    void unsafeStagesAreRefusedNamingTheStage() {
        assertThatThrownBy(() -> cached.aggregate(List.of(match(eq("active", true)), out("copy"))))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("pipeline stage 1 ($out)");
        assertThatThrownBy(() -> cached.aggregate(List.of(lookup("guilds", "guild", "_id", "g"))))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("$lookup");
        assertThat(aggregates).hasValue(0);
    }
}
