package dev.hyperfresh.vmm.handover;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Where a test makes an instance SIGKILL itself (hfvisor {@code --fault POINT}) — or SIGSTOP, for a stall
 * ({@code --fault stall-POINT}) — to prove the handover leaves every VM running on exactly one instance whatever dies
 * or hangs when (docs/HANDOVER.md, the fault matrix). One point per step of a replacement; each is one
 * {@code Die.at(point, injected)} line where the step happens. Never set in production.
 */
public final class FaultPoint {
    private static final String STALL = "stall-";
    private static final Map<String, FaultPoint> KNOWN = new LinkedHashMap<>();

    /** Standby: as it starts, before it binds its control socket. */
    public static final FaultPoint STANDBY_START = define("standby-start");
    /** Old instance: the adopt (offer and descriptors) sent, the standby's reply not yet read. */
    public static final FaultPoint REMAP = define("remap");
    /** Standby: right after it mapped the RAM and built the VMs. */
    public static final FaultPoint AFTER_ADOPT = define("after-adopt");
    /** Old instance: at the cutover, before it pauses any VM. */
    public static final FaultPoint PAUSE = define("pause");
    /** Old instance: every VM paused, before their state is saved. */
    public static final FaultPoint SAVE = define("save");
    /** Old instance: after the state is in the ledger and offered, before it tells the standby. */
    public static final FaultPoint AFTER_OFFER = define("after-offer");
    /** Standby: halfway through restoring the state. */
    public static final FaultPoint DURING_RESTORE = define("during-restore");
    /** Standby: after claiming the offer, before the first KVM_RUN. */
    public static final FaultPoint BEFORE_RESUME = define("before-resume");
    /** Standby: the commit (ledger RUNNING) done, before it wakes the vCPUs. */
    public static final FaultPoint AFTER_COMMIT = define("after-commit");
    /** Standby: it runs the VMs under the old name, before it replies to the old instance. */
    public static final FaultPoint BEFORE_REPLY = define("before-reply");
    /** Old instance: the standby's reply read, before it answers its own client. */
    public static final FaultPoint TAKEN = define("taken");
    /** Old instance: after answering "committed", before it releases the VMs and exits. */
    public static final FaultPoint RELEASE = define("release");
    /** Standby: refuse the pre-flight as an older build would (state format major 0); no kill. */
    public static final FaultPoint OLD_STATE_READER = define("old-state-reader");

    private final String option;
    private final FaultPoint stalled;
    private final FaultPoint point;

    private FaultPoint(String option, FaultPoint point) {
        this.option = option;
        this.point = point == null ? this : point;
        this.stalled = point == null ? new FaultPoint(STALL + option, this) : null;
    }

    private static FaultPoint define(String option) {
        FaultPoint p = new FaultPoint(option, null);
        KNOWN.put(option, p);
        return p;
    }

    /** True when this injected fault is at {@code point} (killing or stalling there). */
    boolean at(FaultPoint point) {
        return this.point == point;
    }

    /** A SIGSTOP (a hang) rather than a SIGKILL (a death). */
    boolean stall() {
        return stalled == null;
    }

    public String option() {
        return option;
    }

    /** The stall at the same point (SIGSTOP instead of SIGKILL). */
    public FaultPoint stalled() {
        return point.stalled;
    }

    public static FaultPoint parse(String option) {
        boolean stall = option.startsWith(STALL);
        FaultPoint p = KNOWN.get(stall ? option.substring(STALL.length()) : option);
        if (p == null) {
            throw new IllegalArgumentException("unknown fault point " + option + "; known: "
                    + String.join(", ", KNOWN.keySet()) + ", each also as stall-POINT");
        }
        return stall ? p.stalled : p;
    }

    @Override
    public String toString() {
        return option;
    }
}
