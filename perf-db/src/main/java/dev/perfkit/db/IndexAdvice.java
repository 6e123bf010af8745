package dev.perfkit.db;

import dev.perfkit.profile.IndexRecommendation;
import dev.perfkit.profile.QueryShape;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/*
 * Turns observed query shapes into index recommendations.
 *
 * 1. Each shape proposes QueryShape.indexKeys(): equality fields, then sort fields with their
 *    directions, then range fields (MongoDB's Equality-Sort-Range rule), cut at MAX_KEYS.
 * 2. Shapes with an equality on _id are left out: the _id index already finds at most one
 *    document. So are shapes whose only key is _id.
 * 3. Proposals with the same collection and keys are summed (queries, time, field roles).
 * 4. A proposal whose keys are a prefix of another's (same order, same directions) is merged into
 *    the longer one, which serves both; when several could absorb it, the one with most time does.
 * 5. The rest are ranked by total time, most first, each with a one-line reason.
 */
final class IndexAdvice {
    static final int MAX_KEYS = 5;

    record Observation(String collection, QueryShape shape, long count, long totalNanos) {}

    private static final class Candidate {
        final String collection;
        final LinkedHashMap<String, Integer> keys;
        long count;
        long nanos;
        final Set<String> equality = new LinkedHashSet<>();
        final Map<String, Integer> sort = new LinkedHashMap<>();
        final Set<String> range = new LinkedHashSet<>();

        Candidate(String collection, LinkedHashMap<String, Integer> keys) {
            this.collection = collection;
            this.keys = keys;
        }

        void absorb(QueryShape shape, long queries, long time) {
            count += queries;
            nanos += time;
            equality.addAll(shape.equalityFields());
            shape.sortFields().forEach(sort::putIfAbsent);
            range.addAll(shape.rangeFields());
        }

        void absorb(Candidate other) {
            count += other.count;
            nanos += other.nanos;
            equality.addAll(other.equality);
            other.sort.forEach(sort::putIfAbsent);
            range.addAll(other.range);
        }

        boolean hasPrefix(Candidate shorter) {
            if (!collection.equals(shorter.collection) || shorter.keys.size() >= keys.size()) {
                return false;
            }
            Iterator<Map.Entry<String, Integer>> mine = keys.entrySet().iterator();
            for (Map.Entry<String, Integer> key : shorter.keys.entrySet()) {
                if (!mine.next().equals(key)) {
                    return false;
                }
            }
            return true;
        }
    }

    private IndexAdvice() {}

    static List<IndexRecommendation> recommend(List<Observation> observations) {
        Map<List<Object>, Candidate> byKeys = new LinkedHashMap<>();
        for (Observation observation : observations) {
            QueryShape shape = observation.shape();
            if (observation.count() == 0 || shape.equalityFields().contains("_id")) {
                continue;
            }
            LinkedHashMap<String, Integer> keys = truncate(shape.indexKeys());
            if (keys.isEmpty() || (keys.size() == 1 && keys.containsKey("_id"))) {
                continue;
            }
            byKeys.computeIfAbsent(
                            List.of(observation.collection(), keys), k -> new Candidate(observation.collection(), keys))
                    .absorb(shape, observation.count(), observation.totalNanos());
        }

        List<Candidate> candidates = new ArrayList<>(byKeys.values());
        candidates.sort(Comparator.comparingInt((Candidate c) -> c.keys.size()));
        List<Candidate> kept = new ArrayList<>();
        for (int i = 0; i < candidates.size(); i++) {
            Candidate shorter = candidates.get(i);
            Candidate absorber = null;
            for (int j = i + 1; j < candidates.size(); j++) {
                Candidate longer = candidates.get(j);
                if (longer.hasPrefix(shorter) && (absorber == null || longer.nanos > absorber.nanos)) {
                    absorber = longer;
                }
            }
            if (absorber != null) {
                absorber.absorb(shorter);
            } else {
                kept.add(shorter);
            }
        }
        kept.sort(Comparator.comparingLong((Candidate c) -> c.nanos)
                .reversed()
                .thenComparing(c -> c.collection)
                .thenComparing(c -> c.keys.toString()));

        List<IndexRecommendation> recommendations = new ArrayList<>(kept.size());
        for (Candidate candidate : kept) {
            recommendations.add(new IndexRecommendation(
                    candidate.collection,
                    candidate.keys,
                    reason(candidate),
                    candidate.count,
                    Duration.ofNanos(candidate.nanos)));
        }
        return recommendations;
    }

    private static LinkedHashMap<String, Integer> truncate(LinkedHashMap<String, Integer> keys) {
        if (keys.size() <= MAX_KEYS) {
            return keys;
        }
        LinkedHashMap<String, Integer> cut = new LinkedHashMap<>();
        for (Map.Entry<String, Integer> key : keys.entrySet()) {
            if (cut.size() == MAX_KEYS) {
                break;
            }
            cut.put(key.getKey(), key.getValue());
        }
        return cut;
    }

    private static String reason(Candidate candidate) {
        StringBuilder reason = new StringBuilder()
                .append(candidate.count)
                .append(candidate.count == 1 ? " query, " : " queries, ")
                .append(human(Duration.ofNanos(candidate.nanos)))
                .append(" total");
        List<String> equality = inKeys(candidate.equality, candidate);
        if (!equality.isEmpty()) {
            reason.append(", equality on ").append(String.join(", ", equality));
        }
        List<String> sort = new ArrayList<>();
        candidate.sort.forEach((field, direction) -> {
            if (candidate.keys.containsKey(field) && !candidate.equality.contains(field)) {
                sort.add(field + (direction < 0 ? " desc" : " asc"));
            }
        });
        if (!sort.isEmpty()) {
            reason.append(", sort on ").append(String.join(", ", sort));
        }
        List<String> range = new ArrayList<>();
        for (String field : inKeys(candidate.range, candidate)) {
            if (!candidate.equality.contains(field) && !candidate.sort.containsKey(field)) {
                range.add(field);
            }
        }
        if (!range.isEmpty()) {
            reason.append(", range on ").append(String.join(", ", range));
        }
        return reason.toString();
    }

    private static List<String> inKeys(Set<String> fields, Candidate candidate) {
        List<String> present = new ArrayList<>();
        for (String field : fields) {
            if (candidate.keys.containsKey(field)) {
                present.add(field);
            }
        }
        return present;
    }

    /** A duration for people: "850 ms", "7.5 s", "3.2 min". */
    static String human(Duration duration) {
        long millis = duration.toMillis();
        if (millis < 1) {
            return String.format(Locale.ROOT, "%.2f ms", duration.toNanos() / 1e6);
        }
        if (millis < 1_000) {
            return millis + " ms";
        }
        if (millis < 120_000) {
            return String.format(Locale.ROOT, "%.1f s", millis / 1e3);
        }
        return String.format(Locale.ROOT, "%.1f min", millis / 60e3);
    }
}
