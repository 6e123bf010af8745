package dev.perfkit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.perfkit.batch.BatchProcessor;
import dev.perfkit.cache.QueryCache;
import dev.perfkit.memory.MemoryManager;
import dev.perfkit.spi.BatchProcessorFactory;
import dev.perfkit.spi.PerfProvider;
import java.lang.reflect.Proxy;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class PerfTest {

    /** Counts what the facade asks of it; found through a services file written per test. */
    public static final class CountingProvider implements PerfProvider {
        static final AtomicInteger cachesCreated = new AtomicInteger();
        static final AtomicInteger cachesClosed = new AtomicInteger();
        static final List<PerfConfig> configsSeen = new ArrayList<>();

        @Override
        public Optional<QueryCache> createQueryCache(PerfConfig config) {
            cachesCreated.incrementAndGet();
            synchronized (configsSeen) {
                configsSeen.add(config);
            }
            QueryCache cache = (QueryCache) Proxy.newProxyInstance(
                    QueryCache.class.getClassLoader(), new Class<?>[] {QueryCache.class}, (proxy, method, args) -> {
                        if (method.getName().equals("close")) {
                            cachesClosed.incrementAndGet();
                        }
                        return method.getName().equals("getMaxSize") ? config.queryCacheSize() : null;
                    });
            return Optional.of(cache);
        }

        @Override
        public Optional<BatchProcessorFactory> batchProcessorFactory() {
            return Optional.of(new BatchProcessorFactory() {
                @Override
                @SuppressWarnings("unchecked")
                public <T> BatchProcessor<T> create(dev.perfkit.spi.BatchProcessorSpec<T> spec) {
                    return (BatchProcessor<T>) Proxy.newProxyInstance(
                            BatchProcessor.class.getClassLoader(),
                            new Class<?>[] {BatchProcessor.class},
                            (proxy, method, args) -> method.getName().equals("name") ? spec.name() : null);
                }
            });
        }
    }

    private ClassLoader original;

    @AfterEach
    void restore() {
        if (original != null) {
            Thread.currentThread().setContextClassLoader(original);
        }
        Perf.reset();
        CountingProvider.cachesCreated.set(0);
        CountingProvider.cachesClosed.set(0);
        CountingProvider.configsSeen.clear();
    }

    private void installProvider(Path dir) throws Exception {
        Path services = dir.resolve("META-INF/services");
        Files.createDirectories(services);
        Files.writeString(services.resolve(PerfProvider.class.getName()), CountingProvider.class.getName() + "\n");
        original = Thread.currentThread().getContextClassLoader();
        Thread.currentThread()
                .setContextClassLoader(new URLClassLoader(new URL[] {dir.toUri().toURL()}, original));
    }

    @Test
    void getters_noProvider_throwPerfExceptionNamingTheArtifact() {
        assertThatThrownBy(Perf::getQueryCache)
                .isInstanceOf(PerfException.class)
                .hasMessage("no QueryCache implementation found: add dev.perfkit:perf-cache to the class path");
        assertThatThrownBy(Perf::getMemoryManager)
                .isInstanceOf(PerfException.class)
                .hasMessageContaining("dev.perfkit:perf-memory");
        assertThatThrownBy(Perf::getQueryProfiler)
                .isInstanceOf(PerfException.class)
                .hasMessageContaining("dev.perfkit:perf-db");
        assertThatThrownBy(() -> Perf.batchProcessor(batch -> {}))
                .isInstanceOf(PerfException.class)
                .hasMessageContaining("dev.perfkit:perf-db");
        assertThatThrownBy(() -> Perf.asyncBatchProcessor(batch -> null))
                .isInstanceOf(PerfException.class)
                .hasMessageContaining("dev.perfkit:perf-db");
    }

    @Test
    void getQueryCache_withProvider_createsOnceWithTheConfiguredConfig(@TempDir Path dir) throws Exception {
        installProvider(dir);
        PerfConfig config = PerfConfig.builder().queryCacheSize(123).build();
        Perf.configure(config);

        QueryCache first = Perf.getQueryCache();
        QueryCache second = Perf.getQueryCache();

        assertThat(second).isSameAs(first);
        assertThat(first.getMaxSize()).isEqualTo(123);
        assertThat(CountingProvider.cachesCreated).hasValue(1);
        assertThat(CountingProvider.configsSeen).containsExactly(config);
        assertThat(Perf.getConfig()).isSameAs(config);
        assertThat(Perf.getMeterRegistry()).isSameAs(config.meterRegistry());
    }

    @Test
    void getQueryCache_concurrentFirstCalls_createExactlyOne(@TempDir Path dir) throws Exception {
        installProvider(dir);
        ClassLoader loader = Thread.currentThread().getContextClassLoader();
        int threads = 16;
        ExecutorService pool = Executors.newFixedThreadPool(threads);
        try {
            for (int round = 0; round < 20; round++) {
                Perf.reset();
                CountDownLatch start = new CountDownLatch(1);
                List<Future<QueryCache>> results = new ArrayList<>();
                for (int i = 0; i < threads; i++) {
                    results.add(pool.submit(() -> {
                        Thread.currentThread().setContextClassLoader(loader);
                        start.await();
                        return Perf.getQueryCache();
                    }));
                }
                start.countDown();
                Set<QueryCache> distinct = Collections.newSetFromMap(new IdentityHashMap<>());
                for (Future<QueryCache> result : results) {
                    distinct.add(result.get(10, TimeUnit.SECONDS));
                }
                assertThat(distinct).hasSize(1);
            }
        } finally {
            pool.shutdownNow();
        }
        assertThat(CountingProvider.cachesCreated).hasValue(20);
    }

    @Test
    void configure_afterComponentCreated_throwsIllegalState(@TempDir Path dir) throws Exception {
        installProvider(dir);
        Perf.getQueryCache();

        assertThatThrownBy(() -> Perf.configure(PerfConfig.builder().build()))
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("QueryCache")
                .hasMessageContaining("call Perf.configure before first use");
    }

    @Test
    void configure_beforeFirstUse_canBeRepeated() {
        PerfConfig first = PerfConfig.preset(PerformanceMode.LOW);
        PerfConfig second = PerfConfig.preset(PerformanceMode.HIGH);

        Perf.configure(first);
        Perf.configure(second);

        assertThat(Perf.getConfig()).isSameAs(second);
        assertThatThrownBy(() -> Perf.configure(null)).isInstanceOf(NullPointerException.class);
    }

    @Test
    void reset_closesWhatItCreatedAndForgetsIt(@TempDir Path dir) throws Exception {
        installProvider(dir);
        Perf.configure(PerfConfig.preset(PerformanceMode.HIGH));
        QueryCache first = Perf.getQueryCache();

        Perf.reset();

        assertThat(CountingProvider.cachesClosed).hasValue(1);
        QueryCache second = Perf.getQueryCache();
        assertThat(second).isNotSameAs(first);
        // The configuration was forgotten too: the new cache uses the environment's (MEDIUM by default here).
        assertThat(second.getMaxSize()).isEqualTo(Perf.getConfig().queryCacheSize());
        Perf.reset();
        assertThat(CountingProvider.cachesClosed).hasValue(2);
        Perf.reset(); // nothing created: nothing closed again
        assertThat(CountingProvider.cachesClosed).hasValue(2);
    }

    @Test
    void getMemoryManager_providerWithoutIt_stillNamesTheArtifact(@TempDir Path dir) throws Exception {
        installProvider(dir);
        assertThatThrownBy(Perf::getMemoryManager).hasMessageContaining("dev.perfkit:perf-memory");
        assertThat(MemoryManager.class).isInterface();
    }

    @Test
    void batchProcessor_withFactory_buildsWithConfigDefaults(@TempDir Path dir) throws Exception {
        installProvider(dir);
        Perf.configure(PerfConfig.builder().batchSize(7).build());

        BatchProcessor<String> processor =
                Perf.<String>batchProcessor(batch -> {}).name("orders").build();

        assertThat(processor.name()).isEqualTo("orders");
        assertThatThrownBy(() -> Perf.batchProcessor(null))
                .isInstanceOf(NullPointerException.class)
                .hasMessageContaining("handler");
    }
}
