package dev.hyperfresh.vmm.handover;

import java.util.Arrays;
import java.util.Locale;
import java.util.stream.Collectors;

/**
 * Where a test makes an instance SIGKILL itself (hfvisor {@code --fault POINT}) — or SIGSTOP, for a stall — to prove
 * the handover leaves every VM running on exactly one instance whatever dies or hangs when. Never set in production.
 */
public enum FaultPoint {
    /** Standby: right after it mapped the RAM and built the VMs. */
    AFTER_ADOPT,
    /** Standby: halfway through restoring the state. */
    DURING_RESTORE,
    /** Standby: after claiming the offer, before the first KVM_RUN. */
    BEFORE_RESUME,
    /** Standby: stops itself (SIGSTOP) at the same point: a claimant that hangs instead of dying. */
    STALL_BEFORE_RESUME,
    /** Old instance: after the state is in the ledger and offered, before it tells the standby. */
    AFTER_OFFER,
    /** Old instance: stops itself (SIGSTOP) at the same point: an old instance that hangs with its VMs offered. */
    STALL_AFTER_OFFER,
    /** Standby: refuse the pre-flight as an older build would (state format major 0); no kill. */
    OLD_STATE_READER;

    public String option() {
        return name().toLowerCase(Locale.ROOT).replace('_', '-');
    }

    public static FaultPoint parse(String option) {
        return Arrays.stream(values()).filter(f -> f.option().equals(option)).findFirst()
                .orElseThrow(() -> new IllegalArgumentException("unknown fault point " + option + "; known: "
                        + Arrays.stream(values()).map(FaultPoint::option).collect(Collectors.joining(", "))));
    }
}
