package dev.hyperfresh.vmm.persist;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.hyperfresh.kvm.Regs;
import dev.hyperfresh.kvm.snapshot.VcpuSnapshot;
import dev.hyperfresh.kvm.snapshot.VmSnapshot;
import java.nio.BufferOverflowException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class StateCodecTest {
    private final SyntheticStates synthetic = new SyntheticStates(42);

    @Test
    void vcpuSnapshotRoundTripsIncludingAnAmxSizedXsave() {
        VcpuSnapshot vcpu = synthetic.vcpu(3, 11008);

        assertThat(VcpuSnapshotCodec.decode(VcpuSnapshotCodec.encode(vcpu))).isEqualTo(vcpu);
    }

    @Test
    void vmSnapshotRoundTrips() {
        VmSnapshot vm = synthetic.vm();

        assertThat(VmSnapshotCodec.decode(VmSnapshotCodec.encode(vm))).isEqualTo(vm);
    }

    @Test
    void wholeVmStateRoundTripsKeepingVcpuAndDeviceOrder() {
        VmState state = synthetic.vmState("web-1 ✓", 4);

        VmState decoded = StateCodec.decode(StateCodec.encode(state));

        assertThat(decoded).isEqualTo(state);
        assertThat(decoded.vcpus()).extracting(VcpuSnapshot::id).containsExactly(0, 1, 2, 3);
        assertThat(decoded.devices().keySet()).containsExactly("serial0", "debugcon", "virtio-blk@0");
    }

    @Test
    void encodesIntoARegionAndDecodesItInPlaceAsTheLedgerDoes() {
        VmState state = synthetic.vmState("vm", 2);
        ByteBuffer mapping = ByteBuffer.allocateDirect(64 << 10);

        int length = StateCodec.encode(state, mapping.position(100));

        assertThat(mapping.position()).isEqualTo(100);
        assertThat(length).isEqualTo(StateCodec.encode(state).length);
        assertThat(StateCodec.decode(mapping.slice(100, length).asReadOnlyBuffer())).isEqualTo(state);
    }

    @Test
    void aRegionTooSmallForTheStateIsRefusedNotOverrun() {
        VmState state = synthetic.vmState("vm", 2);
        ByteBuffer mapping = ByteBuffer.allocate(8 << 10);

        assertThatThrownBy(() -> StateCodec.encode(state, mapping.slice(0, 4 << 10)))
                .isInstanceOf(BufferOverflowException.class);
        assertThat(mapping.slice(4 << 10, 4 << 10)).isEqualTo(ByteBuffer.allocate(4 << 10));
    }

    @Test
    void stateWithoutVcpusOrDevicesRoundTrips() {
        VmState state = new VmState("empty", synthetic.vm(), List.of(), Map.of());

        assertThat(StateCodec.decode(StateCodec.encode(state))).isEqualTo(state);
    }

    @Test
    void everyTruncationIsReportedAsTruncated() {
        byte[] full = StateCodec.encode(synthetic.vmState("vm", 1));

        for (int length = 0; length < full.length; length++) {
            byte[] cut = Arrays.copyOf(full, length);
            assertThatThrownBy(() -> StateCodec.decode(cut)).as("cut at %d", length)
                    .isInstanceOf(StateFormatException.class).hasMessageContaining("truncated");
        }
    }

    @Test
    void wrongMagicIsRefused() {
        byte[] bytes = StateCodec.encode(synthetic.vmState("vm", 1));
        bytes[0] = 'X';

        assertThatThrownBy(() -> StateCodec.decode(bytes)).isInstanceOf(StateFormatException.class)
                .hasMessageContaining("not HyperFresh saved state");
    }

    @Test
    void newerMajorVersionIsRefusedNamingBothVersions() {
        byte[] bytes = StateCodec.encode(synthetic.vmState("vm", 1));
        ByteBuffer.wrap(bytes).putShort(8, (short) (StateCodec.MAJOR + 1)).putShort(10, (short) 3);

        assertThatThrownBy(() -> StateCodec.decode(bytes)).isInstanceOf(StateFormatException.class)
                .hasMessageContaining("format version 2.3")
                .hasMessageContaining(StateCodec.MAJOR + "." + StateCodec.MINOR)
                .hasMessageContaining("newer");
    }

    @Test
    void newerMinorVersionsUnknownSectionsAreSkipped() {
        VmState state = synthetic.vmState("vm", 2);
        byte[] original = StateCodec.encode(state);
        int endSection = original.length - 12;
        StateOutput out = new StateOutput().bytes(Arrays.copyOf(original, 8)).u16(StateCodec.MAJOR)
                .u16(StateCodec.MINOR + 1).bytes(Arrays.copyOfRange(original, 12, endSection));
        int extra = out.beginSection(StateCodec.tag("XTRA"));
        out.bytes(synthetic.bytes(100)).endSection(extra);
        int crc = out.crc();
        int end = out.beginSection(StateCodec.tag("END."));
        out.u32(crc).endSection(end);
        byte[] newer = out.toByteArray();

        assertThat(StateCodec.decode(newer)).isEqualTo(state);
    }

    @Test
    void aFlippedByteIsReportedAsCorruption() {
        byte[] bytes = StateCodec.encode(synthetic.vmState("vm", 1));
        bytes[bytes.length / 2] ^= 0x40;

        assertThatThrownBy(() -> StateCodec.decode(bytes)).isInstanceOf(StateFormatException.class)
                .hasMessageContaining("corrupt").hasMessageContaining("CRC-32");
    }

    @Test
    void aKernelStructOfTheWrongSizeIsRefusedBeforeItCouldReachAnIoctl() {
        VcpuSnapshot good = synthetic.vcpu(0, 4096);
        VcpuSnapshot oversized = new VcpuSnapshot(0, good.mpState(), new Regs(new byte[Regs.SIZE + 8]), good.sregs(),
                good.xsave(), good.xcrs(), good.debugRegs(), good.lapic(), good.tscKhz(), good.cpuid(), good.msrs(),
                good.events());
        byte[] bytes = StateCodec.encode(new VmState("vm", synthetic.vm(), List.of(oversized), Map.of()));

        assertThatThrownBy(() -> StateCodec.decode(bytes)).isInstanceOf(StateFormatException.class)
                .hasMessage("vCPU 0 regs is 152 bytes; the kernel struct is 144");
    }

    @Test
    void anUnknownVcpuRecordVersionIsRefused() {
        byte[] bytes = VcpuSnapshotCodec.encode(synthetic.vcpu(0, 4096));
        bytes[1] = 9;

        assertThatThrownBy(() -> VcpuSnapshotCodec.decode(bytes)).isInstanceOf(StateFormatException.class)
                .hasMessageContaining("vCPU state format 9");
    }

    @Test
    void aDuplicateVcpuIsRefused() {
        VcpuSnapshot vcpu = synthetic.vcpu(1, 4096);
        byte[] bytes = StateCodec.encode(new VmState("vm", synthetic.vm(), List.of(vcpu, vcpu), Map.of()));

        assertThatThrownBy(() -> StateCodec.decode(bytes)).hasMessage("saved state holds vCPU 1 twice");
    }

    @Test
    void garbageIsNotMistakenForState() {
        byte[] garbage = "GET / HTTP/1.1\r\n\r\n".getBytes(StandardCharsets.US_ASCII);

        assertThatThrownBy(() -> StateCodec.decode(garbage)).isInstanceOf(StateFormatException.class)
                .hasMessageContaining("not HyperFresh saved state");
    }
}
