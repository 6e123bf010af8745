package dev.perfkit.mongo;

import static com.mongodb.client.model.Filters.and;
import static com.mongodb.client.model.Filters.eq;
import static com.mongodb.client.model.Filters.gte;
import static com.mongodb.client.model.Filters.ne;
import static com.mongodb.client.model.Filters.type;
import static com.mongodb.client.model.Updates.combine;
import static com.mongodb.client.model.Updates.mul;
import static com.mongodb.client.model.Updates.set;
import static java.util.Objects.requireNonNull;

import com.mongodb.MongoBulkWriteException;
import com.mongodb.bulk.BulkWriteError;
import com.mongodb.bulk.BulkWriteResult;
import com.mongodb.client.MongoCollection;
import com.mongodb.client.MongoDatabase;
import com.mongodb.client.model.BulkWriteOptions;
import com.mongodb.client.model.ReplaceOneModel;
import com.mongodb.client.model.ReplaceOptions;
import com.mongodb.client.model.UpdateOneModel;
import com.mongodb.client.model.WriteModel;
import com.mongodb.client.result.UpdateResult;
import java.math.BigDecimal;
import java.math.RoundingMode;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import org.bson.BsonType;
import org.bson.Document;
import org.bson.conversions.Bson;
import org.bson.types.Decimal128;

/**
 * Bulk database operations bots need: updates of many accounts, the daily interest run, chunked
 * unordered bulk writes with per-item errors, and bulk upserts by key.
 *
 * <pre>{@code
 * long updated = BulkOperations.updateManyAccounts(db, lt("balance", 100), set("low_balance_warning", true));
 * long paid = BulkOperations.processDailyInterest(db, 0.01, 1000);     // 1 % on balances of 1000 or more
 * BulkResult result = BulkOperations.bulkWrite(users, models, 1000);    // any number of operations
 * }</pre>
 *
 * <p>Stateless and thread-safe.
 */
public final class BulkOperations {
    /** Operations per chunk of {@link #bulkWrite(MongoCollection, List)}: well under the server's batch limits. */
    public static final int DEFAULT_CHUNK_SIZE = 1_000;

    private BulkOperations() {}

    /**
     * Applies an update to every matching document of the {@code accounts} collection.
     *
     * @param db the database
     * @param filter which accounts
     * @param update what to change
     * @return the number of accounts modified
     * @throws NullPointerException if an argument is null
     */
    public static long updateManyAccounts(MongoDatabase db, Bson filter, Bson update) {
        return updateManyAccounts(db, AccountSchema.DEFAULT, filter, update);
    }

    /**
     * Applies an update to every matching document of a schema's accounts collection.
     *
     * @param db the database
     * @param schema where the accounts are
     * @param filter which accounts
     * @param update what to change
     * @return the number of accounts modified
     * @throws NullPointerException if an argument is null
     */
    public static long updateManyAccounts(MongoDatabase db, AccountSchema schema, Bson filter, Bson update) {
        DriverRequirement.check();
        requireNonNull(db, "db");
        requireNonNull(schema, "schema");
        requireNonNull(filter, "filter");
        requireNonNull(update, "update");
        return db.getCollection(schema.collection()).updateMany(filter, update).getModifiedCount();
    }

    /**
     * Pays one day's interest on every account of the {@code accounts} collection whose {@code
     * balance} is at least {@code minBalance}, for today (UTC).
     *
     * @param db the database
     * @param rate the daily rate, e.g. {@code 0.01} for 1 %; finite and not negative
     * @param minBalance the smallest balance that earns interest; finite
     * @return the number of accounts paid
     * @throws IllegalArgumentException if {@code rate} is negative, NaN or infinite, or {@code
     *     minBalance} is NaN or infinite
     * @see #processDailyInterest(MongoDatabase, AccountSchema, double, double, LocalDate)
     */
    public static long processDailyInterest(MongoDatabase db, double rate, double minBalance) {
        return processDailyInterest(db, AccountSchema.DEFAULT, rate, minBalance, LocalDate.now(ZoneOffset.UTC));
    }

    /**
     * Pays one day's interest, at most once per account and day.
     *
     * <p><b>Once per day.</b> Each account paid gets {@code lastInterestField = day} in the same
     * atomic update that pays it, and only accounts without that mark are paid, so running twice on
     * one day — a retry, a restart, two bot instances — pays nobody twice.
     *
     * <p><b>Exactness and rounding.</b> A {@code Decimal128} balance is multiplied by the {@code
     * Decimal128} factor {@code 1 + rate} (the rate taken from its decimal representation, {@code
     * 0.01} is exactly 0.01) and stays {@code Decimal128}: the product is exact up to 34 significant
     * digits and is not rounded. A {@code double} balance is multiplied in double arithmetic. An
     * integer balance ({@code int} or {@code long}, e.g. coins) is rounded half-even to a whole unit
     * and keeps its type; since the server cannot round without pipeline updates, these accounts
     * are updated one by one, each only if its balance is still the one read (so a concurrent
     * transfer is never overwritten), in one unordered bulk write.
     *
     * @param db the database
     * @param schema where the accounts and their fields are
     * @param rate the daily rate, finite and not negative
     * @param minBalance the smallest balance that earns interest, finite
     * @param day the day being paid
     * @return the number of accounts paid
     * @throws NullPointerException if an argument is null
     * @throws IllegalArgumentException if {@code rate} is negative, NaN or infinite, or {@code
     *     minBalance} is NaN or infinite
     */
    public static long processDailyInterest(
            MongoDatabase db, AccountSchema schema, double rate, double minBalance, LocalDate day) {
        DriverRequirement.check();
        requireNonNull(db, "db");
        requireNonNull(schema, "schema");
        requireNonNull(day, "day");
        if (!Double.isFinite(rate) || rate < 0) {
            throw new IllegalArgumentException("rate must be finite and not negative: " + rate);
        }
        if (!Double.isFinite(minBalance)) {
            throw new IllegalArgumentException("minBalance must be finite: " + minBalance);
        }
        MongoCollection<Document> accounts = db.getCollection(schema.collection());
        String balance = schema.balanceField();
        String paidOn = schema.lastInterestField();
        String today = day.toString();
        BigDecimal factor = BigDecimal.ONE.add(new BigDecimal(Double.toString(rate)));
        BigDecimal minimum = new BigDecimal(Double.toString(minBalance));

        UpdateResult decimals = accounts.updateMany(
                and(type(balance, BsonType.DECIMAL128), gte(balance, new Decimal128(minimum)), ne(paidOn, today)),
                combine(mul(balance, new Decimal128(factor)), set(paidOn, today)));
        UpdateResult doubles = accounts.updateMany(
                and(type(balance, BsonType.DOUBLE), gte(balance, minBalance), ne(paidOn, today)),
                combine(mul(balance, factor.doubleValue()), set(paidOn, today)));
        long integers = payIntegerBalances(accounts, balance, paidOn, today, factor, minBalance);
        return decimals.getModifiedCount() + doubles.getModifiedCount() + integers;
    }

    private static long payIntegerBalances(
            MongoCollection<Document> accounts,
            String balance,
            String paidOn,
            String today,
            BigDecimal factor,
            double minBalance) {
        List<WriteModel<Document>> updates = new ArrayList<>();
        Bson integer =
                com.mongodb.client.model.Filters.or(type(balance, BsonType.INT32), type(balance, BsonType.INT64));
        for (Document account : accounts.find(and(integer, gte(balance, minBalance), ne(paidOn, today)))
                .projection(new Document(balance, 1))) {
            Number old = (Number) account.get(balance);
            BigDecimal paid = new BigDecimal(old.longValue()).multiply(factor).setScale(0, RoundingMode.HALF_EVEN);
            Object updated = old instanceof Integer && paid.compareTo(BigDecimal.valueOf(Integer.MAX_VALUE)) <= 0
                    ? (Object) paid.intValueExact()
                    : (Object) paid.longValueExact();
            updates.add(new UpdateOneModel<>(
                    and(eq("_id", account.get("_id")), eq(balance, old), ne(paidOn, today)),
                    combine(set(balance, updated), set(paidOn, today))));
        }
        if (updates.isEmpty()) {
            return 0;
        }
        return bulkWrite(accounts, updates).modified();
    }

    /**
     * Runs any number of write operations as unordered bulk writes of {@value #DEFAULT_CHUNK_SIZE}.
     *
     * @param collection the collection
     * @param operations the operations
     * @param <T> the document type
     * @return the summed counts and every failed operation with its index
     * @see #bulkWrite(MongoCollection, List, int)
     */
    public static <T> BulkResult bulkWrite(
            MongoCollection<T> collection, List<? extends WriteModel<? extends T>> operations) {
        return bulkWrite(collection, operations, DEFAULT_CHUNK_SIZE);
    }

    /**
     * Runs any number of write operations as unordered bulk writes of {@code chunkSize} each. A
     * failed operation does not stop the others: its error is reported with its index in {@code
     * operations}. Counts are what the server reported; after a partial failure treat {@code
     * inserted} as approximate (some servers, the embedded test server among them, over-report it).
     * Errors other than per-operation write errors (network, authentication) propagate.
     *
     * @param collection the collection
     * @param operations the operations, in any order
     * @param chunkSize operations per bulk write, positive
     * @param <T> the document type
     * @return the summed counts and every failed operation with its index
     * @throws NullPointerException if an argument is null
     * @throws IllegalArgumentException if {@code chunkSize} is not positive
     */
    public static <T> BulkResult bulkWrite(
            MongoCollection<T> collection, List<? extends WriteModel<? extends T>> operations, int chunkSize) {
        DriverRequirement.check();
        requireNonNull(collection, "collection");
        requireNonNull(operations, "operations");
        if (chunkSize <= 0) {
            throw new IllegalArgumentException("chunkSize must be positive: " + chunkSize);
        }
        long inserted = 0;
        long matched = 0;
        long modified = 0;
        long deleted = 0;
        long upserted = 0;
        List<BulkResult.ItemError> errors = new ArrayList<>();
        for (int start = 0; start < operations.size(); start += chunkSize) {
            List<? extends WriteModel<? extends T>> chunk =
                    operations.subList(start, Math.min(operations.size(), start + chunkSize));
            BulkWriteResult result;
            try {
                result = collection.bulkWrite(chunk, new BulkWriteOptions().ordered(false));
            } catch (MongoBulkWriteException e) {
                result = e.getWriteResult();
                for (BulkWriteError error : e.getWriteErrors()) {
                    errors.add(new BulkResult.ItemError(start + error.getIndex(), error.getCode(), error.getMessage()));
                }
            }
            if (result.wasAcknowledged()) {
                inserted += result.getInsertedCount();
                matched += result.getMatchedCount();
                modified += result.getModifiedCount();
                deleted += result.getDeletedCount();
                upserted += result.getUpserts().size();
            }
        }
        return new BulkResult(inserted, matched, modified, deleted, upserted, errors);
    }

    /**
     * Inserts or replaces documents by a key field: each document replaces the one with the same
     * key, or is inserted when there is none.
     *
     * @param collection the collection
     * @param documents the documents, each holding {@code keyField}
     * @param keyField the field that identifies a document, ideally with a unique index
     * @return the summed counts and the failed documents by index
     * @throws NullPointerException if an argument is null
     * @throws IllegalArgumentException if a document lacks {@code keyField}, naming its index
     */
    public static BulkResult upsertByKey(
            MongoCollection<Document> collection, List<Document> documents, String keyField) {
        DriverRequirement.check();
        requireNonNull(collection, "collection");
        requireNonNull(documents, "documents");
        requireNonNull(keyField, "keyField");
        List<WriteModel<Document>> models = new ArrayList<>(documents.size());
        for (int i = 0; i < documents.size(); i++) {
            Document document = requireNonNull(documents.get(i), "documents[" + i + "]");
            if (!document.containsKey(keyField)) {
                throw new IllegalArgumentException("documents[" + i + "] has no key field '" + keyField + "'");
            }
            models.add(new ReplaceOneModel<>(
                    eq(keyField, document.get(keyField)), document, new ReplaceOptions().upsert(true)));
        }
        return bulkWrite(collection, models);
    }
}
