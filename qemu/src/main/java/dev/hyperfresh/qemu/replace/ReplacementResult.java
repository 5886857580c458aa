package dev.hyperfresh.qemu.replace;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * A finished replacement. QEMU's own figures (from the source's query-migrate): {@code qemuDowntimeMs} from the
 * guest stopping to the source's end of migration, {@code qemuSetupMs}, {@code qemuTotalMs}. Ours, on
 * CLOCK_MONOTONIC: {@code blackoutUs} from the old QEMU's STOP event to the new one's RESUME event as this process
 * received them (-1 if either event was not seen), {@code totalUs} for the whole replacement including starting
 * the standby, and {@code traceUs} every step of the cutover ({@link CutoverTrace}) in microseconds since that STOP.
 * {@code warnings}: what the guest lost that the operator accepted to lose, and what failed after the commit in
 * handing the new QEMU the old one's sockets and pid file (empty when nothing).
 */
public record ReplacementResult(ReplacementMode mode, long oldPid, long newPid, Path qmpSocket, long qemuDowntimeMs,
                                long qemuSetupMs, long qemuTotalMs, long transferredBytes, long blackoutUs,
                                long totalUs, Map<String, Long> traceUs, List<String> warnings) {
    /** The trace's steps that bound the blackout, and the one that ends the replacement. */
    public static final String STOP = "source-stop";
    public static final String RESUME = "standby-resume";
    public static final String RETURNED = "returned";

    /** From the new QEMU's RESUME to {@code replace} returning: what the operator waits for after the blackout. */
    public long resumeToReturnUs() {
        return traceUs.containsKey(RESUME) && traceUs.containsKey(RETURNED)
                ? traceUs.get(RETURNED) - traceUs.get(RESUME) : -1;
    }
}
