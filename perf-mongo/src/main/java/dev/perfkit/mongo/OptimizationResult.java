package dev.perfkit.mongo;

import java.util.List;
import org.bson.Document;

/**
 * What {@link MongoQueryOptimizer#analyze} made of a filter.
 *
 * @param query the rewritten filter, a new document (the input is never changed)
 * @param rewrites one human-readable line per rewrite applied, in order; empty when none applied
 */
public record OptimizationResult(Document query, List<String> rewrites) {
    /** Copies the list of rewrites. */
    public OptimizationResult {
        rewrites = List.copyOf(rewrites);
    }

    /** Returns whether any rewrite applied. */
    public boolean changed() {
        return !rewrites.isEmpty();
    }
}
