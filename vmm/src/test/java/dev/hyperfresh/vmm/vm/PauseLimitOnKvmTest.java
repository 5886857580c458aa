package dev.hyperfresh.vmm.vm;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.hyperfresh.kvm.Kvm;
import dev.hyperfresh.testkit.RequiresKvm;
import dev.hyperfresh.vmm.devices.PortDevice;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/**
 * A pause whose vCPU cannot park (held in a device that does not answer) is withdrawn after its limit, the VM
 * running on, instead of leaving it stopped for good; the same VM pauses as usual once the device answers.
 */
@RequiresKvm
class PauseLimitOnKvmTest {
    private static final int PORT = 0x510;

    /** Writes to its port; while {@code hold} is set, a write waits until {@code release} opens. */
    private static final class SlowDevice implements PortDevice {
        final AtomicLong writes = new AtomicLong();
        final AtomicBoolean hold = new AtomicBoolean();
        final CountDownLatch held = new CountDownLatch(1);
        final CountDownLatch release = new CountDownLatch(1);

        @Override
        public int read(int port, int size) {
            return 0;
        }

        @Override
        public void write(int port, int size, int value) {
            writes.incrementAndGet();
            if (hold.get()) {
                held.countDown();
                try {
                    release.await();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
        }
    }

    @Test
    void aVcpuHeldInADeviceWithdrawsThePauseAndTheVmRunsOn() throws Exception {
        RealModeProgram program = new RealModeProgram(
                0xba, PORT & 0xff, PORT >> 8,            // mov $PORT, %dx
                0xee,                                     // 1: out %al, (%dx)
                0xeb, 0xfd);                              // jmp 1b
        SlowDevice device = new SlowDevice();
        try (Kvm kvm = Kvm.open(); VirtualMachine vm = VirtualMachine.create(kvm,
                new VmConfig("held", 16 << 20, 1, false, program, VmConfig.HFGUEST))) {
            vm.addDevice(PORT, 1, device);
            vm.start();
            vm.pause();
            assertThat(vm.status()).as("a device that answers: the pause as usual").isEqualTo(VmStatus.PAUSED);
            vm.resume();

            device.hold.set(true);
            assertThat(device.held.await(60, TimeUnit.SECONDS)).isTrue();
            long asked = System.nanoTime();
            assertThatThrownBy(vm::pause).isInstanceOf(IllegalStateException.class).hasMessage("VM held: 1 of 1"
                    + " vCPUs did not stop within 5 s of the pause (kicked every 100 ms: one is held in a device, or"
                    + " cannot be signalled); the pause is withdrawn and the VM runs on");
            assertThat(System.nanoTime() - asked).isGreaterThanOrEqualTo(VirtualMachine.PAUSE_LIMIT_NANOS);
            assertThat(vm.status()).isEqualTo(VmStatus.RUNNING);

            device.hold.set(false);
            device.release.countDown();
            long before = device.writes.get();
            for (int i = 0; i < 600 && device.writes.get() < before + 1000; i++) {
                Thread.sleep(100);
            }
            assertThat(device.writes.get()).as("the guest runs on").isGreaterThanOrEqualTo(before + 1000);
            vm.pause();
            assertThat(vm.status()).isEqualTo(VmStatus.PAUSED);
            long paused = device.writes.get();
            Thread.sleep(200);
            assertThat(device.writes.get()).as("paused: no more writes").isEqualTo(paused);
            vm.resume();
            assertThat(vm.exit()).isNotDone();
        }
    }
}
