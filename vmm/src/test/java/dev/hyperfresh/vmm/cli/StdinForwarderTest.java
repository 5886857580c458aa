package dev.hyperfresh.vmm.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.hyperfresh.vmm.devices.Uart8250;
import dev.hyperfresh.vmm.vm.PcDevices;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import org.junit.jupiter.api.Test;

class StdinForwarderTest {
    private static final int LSR = 5, LSR_DATA_READY = 0x01;

    @Test
    void typesStdinAtTheFirstLinuxStdoutConsoleWaitingWhileTheFifoIsFull() throws Exception {
        byte[] typed = new byte[Uart8250.RX_CAPACITY * 2 + 7];
        for (int i = 0; i < typed.length; i++) {
            typed[i] = (byte) ('a' + i % 26);
        }
        Uart8250 first = Uart8250.com1(high -> { }, b -> { });
        Uart8250 second = Uart8250.com1(high -> { }, b -> { });
        StdinForwarder forwarder = new StdinForwarder(new ByteArrayInputStream(typed));
        forwarder.offer(VmSpec.parse("name=h"), new VmFactory.Created(null, null));
        forwarder.offer(VmSpec.parse("name=quiet,kernel=/etc/hostname,console=none"), linux(first));
        forwarder.offer(VmSpec.parse("name=l1,kernel=/etc/hostname"), linux(first));
        forwarder.offer(VmSpec.parse("name=l2,kernel=/etc/hostname"), linux(second));

        ByteArrayOutputStream received = new ByteArrayOutputStream();
        long deadline = System.nanoTime() + 10_000_000_000L;
        while (received.size() < typed.length && System.nanoTime() < deadline) {
            if ((first.read(Uart8250.COM1 + LSR, 1) & LSR_DATA_READY) != 0) {
                received.write(first.read(Uart8250.COM1, 1));
            } else {
                Thread.sleep(1);
            }
        }
        assertThat(received.toByteArray()).isEqualTo(typed);
        assertThat(second.read(Uart8250.COM1 + LSR, 1) & LSR_DATA_READY).as("only one VM gets stdin").isZero();
    }

    private static VmFactory.Created linux(Uart8250 com1) {
        return new VmFactory.Created(null, new PcDevices(com1, null, null, null));
    }
}
