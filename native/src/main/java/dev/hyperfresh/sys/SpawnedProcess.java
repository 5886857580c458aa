package dev.hyperfresh.sys;

import java.io.InputStream;
import java.io.OutputStream;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * A child {@link Spawn} started, as a {@link Process}: waited for through a pidfd by a thread of its own, which
 * reaps it (its exit status kept, 128 + the signal's number when a signal ended it, as the JDK reports it) and is
 * what every wait waits for. It has no pipes: its output went to its log.
 */
final class SpawnedProcess extends Process {
    private static final int SIGTERM = 15;
    private static final int SIGKILL = 9;
    /** It only waits: the JDK's own reaper threads run on as little. */
    private static final long REAPER_STACK_BYTES = 128 * 1024;

    private final int pid;
    private final Fd pidfd;
    private final CompletableFuture<Process> exited;
    /** Its exit status once reaped; guarded by this. */
    private Integer status;

    /**
     * Reaped the moment it exits by a thread of its own, as the JDK reaps the processes it starts: no zombie is left
     * for a console's lifetime, and whoever sees it exit (through a pidfd of its own) finds it gone a moment later.
     */
    SpawnedProcess(int pid) {
        this.pid = pid;
        this.pidfd = Pidfd.open(pid);
        this.exited = new CompletableFuture<>();
        Thread reaper = new Thread(null, () -> {
            try {
                while (isAlive()) {
                    Pidfd.awaitExit(pidfd, -1);
                }
                reap();
                exited.complete(this);
            } catch (RuntimeException e) {
                exited.completeExceptionally(e);
            } finally {
                pidfd.close();   // here only: nothing else waits on it, and once reaped nothing else reads it
            }
        }, "reaper of process " + pid, REAPER_STACK_BYTES);
        reaper.setDaemon(true);
        reaper.start();
    }

    @Override
    public long pid() {
        return pid;
    }

    @Override
    public synchronized boolean isAlive() {
        return status == null && !Pidfd.hasExited(pidfd);
    }

    @Override
    public int exitValue() {
        if (isAlive()) {
            throw new IllegalThreadStateException("process " + pid + " has not exited");
        }
        return reap();
    }

    @Override
    public int waitFor() throws InterruptedException {
        try {
            exited.get();
        } catch (ExecutionException e) {
            throw new IllegalStateException("the reaper of process " + pid + " failed", e.getCause());
        }
        return reap();
    }

    @Override
    public boolean waitFor(long timeout, TimeUnit unit) throws InterruptedException {
        try {
            exited.get(timeout, unit);
            return true;
        } catch (TimeoutException e) {
            return false;
        } catch (ExecutionException e) {
            throw new IllegalStateException("the reaper of process " + pid + " failed", e.getCause());
        }
    }

    @Override
    public void destroy() {
        signal(SIGTERM);
    }

    @Override
    public Process destroyForcibly() {
        signal(SIGKILL);
        return this;
    }

    /** Completes once it has exited and been reaped. */
    @Override
    public CompletableFuture<Process> onExit() {
        return exited.copy();
    }

    @Override
    public ProcessHandle toHandle() {
        return ProcessHandle.of(pid).orElseThrow(() -> new IllegalStateException("process " + pid + " is gone"));
    }

    @Override
    public OutputStream getOutputStream() {
        return OutputStream.nullOutputStream();
    }

    @Override
    public InputStream getInputStream() {
        return InputStream.nullInputStream();
    }

    @Override
    public InputStream getErrorStream() {
        return InputStream.nullInputStream();
    }

    @Override
    public String toString() {
        return "process " + pid;
    }

    private void signal(int signal) {
        synchronized (this) {
            if (status == null) {
                Pidfd.sendSignal(pidfd, signal);
            }
        }
    }

    /** Reaps it (it has exited: exitValue() may come before the reaper); later calls return the status kept. */
    private synchronized int reap() {
        if (status == null) {
            int[] raw = new int[1];
            while (Sys.C.waitpid(pid, raw, 0) < 0) {
                int errno = Sys.errno();
                if (errno != Sys.EINTR) {
                    throw new SysException("waitpid(" + pid + ")", errno);
                }
            }
            int signal = raw[0] & 0x7f;
            status = signal == 0 ? (raw[0] >> 8) & 0xff : 128 + signal;
        }
        return status;
    }
}
