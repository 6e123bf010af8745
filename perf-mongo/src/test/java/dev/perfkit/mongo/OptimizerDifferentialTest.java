package dev.perfkit.mongo;

import static org.assertj.core.api.Assertions.assertThat;

import com.mongodb.client.MongoClient;
import com.mongodb.client.MongoCollection;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.regex.Pattern;
import org.bson.Document;
import org.junit.jupiter.api.Test;

/**
 * The optimizer may never change what a filter matches: thousands of seeded random filters over
 * random documents, original and optimized, must return the same _id sets from the server. The
 * documents avoid nested arrays, on which the embedded server's $in differs from MongoDB's
 * (DESIGN.md §4), and the optimizer leaves array-valued equalities alone anyway.
 */
class OptimizerDifferentialTest {
    private static final String[] FIELDS = {"a", "b", "c"};

    @Test
    void randomFilters_optimizedMatchTheSameDocuments() {
        long seed = MongoTestSupport.seed("OptimizerDifferentialTest");
        SplittableRandom random = new SplittableRandom(seed);
        try (MongoClient client = MongoTestSupport.client()) {
            MongoCollection<Document> collection =
                    MongoTestSupport.freshDatabase(client).getCollection("docs");
            List<Document> documents = new ArrayList<>();
            for (int i = 0; i < 300; i++) {
                Document document = new Document("_id", i);
                for (String field : FIELDS) {
                    int kind = random.nextInt(10);
                    if (kind == 0) {
                        continue; // missing
                    }
                    document.append(
                            field,
                            kind == 1 ? null : kind == 2 ? List.of(value(random), value(random)) : value(random));
                }
                documents.add(document);
            }
            collection.insertMany(documents);

            int rewritten = 0;
            for (int i = 0; i < 2_000; i++) {
                Document filter = filter(random, 0);
                OptimizationResult result = MongoQueryOptimizer.analyze(filter);
                if (result.changed()) {
                    rewritten++;
                }
                assertThat(ids(collection, result.query()))
                        .as(
                                "seed %d, filter %s, optimized %s",
                                seed, filter.toJson(), result.query().toJson())
                        .isEqualTo(ids(collection, filter));
            }
            assertThat(rewritten).as("the generator exercises the rewrites").isGreaterThan(200);
        }
    }

    private static Set<Object> ids(MongoCollection<Document> collection, Document filter) {
        Set<Object> ids = new HashSet<>();
        collection.find(filter).projection(new Document("_id", 1)).forEach(d -> ids.add(d.get("_id")));
        return ids;
    }

    private static Object value(SplittableRandom random) {
        return switch (random.nextInt(4)) {
            case 0 -> random.nextInt(5);
            case 1 -> (long) random.nextInt(5);
            case 2 -> "s" + random.nextInt(4);
            default -> random.nextBoolean();
        };
    }

    private static Document filter(SplittableRandom random, int depth) {
        int kind = random.nextInt(depth > 2 ? 3 : 7);
        String field = FIELDS[random.nextInt(FIELDS.length)];
        return switch (kind) {
            case 0 -> new Document(field, value(random));
            case 1 -> new Document(field, new Document("$eq", value(random)));
            case 2 -> new Document(field, new Document("$in", List.of(value(random), value(random), value(random))));
            case 3, 4 -> new Document("$or", clauses(random, depth, true));
            case 5 -> new Document("$and", clauses(random, depth, false));
            default -> {
                Document mixed = new Document(
                        field,
                        random.nextBoolean()
                                ? new Document("$gt", random.nextInt(5))
                                : Pattern.compile("^s" + random.nextInt(4)));
                mixed.append("$or", clauses(random, depth, true));
                yield mixed;
            }
        };
    }

    private static List<Document> clauses(SplittableRandom random, int depth, boolean equalityHeavy) {
        List<Document> clauses = new ArrayList<>();
        int count = 1 + random.nextInt(4);
        String field = FIELDS[random.nextInt(FIELDS.length)];
        for (int i = 0; i < count; i++) {
            if (equalityHeavy && random.nextInt(3) > 0) {
                clauses.add(
                        new Document(field, random.nextBoolean() ? value(random) : new Document("$eq", value(random))));
            } else {
                clauses.add(filter(random, depth + 1));
            }
        }
        return clauses;
    }
}
