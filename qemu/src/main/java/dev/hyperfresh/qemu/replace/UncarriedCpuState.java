package dev.hyperfresh.qemu.replace;

import com.fasterxml.jackson.databind.JsonNode;
import dev.hyperfresh.kvm.Kvm;
import dev.hyperfresh.kvm.KvmFlavor;
import dev.hyperfresh.qemu.qmp.QmpClient;
import java.util.Map;
import java.util.Optional;

/**
 * CPU state of the guest that QEMU's migration would drop. QEMU carries the XSAVE state (AVX and beyond) only when
 * its CPU model has XSAVE, and it builds that model from what KVM reports as supported. PVM reports no XSAVE yet
 * presents the host's CPUID to every guest, so a guest there uses AVX that QEMU does not know of: each migration
 * (QEMU's own switch as ours) zeroes the upper halves of the guest's ymm registers, as hfguest's canaries show. On
 * VMX/SVM KVM holds the guest to QEMU's model, and there is nothing to lose.
 *
 * <p>Whether the guest has enabled XSAVE cannot be asked without harm: QEMU reads a vCPU's registers only by
 * fetching its whole state and writing it back, and on PVM that write-back is itself the loss. So the rule looks at
 * the host and the model alone.
 */
final class UncarriedCpuState {
    private UncarriedCpuState() {
    }

    /** What a migration of this QEMU's guest would lose, in words for the operator; empty when nothing. */
    static Optional<String> find(QmpClient qmp) {
        JsonNode cpus = qmp.execute("query-cpus-fast");
        if (cpus.isEmpty()) {
            return Optional.empty();
        }
        boolean modelHasXsave = qmp.execute("qom-get", Map.of("path", cpus.get(0).path("qom-path").asText(),
                "property", "xsave")).asBoolean();
        return find(modelHasXsave, modelHasXsave ? KvmFlavor.UNKNOWN : Kvm.hostFlavor());
    }

    static Optional<String> find(boolean modelHasXsave, KvmFlavor host) {
        if (modelHasXsave || host != KvmFlavor.PVM) {
            return Optional.empty();
        }
        return Optional.of("QEMU's CPU model for it has no XSAVE, while this host's KVM (PVM) lets the guest use"
                + " XSAVE and AVX all the same, so QEMU's migration does not carry the guest's AVX registers: if the"
                + " guest uses them (Linux user space does), their upper halves come back zero");
    }
}
