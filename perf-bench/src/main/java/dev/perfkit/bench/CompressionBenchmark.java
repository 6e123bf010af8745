package dev.perfkit.bench;

import com.github.luben.zstd.Zstd;
import java.nio.charset.StandardCharsets;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import java.util.zip.DataFormatException;
import java.util.zip.Deflater;
import java.util.zip.Inflater;
import net.jpountz.lz4.LZ4Compressor;
import net.jpountz.lz4.LZ4Factory;
import net.jpountz.lz4.LZ4FastDecompressor;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * The choice of perf-redis's compression: LZ4 (lz4-java) against Zstandard (zstd-jni, level 1 and 3)
 * and the JDK's Deflate (level 1), compressing and decompressing what a bot caches above the 1 KB
 * threshold: a 2 KB JSON settings document and an 8 KB leaderboard page. Setup prints each codec's
 * compressed size; the scores are the time per value.
 *
 * <pre>
 * java -jar perf-bench/target/perfkit.jar jmh CompressionBenchmark
 * </pre>
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 2, time = 1)
@Measurement(iterations = 3, time = 1)
@Fork(1)
public class CompressionBenchmark {
    /** Which payload. */
    @Param({"settings-2k", "leaderboard-8k"})
    public String payload;

    /** Which codec. */
    @Param({"lz4", "zstd-1", "zstd-3", "deflate-1"})
    public String codec;

    private static final LZ4Factory LZ4 = LZ4Factory.fastestInstance();
    private final LZ4Compressor lz4 = LZ4.fastCompressor();
    private final LZ4FastDecompressor lz4Decompressor = LZ4.fastDecompressor();
    private byte[] input;
    private byte[] compressed;

    @Setup
    public void setUp() {
        input = payload.equals("settings-2k") ? settings() : leaderboard();
        compressed = compress();
        System.out.printf(
                "%n%s %s: %d -> %d bytes (%.1f%%)%n",
                codec, payload, input.length, compressed.length, 100.0 * compressed.length / input.length);
    }

    private static byte[] settings() {
        StringBuilder json = new StringBuilder("{\"guild_id\":123456789012345678,\"prefix\":\"!\",\"channels\":{");
        for (int i = 0; json.length() < 2_000; i++) {
            json.append("\"channel_")
                    .append(i)
                    .append("\":{\"id\":")
                    .append(900_000_000_000L + i * 7919L)
                    .append(",\"xp\":true,\"slowmode\":")
                    .append(i % 5)
                    .append("},");
        }
        return json.append("\"end\":true}}").toString().getBytes(StandardCharsets.UTF_8);
    }

    private static byte[] leaderboard() {
        SplittableRandom random = new SplittableRandom(42);
        StringBuilder page = new StringBuilder("[");
        for (int rank = 1; page.length() < 8_000; rank++) {
            page.append("{\"rank\":")
                    .append(rank)
                    .append(",\"user_id\":")
                    .append(random.nextLong(1L << 60))
                    .append(",\"name\":\"user")
                    .append(random.nextInt(100_000))
                    .append("\",\"balance\":")
                    .append(random.nextInt(1_000_000))
                    .append("},");
        }
        return page.append("{}]").toString().getBytes(StandardCharsets.UTF_8);
    }

    private byte[] compress() {
        switch (codec) {
            case "lz4" -> {
                byte[] out = new byte[lz4.maxCompressedLength(input.length)];
                int length = lz4.compress(input, 0, input.length, out, 0);
                return java.util.Arrays.copyOf(out, length);
            }
            case "zstd-1" -> {
                return Zstd.compress(input, 1);
            }
            case "zstd-3" -> {
                return Zstd.compress(input, 3);
            }
            default -> {
                Deflater deflater = new Deflater(1);
                deflater.setInput(input);
                deflater.finish();
                byte[] out = new byte[input.length + 64];
                int length = deflater.deflate(out);
                deflater.end();
                return java.util.Arrays.copyOf(out, length);
            }
        }
    }

    @Benchmark
    public byte[] compressValue() {
        return compress();
    }

    @Benchmark
    public byte[] decompressValue() throws DataFormatException {
        byte[] out = new byte[input.length];
        switch (codec) {
            case "lz4" -> lz4Decompressor.decompress(compressed, 0, out, 0, out.length);
            case "zstd-1", "zstd-3" -> Zstd.decompress(out, compressed);
            default -> {
                Inflater inflater = new Inflater();
                inflater.setInput(compressed);
                int unused = inflater.inflate(out);
                inflater.end();
            }
        }
        return out;
    }
}
