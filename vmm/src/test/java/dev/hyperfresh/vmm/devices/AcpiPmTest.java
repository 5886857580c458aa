package dev.hyperfresh.vmm.devices;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

class AcpiPmTest {
    private static final int STS = AcpiPm.EVENT_BLOCK, EN = AcpiPm.EVENT_BLOCK + 2, CNT = AcpiPm.CONTROL_BLOCK;
    private final List<Boolean> sci = new ArrayList<>();
    private final AtomicInteger offs = new AtomicInteger();
    private final AcpiPm pm = new AcpiPm(sci::add, offs::incrementAndGet);

    @Test
    void theMachineIsInAcpiModeFromTheStartAndStaysThere() {
        assertThat(pm.read(CNT, 2) & AcpiPm.SCI_EN).isEqualTo(1);
        pm.write(CNT, 2, 0);
        assertThat(pm.read(CNT, 2) & AcpiPm.SCI_EN).isEqualTo(1);
    }

    @Test
    void aPressUnheardSetsItsStatusButRaisesNoSci() {
        pm.pressPowerButton();
        assertThat(pm.listensToPowerButton()).isFalse();
        assertThat(pm.read(STS, 2)).isEqualTo(AcpiPm.PWRBTN);
        assertThat(sci).isEmpty();
    }

    @Test
    void anEnabledPressRaisesTheSciUntilTheGuestClearsItsStatus() {
        pm.write(EN, 2, AcpiPm.PWRBTN);
        assertThat(pm.listensToPowerButton()).isTrue();
        pm.pressPowerButton();
        assertThat(pm.listensToPowerButton()).isTrue();
        assertThat(sci).containsExactly(true);
        pm.write(STS, 2, 0x0001);   // clearing another bit leaves the button's
        assertThat(sci).containsExactly(true);
        pm.write(STS, 2, AcpiPm.PWRBTN);   // write 1 to clear
        assertThat(pm.read(STS, 2)).isZero();
        assertThat(sci).containsExactly(true, false);
    }

    @Test
    void aStatusSetBeforeTheGuestEnablesTheEventRaisesTheSciOnceItDoes() {
        pm.pressPowerButton();
        pm.write(EN, 2, AcpiPm.PWRBTN);
        assertThat(sci).containsExactly(true);
    }

    @Test
    void theEventBlockReadsAndWritesInAnyWidth() {
        pm.write(STS, 4, (AcpiPm.PWRBTN | 0x0400) << 16);   // a dword over status and enable: enable only
        assertThat(pm.read(EN, 2)).isEqualTo(AcpiPm.PWRBTN | 0x0400);
        assertThat(pm.read(EN + 1, 1)).isEqualTo((AcpiPm.PWRBTN | 0x0400) >> 8);
        pm.pressPowerButton();
        assertThat(pm.read(STS, 4)).isEqualTo(AcpiPm.PWRBTN | (AcpiPm.PWRBTN | 0x0400) << 16);
        pm.write(STS + 1, 1, AcpiPm.PWRBTN >> 8);
        assertThat(pm.read(STS, 2)).isZero();
    }

    @Test
    void sleepTypeS5WithSleepEnablePowersOffAndOtherSleepTypesDoNot() {
        int s5 = AcpiPm.SLP_TYP_S5 << AcpiPm.SLP_TYP_SHIFT;
        pm.write(CNT, 2, s5);   // ACPICA writes the type first, then the type with SLP_EN
        assertThat(offs).hasValue(0);
        assertThat(pm.read(CNT, 2)).isEqualTo(s5 | AcpiPm.SCI_EN);
        pm.write(CNT, 2, (1 << AcpiPm.SLP_TYP_SHIFT) | AcpiPm.SLP_EN);
        assertThat(offs).hasValue(0);
        assertThat(pm.read(CNT, 2) & AcpiPm.SLP_EN).as("SLP_EN is write-only").isZero();
        pm.write(CNT, 2, s5 | AcpiPm.SLP_EN);
        assertThat(offs).hasValue(1);
    }

    @Test
    void itsStateMovesWithTheSciLevelAndRefusesForeignBytes() {
        pm.write(EN, 2, AcpiPm.PWRBTN);
        pm.pressPowerButton();
        AcpiPm moved = new AcpiPm(sci::add, offs::incrementAndGet);
        moved.restoreState(pm.saveState());
        assertThat(moved.read(STS, 2)).isEqualTo(AcpiPm.PWRBTN);
        assertThat(moved.listensToPowerButton()).isTrue();
        moved.write(STS, 2, AcpiPm.PWRBTN);
        assertThat(sci).as("the level moved: clearing lowers the line").containsExactly(true, false);

        assertThatThrownBy(() -> moved.restoreState(new I8042(h -> { }, h -> { }, () -> { }).saveState()))
                .hasMessage("not a power management (ACPI) state");
    }
}
