package dev.perfkit.mongo;

import static com.mongodb.client.model.Filters.eq;
import static com.mongodb.client.model.Filters.lt;
import static com.mongodb.client.model.Updates.set;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.mongodb.client.MongoClient;
import com.mongodb.client.MongoCollection;
import com.mongodb.client.MongoDatabase;
import com.mongodb.client.model.InsertOneModel;
import com.mongodb.client.model.WriteModel;
import java.math.BigDecimal;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.List;
import org.bson.Document;
import org.bson.types.Decimal128;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class BulkOperationsTest {
    private static final LocalDate DAY = LocalDate.of(2026, 11, 23);
    private MongoClient client;
    private MongoDatabase db;
    private MongoCollection<Document> accounts;

    @BeforeEach
    void connect() {
        client = MongoTestSupport.client();
        db = MongoTestSupport.freshDatabase(client);
        accounts = db.getCollection("accounts");
    }

    @AfterEach
    void disconnect() {
        client.close();
    }

    private Document account(int id) {
        return accounts.find(eq("_id", id)).first();
    }

    @Test
    void updateManyAccounts_updatesTheMatchingOnes() {
        accounts.insertMany(List.of(
                new Document("_id", 1).append("balance", 50),
                new Document("_id", 2).append("balance", 500),
                new Document("_id", 3).append("balance", 70)));

        long updated = BulkOperations.updateManyAccounts(db, lt("balance", 100), set("low_balance_warning", true));

        assertThat(updated).isEqualTo(2);
        assertThat(account(1).getBoolean("low_balance_warning")).isTrue();
        assertThat(account(2).containsKey("low_balance_warning")).isFalse();
    }

    @Test
    void dailyInterest_decimalStaysDecimalAndIsExact() {
        accounts.insertMany(List.of(
                new Document("_id", 1).append("balance", new Decimal128(new BigDecimal("1000.10"))),
                new Document("_id", 2).append("balance", new Decimal128(new BigDecimal("999.99")))));

        long paid = BulkOperations.processDailyInterest(db, AccountSchema.DEFAULT, 0.01, 1000, DAY);

        assertThat(paid).isEqualTo(1);
        Object balance = account(1).get("balance");
        assertThat(balance).isInstanceOf(Decimal128.class);
        assertThat(((Decimal128) balance).bigDecimalValue()).isEqualByComparingTo("1010.101");
        assertThat(((Decimal128) account(2).get("balance")).bigDecimalValue()).isEqualByComparingTo("999.99");
        assertThat(account(1).getString("last_interest_date")).isEqualTo("2026-11-23");
    }

    @Test
    void dailyInterest_twiceOnOneDay_paysNobodyTwice_andNextDayPaysAgain() {
        accounts.insertMany(List.of(
                new Document("_id", 1).append("balance", new Decimal128(new BigDecimal("2000"))),
                new Document("_id", 2).append("balance", 1500.0),
                new Document("_id", 3).append("balance", 3000L)));

        long first = BulkOperations.processDailyInterest(db, AccountSchema.DEFAULT, 0.5, 1000, DAY);
        long second = BulkOperations.processDailyInterest(db, AccountSchema.DEFAULT, 0.5, 1000, DAY);

        assertThat(first).isEqualTo(3);
        assertThat(second).isZero();
        assertThat(((Decimal128) account(1).get("balance")).bigDecimalValue()).isEqualByComparingTo("3000");
        assertThat(account(2).getDouble("balance")).isEqualTo(2250.0);
        assertThat(account(3).getLong("balance")).isEqualTo(4500L);

        assertThat(BulkOperations.processDailyInterest(db, AccountSchema.DEFAULT, 0.5, 1000, DAY.plusDays(1)))
                .isEqualTo(3);
    }

    @Test
    void dailyInterest_integerBalances_roundHalfEvenAndKeepTheirType() {
        accounts.insertMany(List.of(
                new Document("_id", 1).append("balance", 150), // 151.5 -> 152
                new Document("_id", 2).append("balance", 250), // 252.5 -> 252
                new Document("_id", 3).append("balance", 5))); // below the minimum

        long paid = BulkOperations.processDailyInterest(db, AccountSchema.DEFAULT, 0.01, 100, DAY);

        assertThat(paid).isEqualTo(2);
        assertThat(account(1).get("balance")).isEqualTo(152);
        assertThat(account(2).get("balance")).isEqualTo(252);
        assertThat(account(3).get("balance")).isEqualTo(5);
    }

    @Test
    void dailyInterest_customSchema() {
        MongoCollection<Document> wallets = db.getCollection("wallets");
        wallets.insertOne(new Document("_id", 1).append("coins", new Decimal128(new BigDecimal("100"))));

        long paid =
                BulkOperations.processDailyInterest(db, new AccountSchema("wallets", "coins", "paid_on"), 0.1, 0, DAY);

        assertThat(paid).isEqualTo(1);
        Document wallet = wallets.find().first();
        assertThat(((Decimal128) wallet.get("coins")).bigDecimalValue()).isEqualByComparingTo("110");
        assertThat(wallet.getString("paid_on")).isEqualTo("2026-11-23");
    }

    @Test
    void badInput_clearExceptions() {
        assertThatThrownBy(() -> BulkOperations.processDailyInterest(db, -0.01, 0))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("rate must be finite and not negative: -0.01");
        assertThatThrownBy(() -> BulkOperations.processDailyInterest(db, Double.NaN, 0))
                .hasMessage("rate must be finite and not negative: NaN");
        assertThatThrownBy(() -> BulkOperations.processDailyInterest(db, 0.01, Double.POSITIVE_INFINITY))
                .hasMessage("minBalance must be finite: Infinity");
        assertThatThrownBy(() -> BulkOperations.updateManyAccounts(db, null, set("a", 1)))
                .isInstanceOf(NullPointerException.class)
                .hasMessage("filter");
        assertThatThrownBy(() -> BulkOperations.updateManyAccounts(null, eq("a", 1), set("a", 1)))
                .hasMessage("db");
        assertThatThrownBy(() -> new AccountSchema("accounts", " ", "x")).hasMessageContaining("balanceField");
        assertThatThrownBy(() -> BulkOperations.bulkWrite(accounts, List.of(), 0))
                .hasMessage("chunkSize must be positive: 0");
    }

    @Test
    void bulkWrite_chunksAnySize_andReportsFailedItemsByTheirIndex() {
        accounts.insertOne(new Document("_id", 7));
        List<WriteModel<Document>> inserts = new ArrayList<>();
        for (int i = 0; i < 2_500; i++) {
            inserts.add(new InsertOneModel<>(new Document("_id", i == 1_700 ? 7 : 100 + i)));
        }
        inserts.add(new InsertOneModel<>(new Document("_id", 7)));

        BulkResult result = BulkOperations.bulkWrite(accounts, inserts, 1_000);

        assertThat(result.errors()).extracting(BulkResult.ItemError::index).containsExactly(1_700, 2_500);
        assertThat(result.errors()).allMatch(error -> error.code() == 11000);
        assertThat(accounts.countDocuments()).isEqualTo(2_500); // 2,499 new + the one that was there
        assertThat(result.succeeded()).isFalse();
    }

    @Test
    void upsertByKey_insertsOrReplaces() {
        MongoCollection<Document> users = db.getCollection("users");
        users.insertOne(new Document("user_id", 1).append("name", "old"));

        BulkResult result = BulkOperations.upsertByKey(
                users,
                List.of(
                        new Document("user_id", 1).append("name", "new"),
                        new Document("user_id", 2).append("name", "b")),
                "user_id");

        assertThat(result.upserted()).isEqualTo(1);
        assertThat(result.matched()).isEqualTo(1);
        assertThat(users.find(eq("user_id", 1)).first().getString("name")).isEqualTo("new");
        assertThat(users.countDocuments()).isEqualTo(2);
        assertThatThrownBy(() -> BulkOperations.upsertByKey(users, List.of(new Document("x", 1)), "user_id"))
                .hasMessage("documents[0] has no key field 'user_id'");
    }
}
