package dev.hyperfresh.vmm.vm;

import dev.hyperfresh.kvm.ExitReason;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.atomic.AtomicLongArray;

/**
 * How often a VM's vCPUs came back from KVM_RUN, by exit reason and, for port I/O, by port; and which failed
 * instructions hfvisor finished itself. What a guest costs its host is mostly this (e.g. one exit per console
 * byte). Counted on the vCPU threads with one atomic add per exit: no lock, no allocation.
 */
public final class ExitCounts {
    private static final ExitReason[] REASONS = ExitReason.values();
    private static final int PORTS = 0x10000;
    private final AtomicLongArray byReason = new AtomicLongArray(REASONS.length);
    private final AtomicLongArray byPort = new AtomicLongArray(PORTS);
    private final AtomicLongArray emulated = new AtomicLongArray(Emulated.values().length);

    /** Instructions KVM failed to emulate that hfvisor finished as the CPU would. */
    public enum Emulated { INT3, XGETBV }

    void exit(ExitReason reason) {
        byReason.getAndIncrement(reason.ordinal());
    }

    void io(int port) {
        byPort.getAndIncrement(port);
    }

    /** Returns the count before this one. */
    long recordEmulated(Emulated what) {
        return emulated.getAndIncrement(what.ordinal());
    }

    public long emulatedCount(Emulated what) {
        return emulated.get(what.ordinal());
    }

    /** Every return from KVM_RUN, kicks ({@code intr}) included. */
    public long total() {
        long n = 0;
        for (int i = 0; i < REASONS.length; i++) {
            n += byReason.get(i);
        }
        return n;
    }

    public long ofReason(ExitReason reason) {
        return byReason.get(reason.ordinal());
    }

    public long ofPort(int port) {
        return byPort.get(port);
    }

    /** Non-zero counts by exit reason, e.g. {@code io}, {@code hlt}, {@code intr}. */
    public Map<String, Long> byReason() {
        Map<String, Long> out = new TreeMap<>();
        for (ExitReason r : REASONS) {
            long n = byReason.get(r.ordinal());
            if (n != 0) {
                out.put(r.name().toLowerCase(Locale.ROOT), n);
            }
        }
        return out;
    }

    /** Non-zero I/O exit counts by port, keyed {@code 0xe9}. */
    public Map<String, Long> ioByPort() {
        Map<String, Long> out = new TreeMap<>();
        for (int p = 0; p < PORTS; p++) {
            long n = byPort.get(p);
            if (n != 0) {
                out.put(String.format("0x%x", p), n);
            }
        }
        return out;
    }

    /** Non-zero counts of instructions hfvisor finished itself, e.g. {@code xgetbv}. */
    public Map<String, Long> emulated() {
        Map<String, Long> out = new TreeMap<>();
        for (Emulated e : Emulated.values()) {
            long n = emulated.get(e.ordinal());
            if (n != 0) {
                out.put(e.name().toLowerCase(Locale.ROOT), n);
            }
        }
        return out;
    }
}
