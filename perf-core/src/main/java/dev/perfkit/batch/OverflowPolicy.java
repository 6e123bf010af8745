package dev.perfkit.batch;

/** What {@link BatchProcessor#add(Object)} does when {@code maxPending} items are already waiting. */
public enum OverflowPolicy {
    /** Wait for room up to the offer timeout, then throw {@link BatchRejectedException}. The default. */
    BLOCK,
    /** Throw {@link BatchRejectedException} at once. */
    REJECT
}
