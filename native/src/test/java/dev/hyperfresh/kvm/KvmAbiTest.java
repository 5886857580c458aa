package dev.hyperfresh.kvm;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.lang.reflect.Field;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Our hand-encoded ioctl numbers, struct sizes and capability numbers against the machine's own
 * {@code <linux/kvm.h>}, compiled with gcc: a wrong number would otherwise surface only as a baffling errno.
 */
class KvmAbiTest {
    private static final Map<String, Long> HEADER = new LinkedHashMap<>();

    @BeforeAll
    static void compileAndRunProbe(@TempDir Path dir) throws IOException, InterruptedException {
        Path source = Paths.get("src/test/c/kvm_abi.c").toAbsolutePath();
        Path exe = dir.resolve("kvm_abi");
        run(List.of("gcc", "-O0", "-o", exe.toString(), source.toString()));
        for (String line : run(List.of(exe.toString())).split("\n")) {
            String[] kv = line.trim().split(" ");
            HEADER.put(kv[0], Long.parseUnsignedLong(kv[1]));
        }
    }

    private static String run(List<String> cmd) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes());
        assertThat(p.waitFor()).as("%s: %s", cmd, out).isZero();
        return out;
    }

    @Test
    void everyIoctlNumberMatchesTheKernelHeader() throws IllegalAccessException {
        int checked = 0;
        for (Field f : Ioctls.class.getDeclaredFields()) {
            if (f.getType() != long.class) {
                continue;
            }
            f.setAccessible(true);
            Long expected = HEADER.get("KVM_" + f.getName());
            if (expected == null) {
                assertThat(f.getName()).as("only ioctls newer than these headers may be missing")
                        .isEqualTo("PRE_FAULT_MEMORY");
                continue;
            }
            assertThat(f.getLong(null)).as("KVM_%s", f.getName()).isEqualTo(expected);
            checked++;
        }
        assertThat(checked).isGreaterThan(45);
    }

    @Test
    void preFaultMemoryMatchesTheUpstreamDefinition() {
        // _IOWR(KVMIO, 0xd5, struct kvm_pre_fault_memory) from Linux 6.11, absent from Debian 12's headers
        assertThat(Ioctls.PRE_FAULT_MEMORY).isEqualTo((3L << 30) | (64L << 16) | (0xAEL << 8) | 0xd5);
    }

    @Test
    void structSizesMatchTheKernelHeader() {
        assertThat(Regs.SIZE).isEqualTo(HEADER.get("SIZE_Regs").intValue());
        assertThat(Sregs.SIZE).isEqualTo(HEADER.get("SIZE_Sregs").intValue());
        assertThat(Fpu.SIZE).isEqualTo(HEADER.get("SIZE_Fpu").intValue());
        assertThat(Lapic.SIZE).isEqualTo(HEADER.get("SIZE_Lapic").intValue());
        assertThat(VcpuEvents.SIZE).isEqualTo(HEADER.get("SIZE_VcpuEvents").intValue());
        assertThat(DebugRegs.SIZE).isEqualTo(HEADER.get("SIZE_DebugRegs").intValue());
        assertThat(Xcrs.SIZE).isEqualTo(HEADER.get("SIZE_Xcrs").intValue());
        assertThat(PitState.SIZE).isEqualTo(HEADER.get("SIZE_PitState").intValue());
        assertThat(ClockData.SIZE).isEqualTo(HEADER.get("SIZE_ClockData").intValue());
        assertThat(IrqChip.SIZE).isEqualTo(HEADER.get("SIZE_IrqChip").intValue());
        assertThat(Translation.SIZE).isEqualTo(HEADER.get("SIZE_Translation").intValue());
    }

    @Test
    void theSyncAreaLiesWhereTheKernelHeaderPutsIt() {
        assertThat(KvmRun.VALID_REGS_AT).isEqualTo(HEADER.get("RUN_valid_regs").intValue());
        assertThat(KvmRun.DIRTY_REGS_AT).isEqualTo(HEADER.get("RUN_dirty_regs").intValue());
        assertThat(KvmRun.SYNC_REGS_AT).isEqualTo(HEADER.get("RUN_sync_regs").intValue());
        assertThat(KvmRun.SYNC_SREGS_AT).isEqualTo(HEADER.get("RUN_sync_sregs").intValue());
        assertThat(KvmRun.SYNC_EVENTS_AT).isEqualTo(HEADER.get("RUN_sync_events").intValue());
        assertThat(KvmRun.SYNC_REGS).isEqualTo(HEADER.get("SYNC_X86_REGS"));
        assertThat(KvmRun.SYNC_SREGS).isEqualTo(HEADER.get("SYNC_X86_SREGS"));
        assertThat(KvmRun.SYNC_EVENTS).isEqualTo(HEADER.get("SYNC_X86_EVENTS"));
    }

    @Test
    void capabilityNumbersMatchTheKernelHeader() {
        for (Cap cap : Cap.values()) {
            Long expected = HEADER.get("CAP_" + cap.name());
            assertThat(expected).as("probe prints %s", cap).isNotNull();
            assertThat(cap.number()).as(cap.kernelName()).isEqualTo(expected.intValue());
        }
    }
}
