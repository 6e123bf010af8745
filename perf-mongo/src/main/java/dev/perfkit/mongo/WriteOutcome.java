package dev.perfkit.mongo;

import org.bson.BsonValue;

/**
 * What one write operation of a {@link MongoBatchWriter} did, from {@link
 * MongoBatchWriter#addWithResult}: exactly that operation's counts, not its batch's.
 *
 * <pre>{@code
 * WriteOutcome debit = writes.addWithResult(new UpdateOneModel<>(
 *         and(eq("_id", id), gte("balance", 100)), inc("balance", -100))).join();
 * if (debit.matched() == 0) {
 *     reply("Not enough coins");
 * }
 * }</pre>
 *
 * <p>After a transient failure an operation that is safe to repeat is sent again; its counts are
 * then those of the attempt that was acknowledged (a {@code $set} applied by the lost attempt reports
 * {@code modified 0} on the repeat).
 *
 * @param acknowledged whether the write concern reported counts at all ({@code w: 0} does not; all
 *     counts are then 0)
 * @param matched documents matched by an update or replacement
 * @param modified documents an update or replacement changed
 * @param deleted documents a delete removed
 * @param insertedId the {@code _id} of an inserted document, or null for other operations
 * @param upsertedId the {@code _id} an upsert inserted, or null when it matched instead
 */
public record WriteOutcome(
        boolean acknowledged, long matched, long modified, long deleted, BsonValue insertedId, BsonValue upsertedId) {}
