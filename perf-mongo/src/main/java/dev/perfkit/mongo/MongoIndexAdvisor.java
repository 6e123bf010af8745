package dev.perfkit.mongo;

import static java.util.Objects.requireNonNull;

import com.mongodb.MongoCommandException;
import com.mongodb.client.MongoDatabase;
import dev.perfkit.Perf;
import dev.perfkit.profile.IndexRecommendation;
import dev.perfkit.profile.QueryProfiler;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.bson.BsonMaxKey;
import org.bson.BsonMinKey;
import org.bson.Document;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Index advice for a MongoDB database: the profiler's recommendations minus what existing indexes
 * already serve, each with the command that creates it.
 *
 * <pre>{@code
 * for (MongoIndexAdvisor.Advice advice : MongoIndexAdvisor.recommend(db)) {
 *     log.info("{}  -- {}", advice.createIndexCommand(), advice.recommendation().reason());
 * }
 * MongoIndexAdvisor.apply(db, true);    // dry run: what would be created
 * }</pre>
 *
 * <p>An existing index serves a recommendation when the recommendation's keys are a prefix of the
 * index's keys, in order and direction. The profiler records collections by name only, so {@code
 * recommend(db)} considers the recommendations for collections that exist in {@code db}.
 */
public final class MongoIndexAdvisor {
    private static final Logger log = LoggerFactory.getLogger(MongoIndexAdvisor.class);

    private MongoIndexAdvisor() {}

    /**
     * One recommended index that no existing index serves.
     *
     * @param recommendation the profiler's recommendation
     * @param createIndexCommand the mongosh command that creates it
     */
    public record Advice(IndexRecommendation recommendation, String createIndexCommand) {}

    /**
     * What {@link #apply} did for one index.
     *
     * @param advice the index
     * @param created whether it was created (false in a dry run)
     * @param verification what explain showed, or why it could not be checked
     */
    public record Applied(Advice advice, boolean created, String verification) {}

    /**
     * Recommends indexes from {@code Perf.getQueryProfiler()}.
     *
     * @param db the database
     * @return indexes to create, most time spent first
     */
    public static List<Advice> recommend(MongoDatabase db) {
        return recommend(db, Perf.getQueryProfiler());
    }

    /**
     * Recommends indexes from a profiler.
     *
     * @param db the database
     * @param profiler the profiler whose observations count
     * @return indexes to create, most time spent first
     * @throws NullPointerException if an argument is null
     */
    public static List<Advice> recommend(MongoDatabase db, QueryProfiler profiler) {
        requireNonNull(db, "db");
        requireNonNull(profiler, "profiler");
        Set<String> collections = db.listCollectionNames().into(new HashSet<>());
        List<Advice> advice = new ArrayList<>();
        for (IndexRecommendation recommendation : profiler.recommendIndexes()) {
            if (!collections.contains(recommendation.collection())) {
                continue;
            }
            List<Document> existing =
                    db.getCollection(recommendation.collection()).listIndexes().into(new ArrayList<>());
            boolean served = existing.stream()
                    .anyMatch(index -> isPrefix(recommendation.keys(), index.get("key", Document.class)));
            if (!served) {
                advice.add(new Advice(recommendation, command(recommendation)));
            }
        }
        return advice;
    }

    /**
     * Creates the recommended indexes, or with {@code dryRun} only lists them. Where the server
     * supports {@code explain}, each index is checked: a probe query on its first key should scan
     * the collection before and use the index after. Where it does not (the embedded test server),
     * the result says so.
     *
     * @param db the database
     * @param dryRun list only, create nothing
     * @return one entry per recommended index
     */
    public static List<Applied> apply(MongoDatabase db, boolean dryRun) {
        return apply(db, Perf.getQueryProfiler(), dryRun);
    }

    /**
     * Creates (or lists) the indexes recommended by a profiler.
     *
     * @param db the database
     * @param profiler the profiler whose observations count
     * @param dryRun list only, create nothing
     * @return one entry per recommended index
     */
    public static List<Applied> apply(MongoDatabase db, QueryProfiler profiler, boolean dryRun) {
        List<Applied> results = new ArrayList<>();
        for (Advice advice : recommend(db, profiler)) {
            IndexRecommendation recommendation = advice.recommendation();
            if (dryRun) {
                results.add(new Applied(advice, false, "dry run: not created"));
                continue;
            }
            String before = plan(db, recommendation);
            db.getCollection(recommendation.collection()).createIndex(new Document(recommendation.keysView()));
            String after = plan(db, recommendation);
            String verification = before == null || after == null
                    ? "not verified: this server does not support explain"
                    : "plan before: " + before + ", after: " + after;
            results.add(new Applied(advice, true, verification));
        }
        return results;
    }

    /** The winning plan's stage for a probe on the first key, or null when explain is unsupported. */
    private static String plan(MongoDatabase db, IndexRecommendation recommendation) {
        String firstKey = recommendation.keysView().keySet().iterator().next();
        Document probe =
                new Document(firstKey, new Document("$gte", new BsonMinKey()).append("$lte", new BsonMaxKey()));
        try {
            Document explained = db.runCommand(
                    new Document("explain", new Document("find", recommendation.collection()).append("filter", probe)));
            Document planner = explained.get("queryPlanner", Document.class);
            Document winning = planner == null ? null : planner.get("winningPlan", Document.class);
            return winning == null ? null : stages(winning);
        } catch (MongoCommandException e) {
            log.debug("explain is not available on this server: {}", e.getErrorMessage());
            return null;
        }
    }

    private static String stages(Document plan) {
        StringBuilder stages = new StringBuilder(String.valueOf(plan.get("stage")));
        Document input = plan.get("inputStage", Document.class);
        while (input != null) {
            stages.append(" <- ").append(input.get("stage"));
            input = input.get("inputStage", Document.class);
        }
        return stages.toString();
    }

    static boolean isPrefix(Map<String, Integer> keys, Document indexKeys) {
        if (indexKeys == null || indexKeys.size() < keys.size()) {
            return false;
        }
        Iterator<Map.Entry<String, Object>> index = indexKeys.entrySet().iterator();
        for (Map.Entry<String, Integer> key : keys.entrySet()) {
            Map.Entry<String, Object> existing = index.next();
            if (!existing.getKey().equals(key.getKey())
                    || !(existing.getValue() instanceof Number direction)
                    || Integer.signum(direction.intValue()) != key.getValue()) {
                return false;
            }
        }
        return true;
    }

    private static String command(IndexRecommendation recommendation) {
        return "db." + recommendation.collection() + ".createIndex(" + new Document(recommendation.keysView()).toJson()
                + ")";
    }
}
