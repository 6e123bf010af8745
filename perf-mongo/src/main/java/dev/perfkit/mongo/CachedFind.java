package dev.perfkit.mongo;

import static java.util.Objects.requireNonNull;

import java.util.Collection;
import java.util.Iterator;
import java.util.List;
import org.bson.conversions.Bson;

/**
 * A find through a {@link CachedCollection}, shaped like the driver's {@code FindIterable}:
 * projection, sort, skip and limit, then {@link #first()}, {@link #toList()}, {@link #into} or a
 * for-each loop. Each distinct combination is cached on its own; nothing runs until a result is
 * asked for.
 *
 * <pre>{@code
 * Document account = accounts.find(eq("user_id", id)).first();                 // limit 1, cached
 * List<Document> top = accounts.find(eq("guild_id", 42))
 *         .sort(descending("balance"))
 *         .limit(10)
 *         .projection(include("user_id", "balance"))
 *         .toList();                                                           // cached
 * }</pre>
 *
 * <p>Immutable and thread-safe: every method returns a new {@code CachedFind}, so one can be kept
 * and reused.
 *
 * @param <T> the document type
 */
public final class CachedFind<T> implements Iterable<T> {
    private final CachedCollection<T> collection;
    private final Bson filter;
    private final Bson projection;
    private final Bson sort;
    private final int skip;
    private final int limit;

    CachedFind(CachedCollection<T> collection, Bson filter, Bson projection, Bson sort, int skip, int limit) {
        this.collection = collection;
        this.filter = filter;
        this.projection = projection;
        this.sort = sort;
        this.skip = skip;
        this.limit = limit;
    }

    /**
     * Returns this find with a projection.
     *
     * @param projection the fields to return, e.g. {@code Projections.include("balance")}
     * @return a new find
     * @throws NullPointerException if {@code projection} is null
     */
    public CachedFind<T> projection(Bson projection) {
        return new CachedFind<>(collection, filter, requireNonNull(projection, "projection"), sort, skip, limit);
    }

    /**
     * Returns this find with a sort.
     *
     * @param sort the sort, e.g. {@code Sorts.descending("balance")}
     * @return a new find
     * @throws NullPointerException if {@code sort} is null
     */
    public CachedFind<T> sort(Bson sort) {
        return new CachedFind<>(collection, filter, projection, requireNonNull(sort, "sort"), skip, limit);
    }

    /**
     * Returns this find skipping the first documents.
     *
     * @param skip how many, zero or more
     * @return a new find
     * @throws IllegalArgumentException if negative
     */
    public CachedFind<T> skip(int skip) {
        if (skip < 0) {
            throw new IllegalArgumentException("skip must not be negative: " + skip);
        }
        return new CachedFind<>(collection, filter, projection, sort, skip, limit);
    }

    /**
     * Returns this find returning at most {@code limit} documents.
     *
     * @param limit the most documents, 0 for no limit
     * @return a new find
     * @throws IllegalArgumentException if negative
     */
    public CachedFind<T> limit(int limit) {
        if (limit < 0) {
            throw new IllegalArgumentException("limit must not be negative: " + limit);
        }
        return new CachedFind<>(collection, filter, projection, sort, skip, limit);
    }

    /**
     * Returns the first matching document, or null: the query is sent with {@code limit 1} and
     * cached on its own.
     *
     * @return the first document, or null when none matches
     */
    public T first() {
        List<T> one = collection.load(filter, projection, sort, skip, 1);
        return one.isEmpty() ? null : one.get(0);
    }

    /** Returns every matching document (unmodifiable), from the cache when it holds them. */
    public List<T> toList() {
        return collection.load(filter, projection, sort, skip, limit);
    }

    /**
     * Adds every matching document to a collection.
     *
     * @param target where to add them
     * @param <A> the collection's type
     * @return {@code target}
     */
    public <A extends Collection<? super T>> A into(A target) {
        requireNonNull(target, "target");
        target.addAll(toList());
        return target;
    }

    @Override
    public Iterator<T> iterator() {
        return toList().iterator();
    }
}
