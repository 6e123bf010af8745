package dev.perfkit.profile;

/**
 * One bot command as seen by the {@link QueryProfiler}, opened with {@link
 * QueryProfiler#scope(String)} and closed on the same thread (try-with-resources).
 */
public interface ProfilerScope extends AutoCloseable {

    /** Returns the scope's name. */
    String name();

    /** Ends the scope and judges its queries for N+1 patterns. Idempotent. */
    @Override
    void close();
}
