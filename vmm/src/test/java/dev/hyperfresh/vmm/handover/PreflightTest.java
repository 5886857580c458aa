package dev.hyperfresh.vmm.handover;

import static org.assertj.core.api.Assertions.assertThat;

import dev.hyperfresh.kvm.Cpuid;
import dev.hyperfresh.kvm.CpuidEntry;
import dev.hyperfresh.kvm.snapshot.VcpuSnapshot;
import dev.hyperfresh.kvm.snapshot.VmSnapshot;
import dev.hyperfresh.vmm.control.MemoryMode;
import dev.hyperfresh.vmm.memory.MemoryLayout;
import dev.hyperfresh.vmm.persist.StateCodec;
import dev.hyperfresh.vmm.vm.VmConfig;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** The CPUID part of the pre-flight: the offer's vCPU against what a vCPU of the standby's KVM presents. */
class PreflightTest {
    private static final long RAM = 64L << 20;
    private static final int[] MSRS = {0x10, 0xc0000081};
    /** Seen on a PVM host: leaf 1 ECX and 7.0 EBX as a vCPU presents them, and KVM_GET_SUPPORTED_CPUID's 1 ECX. */
    private static final int PVM_PRESENTED_1_ECX = 0xf7f83203;
    private static final int PVM_PRESENTED_7_EBX = 0xf1bf03ab;
    private static final int PVM_SUPPORTED_1_ECX = 0x81202000;
    private static final int AVX2 = 1 << 5;

    private static Cpuid cpuid(int leaf1Ecx, int leaf7Ebx) {
        return new Cpuid(List.of(new CpuidEntry(1, 0, 0, 0x806f8, 0, leaf1Ecx, 0x178bfbff),
                new CpuidEntry(7, 0, CpuidEntry.FLAG_SIGNIFCANT_INDEX, 0, leaf7Ebx, 0, 0)));
    }

    private static Offer offer(Cpuid vcpu) {
        Offer.VmOffer vm = new Offer.VmOffer("web", RAM, 1, false, VmConfig.HFGUEST, "none",
                MemoryLayout.forSize(RAM), vcpu.entries(), MSRS, false, null, null, null, null);
        return new Offer(1, "old", "/run/old.sock", "v", "b", new Offer.Formats(StateCodec.MAJOR, StateCodec.MINOR,
                VcpuSnapshot.FORMAT_VERSION, VmSnapshot.FORMAT_VERSION), 2_000_000, List.of(vm),
                MemoryMode.REMAP, false, false, null, null);
    }

    private static List<String> problems(Offer offer, Cpuid presented) {
        return Preflight.problems(offer, new StandbyKvm(presented, MSRS, 2_000_000, false), Set.of(VmConfig.HFGUEST),
                StateCodec.MAJOR, new long[] {RAM});
    }

    @Test
    void aPvmVcpuThatPresentsFarMoreThanKvmSupportsIsAccepted() {
        Cpuid presented = cpuid(PVM_PRESENTED_1_ECX, PVM_PRESENTED_7_EBX);
        assertThat(PVM_PRESENTED_1_ECX & ~PVM_SUPPORTED_1_ECX).as("presented ⊋ supported").isNotZero();
        assertThat(problems(offer(presented), presented)).isEmpty();
    }

    @Test
    void aFeatureTheStandbysVcpuLacksIsStillRefused() {
        List<String> problems = problems(offer(cpuid(PVM_PRESENTED_1_ECX, PVM_PRESENTED_7_EBX)),
                cpuid(PVM_PRESENTED_1_ECX, PVM_PRESENTED_7_EBX & ~AVX2));
        assertThat(problems).containsExactly("VM web: a vCPU of this KVM lacks guest CPU features CPUID.7.0:EBX bits"
                + " 0x20");
    }

    @Test
    void bitsThatFollowTheGuestsOwnStateAreNotCompared() {
        int osxsave = 1 << 27;
        assertThat(problems(offer(cpuid(PVM_SUPPORTED_1_ECX | osxsave, 0)), cpuid(PVM_SUPPORTED_1_ECX, 0)))
                .isEmpty();
    }
}
