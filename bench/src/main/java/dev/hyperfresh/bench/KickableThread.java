package dev.hyperfresh.bench;

import dev.hyperfresh.sys.SysException;
import dev.hyperfresh.sys.ThreadSignals;
import dev.hyperfresh.vmm.vm.VcpuGate;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.CompletableFuture;

/**
 * A vCPU thread with only KVM_RUN left out: what {@code VcpuLoop} does around it, with the kernel's view of
 * KVM_RUN under KVM_SET_SIGNAL_MASK in its place ({@link ThreadSignals#sleepUntilKicked()}): kick blocked in the
 * thread, unblocked only while it sleeps there; on the kick, drain, then {@link VcpuGate#awaitRunnable()}. That is
 * an idle vCPU (a halted guest sleeps in KVM_RUN). A {@code busy} one stands for a guest that computes: it burns
 * its CPU in "KVM_RUN" and looks for the kick every few microseconds, so the scheduler sees it as the CPU-bound
 * thread a busy vCPU is, which on a loaded host waits for its turn before it can leave KVM_RUN.
 */
final class KickableThread implements AutoCloseable {
    /** x86-64's rt_sigtimedwait, as /proc/PID/task/TID/syscall shows a thread blocked in it. */
    private static final String SIGTIMEDWAIT = "128 ";
    private static final long BUSY_CHECK_NS = 5_000;

    private final VcpuGate gate;
    private final Thread thread;
    private final boolean busy;
    private final CompletableFuture<Integer> tid = new CompletableFuture<>();
    private volatile boolean running;

    KickableThread(VcpuGate gate, int id, boolean busy) {
        this.gate = gate;
        this.busy = busy;
        this.thread = new Thread(this::run, "bench-vcpu-" + id);
        thread.setDaemon(true);
        thread.start();
    }

    private void run() {
        try {
            ThreadSignals.blockKickInCurrentThread();
            tid.complete(ThreadSignals.currentTid());
            while (gate.awaitRunnable()) {
                if (busy) {
                    running = true;
                    computeUntilKicked();   // KVM_RUN running a busy guest; the check drains the kick
                    running = false;
                } else {
                    ThreadSignals.sleepUntilKicked();   // KVM_RUN, until the kick
                    ThreadSignals.drain();               // Vcpu.acknowledgeKick
                }
            }
        } catch (RuntimeException | Error e) {
            tid.completeExceptionally(e);
            throw e;
        } finally {
            gate.gone();
        }
    }

    private static void computeUntilKicked() {
        do {
            long until = System.nanoTime() + BUSY_CHECK_NS;
            while (System.nanoTime() < until) {
                Thread.onSpinWait();
            }
        } while (!ThreadSignals.drain());
    }

    int tid() {
        return tid.join();
    }

    /** Whether the thread sleeps in its "KVM_RUN" now, so that a kick finds it where a real one would. */
    boolean inRun() {
        if (busy) {
            return running;
        }
        try {
            return Files.readString(Path.of("/proc/self/task/" + tid() + "/syscall")).startsWith(SIGTIMEDWAIT);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Whether the thread waits in the gate (Object.wait), parked. */
    boolean parked() {
        return thread.getState() == Thread.State.WAITING;
    }

    /** After {@link VcpuGate#stop()}: kicks the thread out of its "KVM_RUN" and waits for it to end. */
    @Override
    public void close() throws InterruptedException {
        long deadline = System.nanoTime() + 5_000_000_000L;
        while (thread.isAlive() && System.nanoTime() < deadline) {
            try {
                ThreadSignals.kick(tid());
            } catch (SysException e) {
                // it ended between the check and the kick
            }
            thread.join(10);
        }
    }
}
