package dev.perfkit.redis;

import static java.util.Objects.requireNonNull;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Collection;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The default {@link ValueCodec}: one tag byte, then the value.
 *
 * <table>
 *   <caption>Encodings</caption>
 *   <tr><th>type</th><th>bytes</th></tr>
 *   <tr><td>String, Long, Integer, Double, Boolean, BigDecimal, BigInteger</td><td>UTF-8 text</td></tr>
 *   <tr><td>byte[]</td><td>as is</td></tr>
 *   <tr><td>org.bson.Document (when the BSON library is present)</td><td>BSON</td></tr>
 *   <tr><td>allowed records and POJOs</td><td>class name, then JSON (Jackson)</td></tr>
 * </table>
 *
 * <p>Only classes given to {@link #allowing} are ever read back from JSON: a shared Redis cannot
 * make this process instantiate anything else (the entry is treated as missing, with an {@link
 * UnsupportedValueException}). Thread-safe.
 */
public final class DefaultValueCodec implements ValueCodec {
    private static final byte STRING = 's';
    private static final byte LONG = 'l';
    private static final byte INTEGER = 'i';
    private static final byte DOUBLE = 'd';
    private static final byte BOOLEAN = 'b';
    private static final byte DECIMAL = 'm';
    private static final byte BIG_INTEGER = 'n';
    private static final byte BYTES = 'y';
    private static final byte BSON = 'o';
    private static final byte JSON = 'j';

    private static final ObjectMapper MAPPER =
            new ObjectMapper().disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES);

    private final Set<String> allowed;

    private DefaultValueCodec(Set<String> allowed) {
        this.allowed = allowed;
    }

    /**
     * A codec for the built-in types only.
     *
     * @return the codec
     */
    public static DefaultValueCodec create() {
        return new DefaultValueCodec(Set.of());
    }

    /**
     * A codec that also stores the given record or POJO types as JSON.
     *
     * @param types the classes allowed to be written and read back
     * @return the codec
     */
    public static DefaultValueCodec allowing(Collection<Class<?>> types) {
        requireNonNull(types, "types");
        Set<String> names = ConcurrentHashMap.newKeySet();
        for (Class<?> type : types) {
            names.add(requireNonNull(type, "type").getName());
        }
        return new DefaultValueCodec(Set.copyOf(names));
    }

    @Override
    public byte[] encode(Object value) {
        requireNonNull(value, "value");
        if (value instanceof String text) {
            return tagged(STRING, text.getBytes(StandardCharsets.UTF_8));
        }
        if (value instanceof Long number) {
            return tagged(LONG, number.toString().getBytes(StandardCharsets.US_ASCII));
        }
        if (value instanceof Integer number) {
            return tagged(INTEGER, number.toString().getBytes(StandardCharsets.US_ASCII));
        }
        if (value instanceof Double number) {
            return tagged(DOUBLE, number.toString().getBytes(StandardCharsets.US_ASCII));
        }
        if (value instanceof Boolean flag) {
            return tagged(BOOLEAN, flag.toString().getBytes(StandardCharsets.US_ASCII));
        }
        if (value instanceof BigDecimal number) {
            return tagged(DECIMAL, number.toString().getBytes(StandardCharsets.US_ASCII));
        }
        if (value instanceof BigInteger number) {
            return tagged(BIG_INTEGER, number.toString().getBytes(StandardCharsets.US_ASCII));
        }
        if (value instanceof byte[] bytes) {
            return tagged(BYTES, bytes);
        }
        if (Bson.AVAILABLE && Bson.isDocument(value)) {
            return tagged(BSON, Bson.encode(value));
        }
        String type = value.getClass().getName();
        if (value instanceof java.util.Collection<?> || value instanceof java.util.Map<?, ?>) {
            throw new UnsupportedValueException(type + ": collections and maps are not shared through Redis by"
                    + " the default codec (wrap them in an allowed record, or supply a ValueCodec)");
        }
        if (!allowed.contains(type)) {
            throw new UnsupportedValueException(type + " is not on the codec's allow-list: build the cache with"
                    + " .codec(DefaultValueCodec.allowing(List.of("
                    + value.getClass().getSimpleName()
                    + ".class))) to share it through Redis");
        }
        try {
            byte[] name = type.getBytes(StandardCharsets.UTF_8);
            byte[] json = MAPPER.writeValueAsBytes(value);
            ByteBuffer buffer = ByteBuffer.allocate(1 + 2 + name.length + json.length);
            buffer.put(JSON).putShort((short) name.length).put(name).put(json);
            return buffer.array();
        } catch (IOException e) {
            throw new UnsupportedValueException("cannot write " + type + " as JSON: " + e.getMessage(), e);
        }
    }

    @Override
    public Object decode(byte[] bytes) {
        requireNonNull(bytes, "bytes");
        if (bytes.length == 0) {
            throw new UnsupportedValueException("empty entry");
        }
        byte tag = bytes[0];
        byte[] body = Arrays.copyOfRange(bytes, 1, bytes.length);
        try {
            return switch (tag) {
                case STRING -> new String(body, StandardCharsets.UTF_8);
                case LONG -> Long.valueOf(ascii(body));
                case INTEGER -> Integer.valueOf(ascii(body));
                case DOUBLE -> Double.valueOf(ascii(body));
                case BOOLEAN -> Boolean.valueOf(ascii(body));
                case DECIMAL -> new BigDecimal(ascii(body));
                case BIG_INTEGER -> new BigInteger(ascii(body));
                case BYTES -> body;
                case BSON -> {
                    if (!Bson.AVAILABLE) {
                        throw new UnsupportedValueException(
                                "a BSON entry, but org.mongodb:bson is not on the class path");
                    }
                    yield Bson.decode(body);
                }
                case JSON -> json(bytes);
                default -> throw new UnsupportedValueException("unknown entry type '" + (char) tag + "'");
            };
        } catch (NumberFormatException e) {
            throw new UnsupportedValueException("corrupt entry: " + e.getMessage(), e);
        }
    }

    private Object json(byte[] bytes) {
        ByteBuffer buffer = ByteBuffer.wrap(bytes, 1, bytes.length - 1);
        int length = buffer.getShort() & 0xffff;
        if (length > buffer.remaining()) {
            throw new UnsupportedValueException("corrupt JSON entry");
        }
        byte[] name = new byte[length];
        buffer.get(name);
        String type = new String(name, StandardCharsets.UTF_8);
        if (!allowed.contains(type)) {
            // Checked before the class is even loaded: a shared Redis chooses nothing here.
            throw new UnsupportedValueException("refusing to read " + type + ": not on the codec's allow-list");
        }
        try {
            Class<?> target = Class.forName(type, false, DefaultValueCodec.class.getClassLoader());
            return MAPPER.readValue(bytes, buffer.position(), buffer.remaining(), target);
        } catch (ClassNotFoundException | IOException e) {
            throw new UnsupportedValueException("cannot read " + type + " from JSON: " + e.getMessage(), e);
        }
    }

    private static String ascii(byte[] body) {
        return new String(body, StandardCharsets.US_ASCII);
    }

    private static byte[] tagged(byte tag, byte[] body) {
        byte[] bytes = new byte[body.length + 1];
        bytes[0] = tag;
        System.arraycopy(body, 0, bytes, 1, body.length);
        return bytes;
    }

    /** BSON documents, when org.mongodb:bson is on the class path (it is optional). */
    private static final class Bson {
        static final boolean AVAILABLE = present();

        private static boolean present() {
            try {
                Class.forName("org.bson.Document", false, DefaultValueCodec.class.getClassLoader());
                return true;
            } catch (ClassNotFoundException | LinkageError e) {
                return false;
            }
        }

        static boolean isDocument(Object value) {
            return value.getClass() == org.bson.Document.class;
        }

        static byte[] encode(Object value) {
            org.bson.io.BasicOutputBuffer out = new org.bson.io.BasicOutputBuffer();
            try (org.bson.BsonBinaryWriter writer = new org.bson.BsonBinaryWriter(out)) {
                new org.bson.codecs.DocumentCodec()
                        .encode(
                                writer,
                                (org.bson.Document) value,
                                org.bson.codecs.EncoderContext.builder().build());
            }
            return out.toByteArray();
        }

        static Object decode(byte[] body) {
            try (org.bson.BsonBinaryReader reader = new org.bson.BsonBinaryReader(ByteBuffer.wrap(body))) {
                return new org.bson.codecs.DocumentCodec()
                        .decode(reader, org.bson.codecs.DecoderContext.builder().build());
            } catch (org.bson.BSONException e) {
                throw new UnsupportedValueException("corrupt BSON entry: " + e.getMessage(), e);
            }
        }
    }
}
