package dev.perfkit.profile;

/**
 * The same query shape run many times within one scope: the N+1 pattern, typically a loop that
 * issues one query per item where one {@code $in} query would do.
 *
 * @param scope the scope's name (the bot command)
 * @param collection the collection
 * @param shape the repeated query shape
 * @param count runs of the shape within one scope (the largest seen)
 * @param occurrences scopes of this name in which the pattern was seen
 * @param suggestion what to do instead
 */
public record NPlusOneWarning(
        String scope, String collection, String shape, int count, long occurrences, String suggestion) {}
