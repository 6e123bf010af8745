package dev.perfkit.async.bulkhead;

import java.lang.reflect.Method;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.SynchronousQueue;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/*
 * The executors behind the task pools. On JDK 21 and later (found at run time, so the module still
 * compiles and runs on 17), tasks run on virtual threads named perfkit-async-virtual-N; otherwise
 * on a cached pool of daemon platform threads named perfkit-async-N. Either way the pools' own
 * bulkheads bound how many run at once, so the executor itself needs no bound.
 */
final class PoolExecutors {
    private PoolExecutors() {}

    /** Whether this JDK has virtual threads. */
    static boolean virtualThreadsAvailable() {
        try {
            Thread.class.getMethod("ofVirtual");
            return true;
        } catch (NoSuchMethodException e) {
            return false;
        }
    }

    static ExecutorService taskExecutor(boolean preferVirtual) {
        if (preferVirtual && virtualThreadsAvailable()) {
            try {
                Object builder = Thread.class.getMethod("ofVirtual").invoke(null);
                Class<?> builderType = Class.forName("java.lang.Thread$Builder");
                builder = builderType
                        .getMethod("name", String.class, long.class)
                        .invoke(builder, "perfkit-async-virtual-", 1L);
                ThreadFactory factory =
                        (ThreadFactory) builderType.getMethod("factory").invoke(builder);
                Method perTask = Executors.class.getMethod("newThreadPerTaskExecutor", ThreadFactory.class);
                return (ExecutorService) perTask.invoke(null, factory);
            } catch (ReflectiveOperationException | RuntimeException e) {
                // fall through to platform threads
            }
        }
        return new ThreadPoolExecutor(
                0, Integer.MAX_VALUE, 30, TimeUnit.SECONDS, new SynchronousQueue<>(), daemons("perfkit-async-"));
    }

    static ThreadFactory daemons(String prefix) {
        AtomicInteger count = new AtomicInteger();
        return runnable -> {
            Thread thread = new Thread(runnable, prefix + count.incrementAndGet());
            thread.setDaemon(true);
            return thread;
        };
    }
}
