package dev.hyperfresh.vmm.devices;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class Uart8250Test {
    private static final int BASE = Uart8250.COM1;
    private final List<Boolean> irq = new ArrayList<>();
    private final ByteArrayOutputStream console = new ByteArrayOutputStream();
    private Uart8250 uart;

    @BeforeEach
    void setUp() {
        uart = Uart8250.com1(irq::add, console::writeBytes);
    }

    private int in(int reg) {
        return uart.read(BASE + reg, 1);
    }

    private void out(int reg, int value) {
        uart.write(BASE + reg, 1, value);
    }

    @Test
    void transmittedBytesReachTheConsoleAndTheTransmitterIsAlwaysEmpty() {
        for (byte b : "hello\n".getBytes(StandardCharsets.US_ASCII)) {
            out(0, b);
        }
        assertThat(console.toString(StandardCharsets.US_ASCII)).isEqualTo("hello\n");
        assertThat(in(5)).isEqualTo(0x60);
        assertThat(irq).as("no interrupt while IER is 0").isEmpty();
    }

    @Test
    void passesLinuxs16550aProbe() {
        out(1, 0);
        assertThat(in(1) & 0x0f).isZero();
        out(1, 0x0f);
        assertThat(in(1) & 0x0f).isEqualTo(0x0f);
        out(1, 0);
        out(4, 0x1a);
        assertThat(in(6) & 0xf0).as("loopback: RTS->CTS, OUT2->DCD").isEqualTo(0x90);
        out(4, 0);
        out(2, 0x01);
        assertThat(in(2) >> 6).as("FIFO enabled, 16550A").isEqualTo(3);
        assertThat(in(6)).isEqualTo(0xb0);
    }

    @Test
    void divisorLatchSharesPortsWithDataAndIer() {
        out(3, 0x80);
        out(0, 0x01);
        out(1, 0x00);
        assertThat(in(0)).isEqualTo(1);
        assertThat(in(1)).isZero();
        out(3, 0x03);
        assertThat(console.size()).isZero();
        out(1, 0x05);
        assertThat(in(1)).isEqualTo(0x05);
        out(3, 0x83);
        assertThat(in(0)).as("divisor kept").isEqualTo(1);
        assertThat(in(3)).isEqualTo(0x83);
    }

    @Test
    void enablingTheThreInterruptRaisesItUntilIirIsRead() {
        out(1, 0x02);
        assertThat(irq).containsExactly(true);
        assertThat(in(2) & 0x0f).isEqualTo(0x02);
        assertThat(irq).containsExactly(true, false);
        assertThat(in(2) & 0x0f).isEqualTo(0x01);
        out(0, 'x');
        assertThat(irq).as("a transmitted byte empties the THR again").containsExactly(true, false, true);
        out(1, 0);
        assertThat(irq).containsExactly(true, false, true, false);
    }

    @Test
    void inputRaisesTheReceiveInterruptUntilDrained() {
        out(1, 0x01);
        assertThat(uart.input("ab".getBytes(StandardCharsets.US_ASCII))).isEqualTo(2);
        assertThat(irq).containsExactly(true);
        assertThat(in(5) & 1).isEqualTo(1);
        assertThat(in(2) & 0x0f).isEqualTo(0x04);
        assertThat(in(0)).isEqualTo('a');
        assertThat(irq).containsExactly(true);
        assertThat(in(0)).isEqualTo('b');
        assertThat(irq).containsExactly(true, false);
        assertThat(in(5) & 1).isZero();
    }

    @Test
    void receivePriorityIsAboveTransmit() {
        out(1, 0x03);
        uart.input(new byte[] {'q'});
        assertThat(in(2) & 0x0f).isEqualTo(0x04);
        in(0);
        assertThat(in(2) & 0x0f).isEqualTo(0x02);
    }

    @Test
    void inputIsBoundedAndFcrClearsIt() {
        byte[] lots = new byte[Uart8250.RX_CAPACITY + 10];
        assertThat(uart.input(lots)).isEqualTo(Uart8250.RX_CAPACITY);
        assertThat(uart.input(new byte[1])).isZero();
        out(2, 0x03);
        assertThat(in(5) & 1).isZero();
    }

    @Test
    void loopbackSendsTransmittedBytesToTheReceiver() {
        out(4, 0x10);
        out(0, 'z');
        assertThat(console.size()).isZero();
        assertThat(in(0)).isEqualTo('z');
    }

    @Test
    void stateRoundTripsIntoAFreshDevice() {
        out(3, 0x80);
        out(0, 0x0c);
        out(3, 0x03);
        out(1, 0x03);
        out(2, 0x01);
        out(4, 0x0b);
        out(7, 0x42);
        uart.input("pending".getBytes(StandardCharsets.US_ASCII));
        byte[] saved = uart.saveState();

        List<Boolean> irq2 = new ArrayList<>();
        Uart8250 moved = Uart8250.com1(irq2::add, b -> { });
        moved.restoreState(saved);
        assertThat(moved.saveState()).isEqualTo(saved);
        assertThat(irq2).as("restoring does not re-signal").isEmpty();
        assertThat(moved.read(BASE + 7, 1)).isEqualTo(0x42);
        assertThat(moved.read(BASE + 2, 1)).isEqualTo(0xc4);
        StringBuilder got = new StringBuilder();
        while ((moved.read(BASE + 5, 1) & 1) != 0) {
            got.append((char) moved.read(BASE, 1));
        }
        assertThat(got).hasToString("pending");
        assertThat(moved.read(BASE + 2, 1)).as("then the transmitter interrupt").isEqualTo(0xc2);
        assertThat(irq2).as("the line was high before the move and drops once both are serviced")
                .containsExactly(false);
    }

    @Test
    void refusesForeignTruncatedOrNewerState() {
        byte[] saved = uart.saveState();
        assertThatThrownBy(() -> uart.restoreState(new byte[12])).hasMessageContaining("not a Uart8250 state");
        assertThatThrownBy(() -> uart.restoreState(Arrays.copyOf(saved, saved.length - 3)))
                .hasMessageContaining("truncated");
        byte[] newer = saved.clone();
        newer[5] = 2;
        assertThatThrownBy(() -> uart.restoreState(newer)).hasMessageContaining("version 2");
        assertThatThrownBy(() -> uart.restoreState(Arrays.copyOf(saved, saved.length + 1)))
                .hasMessageContaining("wrong length");
    }
}
