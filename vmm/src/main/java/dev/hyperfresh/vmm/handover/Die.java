package dev.hyperfresh.vmm.handover;

import dev.hyperfresh.sys.Sys;

/**
 * Fault injection's end: this process dies at once, as with an OOM kill or an operator's kill -9 — or, at a stall
 * point, stops where it stands, as a process does under SIGSTOP or a hung kernel call.
 */
public final class Die {
    private static final int SIGKILL = 9;
    private static final int SIGSTOP = 19;

    private Die() {
    }

    /** SIGKILLs (or, for a stall, SIGSTOPs) this process when {@code injected} is at {@code point}. */
    public static void at(FaultPoint point, FaultPoint injected) {
        if (injected != null && injected.at(point)) {
            boolean stall = injected.stall();
            System.err.println("hfvisor: fault injection: " + (stall ? "SIGSTOP" : "SIGKILL") + " at "
                    + point.option());
            System.err.flush();
            if (stall) {
                // At this thread, not the process: a process-directed stop may be taken by another thread first,
                // and this one would run on for a moment (it did, on a PVM host, into the next ledger step).
                Sys.C.tgkill(Sys.C.getpid(), Sys.C.gettid(), SIGSTOP);
            } else {
                Sys.C.kill(Sys.C.getpid(), SIGKILL);
            }
        }
    }
}
