package dev.hyperfresh.qemu;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.Set;

/**
 * How a QEMU libvirt runs shows: libvirt knows a domain by its QEMU process and that process's monitor connection,
 * so hyperfresh leaves such a QEMU alone (replaced, libvirt would take the old process's end for the domain's crash).
 */
public final class Libvirt {
    /** The id libvirt gives the QMP monitor of every QEMU it starts, and its daemon reconnects to when it restarts. */
    public static final String MONITOR = "charmonitor";
    /** libvirt's monolithic and QEMU daemons, and virt-qemu-run, its QEMU driver without a daemon. */
    private static final Set<String> PROGRAMS = Set.of("libvirtd", "virtqemud", "virt-qemu-run");
    /** How to move a domain instead, for the sentences that refuse one. */
    public static final String ITS_OWN_MEANS = "move a libvirt domain by libvirt's own means (virsh migrate to another"
            + " host, virsh save and restore)";

    private Libvirt() {
    }

    /** Whether QEMU's {@code chardevs} ({@code query-chardev}'s answer) include libvirt's monitor. */
    public static boolean hasItsMonitor(JsonNode chardevs) {
        for (JsonNode chardev : chardevs) {
            if (isItsMonitor(chardev.path("label").asText(""))) {
                return true;
            }
        }
        return false;
    }

    /** Whether a chardev or monitor id is the one libvirt gives its monitor. */
    public static boolean isItsMonitor(String id) {
        return id.equals(MONITOR);
    }

    /** Whether {@code program} (a process's name) is libvirt's. */
    public static boolean isLibvirt(String program) {
        return PROGRAMS.contains(program);
    }
}
