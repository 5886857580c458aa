package dev.hyperfresh.testkit;

import dev.hyperfresh.sys.Sys;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;

/** A thread of this process that waits (at most 30 s) until closed: a tid for the calls that act on one. */
public final class WaitingThread implements AutoCloseable {
    private final CountDownLatch done = new CountDownLatch(1);
    private final int tid;

    private WaitingThread() throws InterruptedException, ExecutionException {
        CompletableFuture<Integer> id = new CompletableFuture<>();
        Thread t = new Thread(() -> {
            id.complete(Sys.C.gettid());
            try {
                done.await(30, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        });
        t.setDaemon(true);
        t.start();
        tid = id.get();
    }

    public static WaitingThread start() throws InterruptedException, ExecutionException {
        return new WaitingThread();
    }

    public int tid() {
        return tid;
    }

    @Override
    public void close() {
        done.countDown();
    }
}
