package dev.hyperfresh.vmm.handover;

import dev.hyperfresh.sys.Sys;

/** Fault injection's end: this process dies at once, as with an OOM kill or an operator's kill -9. */
final class Die {
    private static final int SIGKILL = 9;

    private Die() {
    }

    static void at(FaultPoint point, FaultPoint injected) {
        if (point == injected) {
            System.err.println("hfvisor: fault injection: SIGKILL at " + point.option());
            System.err.flush();
            Sys.C.kill(Sys.C.getpid(), SIGKILL);
        }
    }
}
