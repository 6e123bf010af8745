package dev.perfkit.redis;

import java.nio.ByteBuffer;
import net.jpountz.lz4.LZ4Compressor;
import net.jpountz.lz4.LZ4Factory;
import net.jpountz.lz4.LZ4FastDecompressor;

/*
 * What perfkit stores in Redis for an entry:
 *
 *   byte   format version (1)
 *   byte   kind: VALUE, ABSENT (a remembered "nothing found"), LOCAL (a value only its writer can
 *          hold: the key exists so that writes to it still reach every instance)
 *   byte   flags: COMPRESSED
 *   long   expiry, epoch milliseconds (so the in-process level can live exactly as long)
 *   [int   uncompressed length, when compressed]
 *   ...    the codec's bytes, LZ4-compressed when larger than the threshold
 *
 * LZ4 (lz4-java's fastest available implementation) was chosen over Zstandard for its speed on
 * small values; docs/redis.md has the measurements.
 */
final class Envelope {
    static final byte VERSION = 1;
    static final byte VALUE = 'v';
    static final byte ABSENT = 'a';
    static final byte LOCAL = 'l';
    private static final byte COMPRESSED = 1;
    private static final int HEADER = 3 + 8;
    private static final LZ4Factory LZ4 = LZ4Factory.fastestInstance();
    private static final LZ4Compressor COMPRESSOR = LZ4.fastCompressor();
    private static final LZ4FastDecompressor DECOMPRESSOR = LZ4.fastDecompressor();
    /** Refuse to inflate entries claiming more than this: a corrupt or hostile entry must not exhaust memory. */
    static final int MAX_VALUE_BYTES = 512 * 1024 * 1024;

    private Envelope() {}

    record Decoded(byte kind, long expiresAtMillis, byte[] payload) {}

    static byte[] marker(byte kind, long expiresAtMillis) {
        return ByteBuffer.allocate(HEADER)
                .put(VERSION)
                .put(kind)
                .put((byte) 0)
                .putLong(expiresAtMillis)
                .array();
    }

    static byte[] value(byte[] payload, long expiresAtMillis, long compressionThreshold) {
        if (payload.length > compressionThreshold) {
            byte[] compressed = new byte[COMPRESSOR.maxCompressedLength(payload.length)];
            int length = COMPRESSOR.compress(payload, 0, payload.length, compressed, 0);
            if (length + 4 < payload.length) {
                return ByteBuffer.allocate(HEADER + 4 + length)
                        .put(VERSION)
                        .put(VALUE)
                        .put(COMPRESSED)
                        .putLong(expiresAtMillis)
                        .putInt(payload.length)
                        .put(compressed, 0, length)
                        .array();
            }
        }
        return ByteBuffer.allocate(HEADER + payload.length)
                .put(VERSION)
                .put(VALUE)
                .put((byte) 0)
                .putLong(expiresAtMillis)
                .put(payload)
                .array();
    }

    static boolean isCompressed(byte[] bytes) {
        return bytes.length >= HEADER && (bytes[2] & COMPRESSED) != 0;
    }

    static Decoded decode(byte[] bytes) {
        if (bytes.length < HEADER || bytes[0] != VERSION) {
            throw new ValueCodec.UnsupportedValueException("not a perfkit entry (or another format version)");
        }
        ByteBuffer buffer = ByteBuffer.wrap(bytes);
        buffer.get();
        byte kind = buffer.get();
        byte flags = buffer.get();
        long expiresAt = buffer.getLong();
        if (kind != VALUE) {
            return new Decoded(kind, expiresAt, null);
        }
        if ((flags & COMPRESSED) == 0) {
            byte[] payload = new byte[buffer.remaining()];
            buffer.get(payload);
            return new Decoded(kind, expiresAt, payload);
        }
        int length = buffer.getInt();
        if (length < 0 || length > MAX_VALUE_BYTES) {
            throw new ValueCodec.UnsupportedValueException("corrupt compressed entry: length " + length);
        }
        byte[] payload = new byte[length];
        try {
            DECOMPRESSOR.decompress(bytes, buffer.position(), payload, 0, length);
        } catch (RuntimeException e) {
            throw new ValueCodec.UnsupportedValueException("corrupt compressed entry: " + e.getMessage(), e);
        }
        return new Decoded(kind, expiresAt, payload);
    }
}
