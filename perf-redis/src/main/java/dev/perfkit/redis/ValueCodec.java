package dev.perfkit.redis;

/**
 * Turns cached values into bytes for the shared level and back. The default, {@link
 * DefaultValueCodec}, handles strings, numbers, booleans, byte arrays, BSON documents and the
 * record/POJO types on its allow-list; a host can supply its own (Kryo, Protobuf, ...).
 *
 * <p>A codec must be safe against what a shared Redis may hold: it never instantiates a type the
 * host did not allow (Java's native serialization is never used). Implementations are thread-safe.
 */
public interface ValueCodec {

    /**
     * Encodes a value.
     *
     * @param value a non-null value
     * @return its bytes
     * @throws UnsupportedValueException if this codec cannot encode the value's type; the cache
     *     then keeps the value in the in-process level only, and warns once per type
     */
    byte[] encode(Object value);

    /**
     * Decodes bytes made by {@link #encode}.
     *
     * @param bytes the bytes
     * @return the value
     * @throws UnsupportedValueException if the bytes name a type that is not allowed, or are not
     *     this codec's; the cache then treats the entry as missing
     */
    Object decode(byte[] bytes);

    /** Thrown when a value or an entry cannot be (de)coded. */
    final class UnsupportedValueException extends RuntimeException {
        private static final long serialVersionUID = 1L;

        /**
         * Creates one.
         *
         * @param message what cannot be coded, and why
         */
        public UnsupportedValueException(String message) {
            super(message);
        }

        /**
         * Creates one with a cause.
         *
         * @param message what cannot be coded, and why
         * @param cause the underlying failure
         */
        public UnsupportedValueException(String message, Throwable cause) {
            super(message, cause);
        }
    }
}
