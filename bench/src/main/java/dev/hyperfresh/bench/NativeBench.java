package dev.hyperfresh.bench;

import dev.hyperfresh.kvm.ExitReason;
import dev.hyperfresh.kvm.snapshot.SaveableMsrs;
import dev.hyperfresh.kvm.snapshot.VcpuSnapshot;
import dev.hyperfresh.kvm.snapshot.VmSnapshot;
import dev.hyperfresh.testkit.TinyGuest;
import java.util.Arrays;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The two costs the blackout of a handover is made of, per vCPU, on this host's /dev/kvm: kicking a vCPU out of
 * KVM_RUN, and saving + restoring its state (plus the VM-wide state). Prints min/median/p99/max in microseconds.
 * Usage: {@code bin/bench-native [runs]}. Warm-up runs are discarded (cold JNR stubs and interpreted code cost
 * milliseconds the first time; see shared notes on JVM latency).
 */
public final class NativeBench {
    private static final byte[] SPIN = {(byte) 0xeb, (byte) 0xfe};
    private static final int WARMUP = 50;

    private NativeBench() {
    }

    public static void main(String[] args) throws Exception {
        int runs = args.length > 0 ? Integer.parseInt(args[0]) : 200;
        System.out.println("# HyperFresh native benchmark, " + runs + " runs after " + WARMUP + " warm-up");
        System.out.println("# KVM: " + HostKvm.describe());
        kick(runs);
        stateRoundTrip(runs);
    }

    private static void kick(int runs) throws InterruptedException {
        try (TinyGuest g = new TinyGuest(SPIN, false)) {
            AtomicLong exitedAt = new AtomicLong();
            AtomicLong requested = new AtomicLong();
            int total = WARMUP + runs;
            CountDownLatch bound = new CountDownLatch(1);
            Thread t = new Thread(() -> {
                g.vcpu.bindToCurrentThread();
                bound.countDown();
                long handled = 0;
                while (handled < total) {
                    if (g.vcpu.run() != ExitReason.INTR) {
                        throw new IllegalStateException("spinning guest exited on its own");
                    }
                    long exited = System.nanoTime();
                    g.vcpu.acknowledgeKick();
                    long request = requested.get();
                    if (request > handled) {
                        handled = request;
                        exitedAt.set(exited);
                    }
                }
            }, "bench-vcpu");
            t.setDaemon(true);
            t.start();
            bound.await();
            long[] ns = new long[total];
            for (int i = 0; i < total; i++) {
                Thread.sleep(1);
                exitedAt.set(0);
                requested.set(i + 1);
                long t0 = System.nanoTime();
                g.vcpu.kick();
                while (exitedAt.get() == 0) {
                    Thread.onSpinWait();
                }
                ns[i] = Math.max(0, exitedAt.get() - t0);
            }
            t.join(5000);
            report("kick (kick -> KVM_RUN returns EINTR)", Arrays.copyOfRange(ns, WARMUP, total));
        }
    }

    private static void stateRoundTrip(int runs) {
        try (TinyGuest a = new TinyGuest(SPIN, true); TinyGuest b = new TinyGuest(SPIN, true)) {
            a.vcpu.completePendingExit();
            int[] msrs = SaveableMsrs.of(a.kvm, a.vcpu);
            int total = WARMUP + runs;
            long[] save = new long[total];
            long[] restore = new long[total];
            for (int i = 0; i < total; i++) {
                long t0 = System.nanoTime();
                VcpuSnapshot vcpu = VcpuSnapshot.save(a.vcpu, msrs);
                VmSnapshot vm = VmSnapshot.save(a.vm);
                long t1 = System.nanoTime();
                vcpu.restoreInto(b.vcpu);
                vm.restoreInto(b.vm);
                long t2 = System.nanoTime();
                save[i] = t1 - t0;
                restore[i] = t2 - t1;
            }
            System.out.println("# vCPU state: " + msrs.length + " MSRs, xsave " + a.kvm.xsaveSize() + " bytes");
            report("save 1 vCPU + VM-wide state", Arrays.copyOfRange(save, WARMUP, total));
            report("restore 1 vCPU + VM-wide state", Arrays.copyOfRange(restore, WARMUP, total));
        }
    }

    private static void report(String what, long[] ns) {
        Stats s = Stats.of(ns);
        System.out.printf("%-40s median %8.1f us   min %8.1f   p99 %8.1f   max %8.1f   (n=%d)%n", what,
                s.median() / 1e3, s.min() / 1e3, s.p99() / 1e3, s.max() / 1e3, s.n());
    }
}
