package dev.hyperfresh.engine;

import dev.hyperfresh.vmm.control.CutoverReply;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * A QEMU replacement, committed or rolled back ({@code reason} says why; {@code after} is then {@code before}).
 * {@code blackoutUs}: from the old QEMU's STOP to the new one's RESUME on our clock (-1 if an event was missed);
 * {@code qemuDowntimeMs}: what QEMU itself reports; {@code stateBytes}: what the migration sent (device state only
 * in shared mode); {@code memoryBytes}: the guest RAM; {@code after}: the new QEMU as it answers now;
 * {@code traceUs}: each step of the cutover (every QMP command sent and answered, every event received, the old
 * QEMU killed, the sockets moved, {@code replace} returning) in microseconds since the old QEMU's STOP, empty when
 * rolled back; {@code warnings}: guest state lost in a committed replacement because the operator accepted it
 * ({@code --accept-cpu-state-loss}), a socket or pid file of the old QEMU's not handed to the new one after the
 * commit, or the replacement not written to the history; empty as a rule.
 */
public record QemuReplaceReport(String instance, String outcome, String reason, String mode, long blackoutUs,
                                long qemuDowntimeMs, long stateBytes, long memoryBytes, Map<String, Long> phasesUs,
                                QemuRef before, QemuRef after, Map<String, Long> traceUs, List<String> warnings) {
    public boolean committed() {
        return CutoverReply.COMMITTED.equals(outcome);
    }

    /** This report with {@code warning} said last. */
    public QemuReplaceReport withWarning(String warning) {
        List<String> more = new ArrayList<>(warnings);
        more.add(warning);
        return new QemuReplaceReport(instance, outcome, reason, mode, blackoutUs, qemuDowntimeMs, stateBytes,
                memoryBytes, phasesUs, before, after, traceUs, List.copyOf(more));
    }

    /** One QEMU process as a report names it. */
    public record QemuRef(long pid, String version, String status) {
    }
}
