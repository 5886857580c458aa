package dev.hyperfresh.vmm.handover;

import java.util.Locale;

/**
 * The cutover's steps in the order they happen, first on the old instance, then on the standby, then back. Each
 * side stamps its own steps (CLOCK_MONOTONIC, which both processes share) into the {@link Ledger}, so the whole
 * critical path can be read from one place even when a reply is lost (docs/HANDOVER.md, "Critical path").
 */
public enum CutoverStep {
    /** Old: the cutover begins; the kicks follow. */
    PAUSE_REQUESTED,
    /** Old: every vCPU's kick signal has been sent. */
    KICKED,
    /** Old: the last vCPU left KVM_RUN — the guest's last instruction there, time zero of the blackout. */
    PARKED,
    /** Old: every vCPU is parked and the pause is confirmed. */
    PAUSED,
    /** Old: every VM's state is saved and encoded into the ledger. */
    SAVED,
    /** Old: the ownership word reads OFFERED. */
    OFFERED,
    /** Old: the take message is on the socket. */
    TAKE_SENT,
    /** Standby: the take message is read. */
    TAKE_RECEIVED,
    /** Standby: every VM's state is decoded and restored into KVM. */
    RESTORED,
    /** Standby: OFFERED → CLAIMED. */
    CLAIMED,
    /** Standby: CLAIMED → RUNNING, the commit point. */
    RUNNING,
    /** Standby: every vCPU thread has been told to run. */
    RESUMED,
    /** Standby: the first vCPU enters KVM_RUN — the end of the blackout. */
    FIRST_RUN,
    /** Standby: the reply is on the socket. */
    REPLIED,
    /** Old: the reply is read. */
    REPLY_RECEIVED,
    // Later steps go last whatever their time: a step's ordinal is its slot in the ledger, which two builds share.
    /** Old: the first VM's first vCPU is saved, and released to the standby to restore early. */
    FIRST_VCPU_SAVED,
    /** Standby: the last early restore (of the vCPUs released before the offer) is done. */
    EARLY_RESTORED;

    public String wireName() {
        return name().toLowerCase(Locale.ROOT).replace('_', '-');
    }
}
