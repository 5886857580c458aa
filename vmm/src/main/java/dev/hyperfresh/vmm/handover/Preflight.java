package dev.hyperfresh.vmm.handover;

import dev.hyperfresh.kvm.Cpuid;
import dev.hyperfresh.kvm.CpuidEntry;
import dev.hyperfresh.kvm.snapshot.VcpuSnapshot;
import dev.hyperfresh.kvm.snapshot.VmSnapshot;
import dev.hyperfresh.vmm.memory.MemoryLayout;
import dev.hyperfresh.vmm.persist.StateCodec;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * The standby's checks of an {@link Offer} against its own KVM and build, run before the old instance pauses
 * anything: every reason found is reported, so an operator fixes them all at once.
 */
final class Preflight {
    /**
     * CPUID feature words a guest may rely on: leaf, subleaf, register (0 EAX .. 3 EDX), bits KVM may flip at run
     * time. The offer's words are what its vCPU 0 presents (KVM_GET_CPUID2); they are compared with what a vCPU of
     * this KVM presents ({@link StandbyKvm}), not with KVM_GET_SUPPORTED_CPUID: on PVM a vCPU presents the host's
     * bits, far more than that list, and every standby would be refused.
     */
    private record FeatureWord(int leaf, int subleaf, int register, int dynamicBits, String name) {
    }

    private static final List<FeatureWord> FEATURES = List.of(
            // OSXSAVE follows the guest's CR4; the hypervisor bit is hfvisor's own, not a KVM feature
            new FeatureWord(1, 0, 2, 1 << 27 | 1 << 31, "CPUID.1:ECX"),
            new FeatureWord(1, 0, 3, 1 << 9, "CPUID.1:EDX"),        // APIC follows the APIC base MSR
            new FeatureWord(7, 0, 1, 0, "CPUID.7.0:EBX"),
            new FeatureWord(7, 0, 2, 1 << 4, "CPUID.7.0:ECX"),      // OSPKE follows CR4.PKE
            new FeatureWord(7, 0, 3, 0, "CPUID.7.0:EDX"),
            new FeatureWord(0x80000001, 0, 2, 0, "CPUID.80000001:ECX"),
            new FeatureWord(0x80000001, 0, 3, 0, "CPUID.80000001:EDX"));

    private Preflight() {
    }

    /**
     * Every reason this standby cannot take the offer; empty when it can. {@code memfdSizes} are the sizes of the
     * descriptors received, null in copy mode (none come: the standby creates the RAM the pages are copied into).
     */
    static List<String> problems(Offer offer, StandbyKvm here, Set<String> adoptableGuests, int readableStateMajor,
                                 long[] memfdSizes) {
        List<String> out = new ArrayList<>();
        Offer.Formats f = offer.formats();
        if (f.stateMajor() != readableStateMajor || f.stateMinor() > StateCodec.MINOR) {
            out.add("saved-state format " + f.stateMajor() + "." + f.stateMinor() + " is not readable by this build"
                    + " (reads " + readableStateMajor + ".0-" + StateCodec.MINOR + ")");
        }
        if (f.vcpuFormat() != VcpuSnapshot.FORMAT_VERSION || f.vmFormat() != VmSnapshot.FORMAT_VERSION) {
            out.add("vCPU/VM state versions " + f.vcpuFormat() + "/" + f.vmFormat() + " differ from this build's "
                    + VcpuSnapshot.FORMAT_VERSION + "/" + VmSnapshot.FORMAT_VERSION);
        }
        if (offer.tscKhz() != here.tscKhz() && !here.tscScalable()) {
            out.add("TSC frequency differs (" + offer.tscKhz() + " kHz there, " + here.tscKhz() + " kHz here) and this"
                    + " KVM cannot scale it");
        }
        Set<Integer> msrs = Arrays.stream(here.saveableMsrs()).boxed().collect(Collectors.toSet());
        for (int i = 0; i < offer.vms().size(); i++) {
            Offer.VmOffer vm = offer.vms().get(i);
            String prefix = "VM " + vm.name() + ": ";
            if (!adoptableGuests.contains(vm.guestKind())) {
                out.add(prefix + "guest kind " + vm.guestKind() + " cannot be adopted by this build (it knows "
                        + String.join(", ", adoptableGuests) + ")");
            }
            if (memfdSizes != null && (i >= memfdSizes.length || memfdSizes[i] != vm.memoryBytes())) {
                out.add(prefix + "the memory descriptor received does not hold " + vm.memoryBytes() + " bytes");
            } else if (!MemoryLayout.forSize(vm.memoryBytes()).equals(vm.regions())) {
                out.add(prefix + "this build lays out " + vm.memoryBytes() + " bytes of RAM differently");
            }
            List<String> missingMsrs = Arrays.stream(vm.msrIndices()).filter(m -> !msrs.contains(m))
                    .mapToObj(m -> "0x" + Integer.toHexString(m)).toList();
            if (!missingMsrs.isEmpty()) {
                out.add(prefix + "this KVM cannot restore MSRs " + String.join(", ", missingMsrs));
            }
            Cpuid guest = new Cpuid(vm.cpuid());
            for (FeatureWord w : FEATURES) {
                int wanted = guest.find(w.leaf(), w.subleaf()).map(e -> reg(e, w.register())).orElse(0)
                        & ~w.dynamicBits();
                int have = here.presentedCpuid().find(w.leaf(), w.subleaf()).map(e -> reg(e, w.register()))
                        .orElse(0);
                if ((wanted & ~have) != 0) {
                    out.add(prefix + "a vCPU of this KVM lacks guest CPU features " + w.name() + " bits 0x"
                            + Integer.toHexString(wanted & ~have));
                }
            }
        }
        return out;
    }

    private static int reg(CpuidEntry e, int register) {
        return switch (register) {
            case 0 -> e.eax();
            case 1 -> e.ebx();
            case 2 -> e.ecx();
            default -> e.edx();
        };
    }
}
