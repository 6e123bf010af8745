package dev.perfkit.mongo;

import static java.util.Objects.requireNonNull;

/**
 * Where a bot keeps its accounts, for {@link BulkOperations}: the collection, the balance field and
 * the field that records the last day interest was paid.
 *
 * <pre>{@code
 * AccountSchema economy = new AccountSchema("wallets", "coins", "interest_paid_on");
 * }</pre>
 *
 * @param collection the accounts collection, default {@code accounts}
 * @param balanceField the balance field, default {@code balance}
 * @param lastInterestField the field holding the ISO date ({@code 2026-11-23}) of the last interest
 *     payment, default {@code last_interest_date}
 */
public record AccountSchema(String collection, String balanceField, String lastInterestField) {
    /** The seed's schema: collection {@code accounts}, field {@code balance}. */
    public static final AccountSchema DEFAULT = new AccountSchema("accounts", "balance", "last_interest_date");

    /** Checks that no name is null or blank. */
    public AccountSchema {
        requireNonBlank(collection, "collection");
        requireNonBlank(balanceField, "balanceField");
        requireNonBlank(lastInterestField, "lastInterestField");
    }

    private static void requireNonBlank(String value, String name) {
        requireNonNull(value, name);
        if (value.isBlank()) {
            throw new IllegalArgumentException(name + " must not be blank: '" + value + "'");
        }
    }
}
