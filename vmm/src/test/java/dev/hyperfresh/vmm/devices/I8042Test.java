package dev.hyperfresh.vmm.devices;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class I8042Test {
    private final List<Boolean> kbd = new ArrayList<>();
    private final List<Boolean> aux = new ArrayList<>();
    private final AtomicInteger resets = new AtomicInteger();
    private I8042 ctl;

    @BeforeEach
    void setUp() {
        ctl = new I8042(kbd::add, aux::add, resets::incrementAndGet);
    }

    private int status() {
        return ctl.read(0x64, 1);
    }

    private int data() {
        return ctl.read(0x60, 1);
    }

    private void command(int c) {
        ctl.write(0x64, 1, c);
    }

    @Test
    void idleStatusHasTheSystemFlagNoKeylockAndNeverABusyInputBuffer() {
        assertThat(status()).isEqualTo(0x14);
        command(0xad);
        assertThat(status() & 0x02).isZero();
        assertThat(status() & 0x08).as("last write was a command").isEqualTo(0x08);
    }

    @Test
    void selfTestAndInterfaceTestsPass() {
        command(0xaa);
        assertThat(status() & 1).isEqualTo(1);
        assertThat(data()).isEqualTo(0x55);
        assertThat(status() & 1).isZero();
        command(0xab);
        assertThat(data()).isZero();
        command(0xa9);
        assertThat(data()).isZero();
    }

    @Test
    void controlRegisterReadsBackWhatWasWrittenAndTracksPortEnables() {
        command(0x20);
        assertThat(data()).isEqualTo(0x45);
        command(0x60);
        ctl.write(0x60, 1, 0x74);
        command(0xa8);
        command(0x20);
        assertThat(data()).isEqualTo(0x54);
        command(0xa7);
        command(0xae);
        command(0x20);
        assertThat(data()).isEqualTo(0x64);
    }

    @Test
    void controllerResponsesRaiseTheKeyboardIrqWhileUnread() {
        command(0x20);
        assertThat(kbd).containsExactly(true);
        data();
        assertThat(kbd).containsExactly(true, false);
    }

    @Test
    void auxLoopbackComesBackAsMouseDataOnIrq12WhenEnabled() {
        command(0x60);
        ctl.write(0x60, 1, 0x47);
        command(0xd3);
        ctl.write(0x60, 1, 0xa5);
        assertThat(status() & 0x21).isEqualTo(0x21);
        assertThat(aux).containsExactly(true);
        assertThat(data()).isEqualTo(0xa5);
        assertThat(aux).containsExactly(true, false);
        assertThat(kbd).isEmpty();
    }

    @Test
    void bytesForAbsentDevicesTimeOut() {
        ctl.write(0x60, 1, 0xf2);
        assertThat(status() & 0x61).as("OBF + timeout, keyboard").isEqualTo(0x41);
        assertThat(data()).isEqualTo(0xfe);
        command(0xd4);
        ctl.write(0x60, 1, 0xff);
        assertThat(status() & 0x61).as("OBF + timeout + aux").isEqualTo(0x61);
    }

    @Test
    void resetRequests() {
        command(0xfe);
        assertThat(resets).hasValue(1);
        command(0xd1);
        ctl.write(0x60, 1, 0xdf);
        assertThat(resets).as("output port with reset line high").hasValue(1);
        command(0xd1);
        ctl.write(0x60, 1, 0xde);
        assertThat(resets).hasValue(2);
    }

    @Test
    void stateRoundTripsIntoAFreshDeviceWithoutReSignalling() {
        command(0x60);
        ctl.write(0x60, 1, 0x47);
        command(0xd2);
        ctl.write(0x60, 1, 0x5a);
        command(0xd4);
        byte[] saved = ctl.saveState();
        assertThat(kbd).as("the looped byte raised IRQ 1").containsExactly(true);

        List<Boolean> kbd2 = new ArrayList<>();
        List<Boolean> aux2 = new ArrayList<>();
        I8042 moved = new I8042(kbd2::add, aux2::add, resets::incrementAndGet);
        moved.restoreState(saved);
        assertThat(moved.saveState()).isEqualTo(saved);
        assertThat(kbd2).as("restoring does not re-signal").isEmpty();
        assertThat(moved.read(0x64, 1)).isEqualTo(status());
        assertThat(moved.read(0x60, 1)).as("the byte waiting in the output buffer").isEqualTo(0x5a);
        assertThat(kbd2).as("reading it lowers the line the old device raised").containsExactly(false);
        moved.write(0x60, 1, 0xf4);
        assertThat(moved.read(0x64, 1) & 0x60).as("the pending 0xd4 sent it to the mouse: aux timeout")
                .isEqualTo(0x60);
        assertThat(moved.read(0x60, 1)).as("no mouse there").isEqualTo(0xfe);
        moved.write(0x64, 1, 0x20);
        assertThat(moved.read(0x60, 1)).as("the configuration byte moved").isEqualTo(0x47);
    }

    @Test
    void refusesForeignTruncatedNewerOrOverlongState() {
        byte[] saved = ctl.saveState();
        assertThatThrownBy(() -> ctl.restoreState(new byte[11])).hasMessageContaining("not a I8042 state");
        assertThatThrownBy(() -> ctl.restoreState(Arrays.copyOf(saved, saved.length - 1)))
                .hasMessageContaining("truncated");
        byte[] newer = saved.clone();
        newer[5] = 2;
        assertThatThrownBy(() -> ctl.restoreState(newer)).hasMessageContaining("version 2, this build reads 1");
        assertThatThrownBy(() -> ctl.restoreState(Arrays.copyOf(saved, saved.length + 1)))
                .hasMessageContaining("wrong length");
        assertThat(ctl.saveState()).as("a refused state changes nothing").isEqualTo(saved);
    }
}
