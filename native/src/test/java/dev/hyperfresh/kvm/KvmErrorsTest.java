package dev.hyperfresh.kvm;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.hyperfresh.sys.SysException;
import dev.hyperfresh.testkit.RequiresKvm;
import dev.hyperfresh.testkit.TinyGuest;
import org.junit.jupiter.api.Test;

class KvmErrorsTest {
    @Test
    void aMissingDeviceNamesThePathAndErrno() {
        assertThatThrownBy(() -> Kvm.open("/nonexistent/kvm"))
                .isInstanceOf(SysException.class)
                .hasMessageContaining("open(/nonexistent/kvm)")
                .hasMessageContaining("ENOENT")
                .hasMessageContaining("No such file or directory");
    }

    @Test
    void aDeviceThatIsNotKvmNamesTheFailingIoctl() {
        assertThatThrownBy(() -> Kvm.open("/dev/null"))
                .isInstanceOf(KvmException.class)
                .hasMessageContaining("KVM_GET_API_VERSION")
                .hasMessageContaining("ENOTTY");
    }

    @Test
    void aDirectoryIsRefusedWithItsErrno() {
        assertThatThrownBy(() -> Kvm.open("/"))
                .isInstanceOf(SysException.class)
                .hasMessageContaining("EISDIR");
    }

    @Test
    @RequiresKvm
    void aWrongIoctlArgumentNamesTheIoctlAndErrno() {
        try (Kvm kvm = Kvm.open(); Vm vm = kvm.createVm()) {
            assertThatThrownBy(() -> vm.setUserMemoryRegion(0, 0, 0x123, 4096, 0x1000))
                    .isInstanceOf(KvmException.class)
                    .hasMessageContaining("KVM_SET_USER_MEMORY_REGION(slot 0)")
                    .hasMessageContaining("EINVAL");
        }
    }

    @Test
    @RequiresKvm
    void aClosedVcpuIsAClearErrorNotAStrayFd() {
        TinyGuest g = new TinyGuest(new byte[] {(byte) 0xf4}, false);
        g.close();
        assertThatThrownBy(g.vcpu::getRegs).isInstanceOf(IllegalStateException.class)
                .hasMessage("vcpu 0 is closed");
        assertThatThrownBy(g.vm::createIrqchip).isInstanceOf(IllegalStateException.class)
                .hasMessage("vm is closed");
    }

    @Test
    @RequiresKvm
    void aMissingCapabilityIsATypedCondition() {
        try (TinyGuest g = new TinyGuest(new byte[] {(byte) 0xf4}, false)) {
            if (g.kvm.has(Cap.PRE_FAULT_MEMORY)) {
                g.vcpu.preFaultMemory(0, TinyGuest.RAM_BYTES);
            } else {
                assertThatThrownBy(() -> g.vcpu.preFaultMemory(0, TinyGuest.RAM_BYTES))
                        .isInstanceOf(UnsupportedCapabilityException.class)
                        .hasMessageContaining("KVM_CAP_PRE_FAULT_MEMORY")
                        .extracting(e -> ((UnsupportedCapabilityException) e).cap())
                        .isEqualTo(Cap.PRE_FAULT_MEMORY);
            }
            if (!g.kvm.has(Cap.TSC_CONTROL)) {
                assertThatThrownBy(() -> g.vcpu.setTscKhz(1_000_000))
                        .isInstanceOf(UnsupportedCapabilityException.class);
            }
            assertThat(g.vcpu.kvmclockCtrl()).as("guest without kvmclock: EINVAL reported as false").isFalse();
        }
    }
}
