package dev.hyperfresh.vmm.control;

import java.nio.file.Path;

/**
 * A {@code handover-prepare} request: the standby's control socket, how RAM moves, and whether the cutover
 * compares guest-memory checksums of both sides before the standby takes over (costs blackout time).
 * {@code clientPid} is the requesting process as the kernel names it (SO_PEERCRED; 0 if unknown): the prepared
 * handover lasts only as long as that process, so no console that went away leaves an instance prepared for good.
 */
public record PrepareRequest(Path target, MemoryMode memory, boolean verify, int clientPid) {
    public PrepareRequest(Path target) {
        this(target, MemoryMode.REMAP, false, 0);
    }
}
