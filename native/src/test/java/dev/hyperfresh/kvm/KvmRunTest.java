package dev.hyperfresh.kvm;

import static org.assertj.core.api.Assertions.assertThat;

import dev.hyperfresh.testkit.RequiresKvm;
import dev.hyperfresh.testkit.TinyGuest;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

@RequiresKvm
class KvmRunTest {
    /** mov al, 0x42 ; out 0x10, al ; mov dx, 0x3f8 ; in al, dx ; hlt */
    private static final byte[] PORT_IO_THEN_HALT = {(byte) 0xb0, 0x42, (byte) 0xe6, 0x10, (byte) 0xba,
        (byte) 0xf8, 0x03, (byte) 0xec, (byte) 0xf4};

    @Test
    void kvmReportsItsApiAndCapabilities() {
        try (Kvm kvm = Kvm.open()) {
            assertThat(kvm.apiVersion()).isEqualTo(Kvm.API_VERSION);
            assertThat(kvm.has(Cap.USER_MEMORY)).isTrue();
            assertThat(kvm.vcpuMmapSize()).isGreaterThanOrEqualTo(4096);
            assertThat(kvm.supportedCpuid().find(0, 0)).isPresent();
            assertThat(kvm.msrIndexList()).contains(0x10, 0xc0000081); // TSC, STAR
            assertThat(kvm.xsaveSize()).isGreaterThanOrEqualTo(Xsave.MIN_SIZE);
        }
    }

    /** The CPU's own flags say which backend a working KVM must be: SVM or VMX if it has them, else PVM. */
    @Test
    void kvmKnowsItsFlavourFromTheCpuItRunsOn() throws IOException {
        String flags = Files.readAllLines(Path.of("/proc/cpuinfo")).stream().filter(l -> l.startsWith("flags"))
                .findFirst().orElse("");
        KvmFlavor expected = flags.matches(".*\\bsvm\\b.*") ? KvmFlavor.SVM
                : flags.matches(".*\\bvmx\\b.*") ? KvmFlavor.VMX : KvmFlavor.PVM;
        try (Kvm kvm = Kvm.open()) {
            assertThat(kvm.flavor()).isEqualTo(expected);
        }
    }

    @Test
    void guestDoesPortIoAndHalts() {
        try (TinyGuest g = new TinyGuest(PORT_IO_THEN_HALT, false)) {
            assertThat(g.vcpu.run()).isEqualTo(ExitReason.IO);
            KvmRun run = g.vcpu.runData();
            assertThat(run.ioDirection()).isEqualTo(KvmRun.IO_OUT);
            assertThat(run.ioPort()).isEqualTo(0x10);
            assertThat(run.ioSize()).isEqualTo(1);
            assertThat(run.ioData()).containsExactly(0x42);

            assertThat(g.vcpu.run()).isEqualTo(ExitReason.IO);
            assertThat(run.ioDirection()).isEqualTo(KvmRun.IO_IN);
            assertThat(run.ioPort()).isEqualTo(0x3f8);
            run.setIoData(new byte[] {0x07});

            assertThat(g.vcpu.run()).isEqualTo(ExitReason.HLT);
            Regs regs = g.vcpu.getRegs();
            assertThat(regs.u64(Regs.RAX) & 0xff).as("the IN result reached the guest").isEqualTo(0x07);
            assertThat(regs.rip()).isEqualTo(TinyGuest.CODE_ADDRESS + PORT_IO_THEN_HALT.length);
        }
    }

    @Test
    void translateFollowsTheGuestsPagingMode() {
        try (TinyGuest g = new TinyGuest(PORT_IO_THEN_HALT, false)) {
            Translation t = g.vcpu.translate(TinyGuest.CODE_ADDRESS + 5);
            assertThat(t.valid()).as("real mode: linear is physical").isTrue();
            assertThat(t.physical()).isEqualTo(TinyGuest.CODE_ADDRESS + 5);
            assertThat(t.linear()).isEqualTo(TinyGuest.CODE_ADDRESS + 5);
        }
    }
}
