package dev.hyperfresh.vmm.vm;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.hyperfresh.kvm.Kvm;
import dev.hyperfresh.testkit.RequiresKvm;
import dev.hyperfresh.vmm.boot.BootImage;
import dev.hyperfresh.vmm.boot.BootLoader;
import dev.hyperfresh.vmm.boot.MultibootLoader;
import dev.hyperfresh.vmm.heartbeat.GuestLine;
import dev.hyperfresh.vmm.memory.PageRun;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * A reset, judged by hfguest's own checks: the guest's reset line, a triple fault and the operator's reset each
 * boot the VM again — both vCPUs up again through INIT/SIPI, heartbeats from 0, no memory, register or boot error —
 * while a VM with nothing to boot again from powers off as before. Counted in boots and heartbeats, not seconds.
 */
@RequiresKvm
class VmResetOnKvmTest {
    private static final Duration PATIENCE = Duration.ofMinutes(3);
    private static final long MEM = 64 << 20;

    private static VirtualMachine start(Kvm kvm, String name, int cpus, BootLoader first, BootImage reboot,
                                        GuestWatch watch) {
        VirtualMachine vm = VirtualMachine.create(kvm, new VmConfig(name, MEM, cpus, false, first, "hfguest", reboot));
        vm.onGuestLine(watch);
        vm.start();
        return vm;
    }

    private static BootImage hfguest(int cpus, String extra) {
        return BootImage.hfguest("cpus=" + cpus + " mem_pct=5 " + extra);
    }

    @Test
    void theGuestsResetLineBootsItAgainWithEveryVcpu() throws Exception {
        GuestWatch watch = new GuestWatch();
        BootImage image = hfguest(2, "reset_after_ms=300");
        try (Kvm kvm = Kvm.open(); VirtualMachine vm = start(kvm, "resets", 2, image.loader(List.of()), image, watch)) {
            watch.awaitBoots(3, PATIENCE);
            watch.assertBootHealthy(0, 2);   // the boots the guest reset, whole
            watch.assertBootHealthy(1, 2);
            assertThat(watch.lines()).filteredOn(l -> l.is("RESET")).hasSizeGreaterThanOrEqualTo(2);
            watch.awaitHeartbeats(2, 1, PATIENCE);
            assertThat(vm.exit()).isNotDone();
        }
    }

    @Test
    void aTripleFaultResetsAVmThatHasSomethingToBootAgain() throws Exception {
        GuestWatch watch = new GuestWatch();
        try (Kvm kvm = Kvm.open(); VirtualMachine vm = start(kvm, "crash-boot", 1,
                new CrashingLoader(MultibootLoader.embeddedGuest()), hfguest(1, ""), watch)) {
            watch.awaitBoots(1, PATIENCE);   // the crashing first boot prints nothing: this is the reset's
            watch.awaitHeartbeats(1, 5, PATIENCE);
            watch.assertHealthy(1);
            assertThat(vm.status()).isEqualTo(VmStatus.RUNNING);
        }
    }

    @Test
    void theOperatorsResetBootsARunningVmAgainAndAPausedOneOnceResumed() throws Exception {
        GuestWatch watch = new GuestWatch();
        BootImage image = hfguest(2, "");
        try (Kvm kvm = Kvm.open(); VirtualMachine vm = start(kvm, "button", 2, image.loader(List.of()), image, watch)) {
            watch.awaitHeartbeats(2, 3, PATIENCE);
            vm.memory().logDeviceWrites(true);   // as a copy-mode handover's pre-copy has it
            vm.reset("test");
            assertThat(vm.status()).isEqualTo(VmStatus.RUNNING);
            assertThat(vm.memory().takeDeviceWrites().stream().mapToLong(PageRun::length).sum())
                    .as("hfvisor wrote the new boot behind KVM's dirty log: all RAM goes again").isEqualTo(MEM);
            vm.memory().logDeviceWrites(false);
            watch.awaitBoots(2, PATIENCE);
            watch.awaitHeartbeats(2, 3, PATIENCE);
            watch.assertHealthy(2);

            vm.pause();
            vm.reset("test");
            assertThat(vm.status()).as("reset where it is parked, still paused").isEqualTo(VmStatus.PAUSED);
            Thread.sleep(300);
            assertThat(watch.boots()).as("nothing runs before the resume").isEqualTo(2);
            vm.resume();
            watch.awaitBoots(3, PATIENCE);
            watch.awaitHeartbeats(2, 3, PATIENCE);
            watch.assertHealthy(2);
        }
    }

    /**
     * Pauses (a cutover's, an operator's) racing a guest that resets every 100 ms: each either pauses the VM or is
     * refused while it resets, and nothing is left half-done: the VM ends running, healthy, still resetting.
     */
    @Test
    void pausesRacingResetsEachEitherPauseOrAreRefused() throws Exception {
        GuestWatch watch = new GuestWatch();
        BootImage image = hfguest(1, "reset_after_ms=100");
        try (Kvm kvm = Kvm.open(); VirtualMachine vm = start(kvm, "race", 1, image.loader(List.of()), image, watch)) {
            watch.awaitBoots(2, PATIENCE);
            int paused = 0, refused = 0;
            long deadline = System.nanoTime() + PATIENCE.toNanos();
            while ((paused < 20 || refused < 2) && System.nanoTime() < deadline) {
                Thread.sleep(1);   // the guest runs on between pauses, towards its next reset
                try {
                    vm.pause();
                } catch (IllegalStateException e) {
                    assertThat(e).hasMessageContaining("resetting");
                    refused++;
                    continue;
                }
                paused++;
                assertThat(vm.status()).isEqualTo(VmStatus.PAUSED);
                vm.resume();
            }
            System.out.printf("pauses: %d paused, %d refused while resetting%n", paused, refused);
            assertThat(paused).isGreaterThanOrEqualTo(20);
            assertThat(refused).isGreaterThanOrEqualTo(2);
            int boots = watch.boots();
            watch.awaitBoots(boots + 1, PATIENCE);
            assertThat(vm.status()).isIn(VmStatus.RUNNING, VmStatus.RESETTING);
            assertThat(watch.lines()).noneMatch(l -> l.is(GuestLine.ERROR) || l.is(GuestLine.PANIC));
        }
    }

    @Test
    void aVmWithNothingToBootAgainPowersOffOnTheGuestsResetAndRefusesTheOperators() throws Exception {
        GuestWatch watch = new GuestWatch();
        BootImage image = hfguest(1, "reset_after_ms=200");
        try (Kvm kvm = Kvm.open(); VirtualMachine vm = start(kvm, "poweroff", 1, image.loader(List.of()), null,
                watch)) {
            assertThatThrownBy(() -> vm.reset("test")).hasMessageContaining("nothing to boot again from");
            VmExit exit = vm.exit().get(PATIENCE.toSeconds(), TimeUnit.SECONDS);
            assertThat(exit.status()).isEqualTo(VmStatus.POWERED_OFF);
            assertThat(exit.message()).contains("guest reset the machine (reset line)").contains("reboot=poweroff");
        }
    }
}
