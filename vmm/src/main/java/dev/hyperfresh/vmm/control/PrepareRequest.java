package dev.hyperfresh.vmm.control;

import java.nio.file.Path;

/**
 * A {@code handover-prepare} request: the standby's control socket, how RAM moves, and whether the cutover
 * compares guest-memory checksums of both sides before the standby takes over (costs blackout time).
 */
public record PrepareRequest(Path target, MemoryMode memory, boolean verify) {
    public PrepareRequest(Path target) {
        this(target, MemoryMode.REMAP, false);
    }
}
