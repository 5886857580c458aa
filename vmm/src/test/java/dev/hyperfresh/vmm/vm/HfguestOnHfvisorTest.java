package dev.hyperfresh.vmm.vm;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.hyperfresh.kvm.Cpuid;
import dev.hyperfresh.kvm.CpuidEntry;
import dev.hyperfresh.kvm.Kvm;
import dev.hyperfresh.kvm.snapshot.SaveableMsrs;
import dev.hyperfresh.kvm.snapshot.VcpuSnapshot;
import dev.hyperfresh.testkit.RequiresKvm;
import dev.hyperfresh.vmm.boot.MultibootLoader;
import dev.hyperfresh.vmm.heartbeat.GuestLine;
import dev.hyperfresh.vmm.heartbeat.Heartbeat;
import dev.hyperfresh.vmm.persist.EncodableState;
import dev.hyperfresh.vmm.persist.InPlaceState;
import dev.hyperfresh.vmm.persist.StateCodec;
import dev.hyperfresh.vmm.persist.VmState;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * hfguest on hfvisor, judged by hfguest's own checks. Runs are short and counted in heartbeats, not seconds: on a
 * nested (emulated) KVM everything is slow, and timing is for the benchmark, not for tests.
 */
@RequiresKvm
class HfguestOnHfvisorTest {
    private static final Duration PATIENCE = Duration.ofMinutes(3);

    private static VirtualMachine start(Kvm kvm, String name, long mem, int cpus, String extra, GuestWatch watch) {
        String cmdline = "cpus=" + cpus + " mem_pct=5 " + extra;
        VirtualMachine vm = VirtualMachine.create(kvm, new VmConfig(name, mem, cpus, false,
                new MultibootLoader(MultibootLoader.embeddedGuest(), cmdline), "hfguest"));
        vm.onGuestLine(watch);
        vm.start();
        return vm;
    }

    @Test
    void oneVcpuRunsHealthyThroughPauseAndStateRestore() throws Exception {
        GuestWatch watch = new GuestWatch();
        try (Kvm kvm = Kvm.open(); VirtualMachine vm = start(kvm, "one", 256 << 20, 1, "", watch)) {
            watch.awaitHeartbeats(1, 20, PATIENCE);
            watch.assertHealthy(1);

            int beforePause = watch.heartbeats(0).size();
            vm.pause();
            assertThat(vm.status()).isEqualTo(VmStatus.PAUSED);
            Thread.sleep(200);
            vm.resume();
            watch.awaitHeartbeats(1, 10, PATIENCE);
            watch.assertHealthy(1);
            // the guest's clock runs on through a pause, and the guest sees it itself as a gap in its loop,
            // wherever the pause landed (a kick often lands on a heartbeat's port write on a slow host)
            List<Heartbeat> hb = watch.heartbeats(0);
            long widest = hb.subList(beforePause, hb.size()).stream().mapToLong(Heartbeat::gapCycles).max().orElse(0);
            assertThat(widest).as("largest gap hfguest reported after the 200 ms pause")
                    .isGreaterThanOrEqualTo(watch.tscKhz() * 100);

            vm.pause();
            VmState saved = vm.saveState();
            vm.restoreState(saved);
            vm.resume();
            watch.awaitHeartbeats(1, 10, PATIENCE);
            watch.assertHealthy(1);
            assertThat(vm.exit()).isNotDone();
        }
    }

    @Test
    void twoVcpusStayHealthyThroughStateRestore() throws Exception {
        GuestWatch watch = new GuestWatch();
        try (Kvm kvm = Kvm.open(); VirtualMachine vm = start(kvm, "two", 256 << 20, 2, "", watch)) {
            watch.awaitHeartbeats(2, 10, PATIENCE);
            vm.pause();
            vm.restoreState(vm.saveState());
            vm.resume();
            watch.awaitHeartbeats(2, 10, PATIENCE);
            watch.assertHealthy(2);
        }
    }

    /**
     * The cutover's path: the state saved where it goes by the ioctls themselves is the one the object path saves
     * (time-varying fields aside) and restores where it lies, its first vCPU as soon as its section is written; a
     * state of another CPUID is decoded instead, and then refused by KVM for a vCPU that has run, before anything of
     * it is restored.
     */
    @Test
    void aStateSavedAndRestoredInPlaceIsTheObjectPathsState() throws Exception {
        GuestWatch watch = new GuestWatch();
        try (Kvm kvm = Kvm.open(); VirtualMachine vm = start(kvm, "inplace", 256 << 20, 2, "", watch)) {
            watch.awaitHeartbeats(2, 10, PATIENCE);
            vm.pause();
            ByteBuffer region = ByteBuffer.allocateDirect(1 << 20);
            int length = vm.stateInPlace().encodeInto(region, EncodableState.Written.NOBODY);
            VmState inPlace = StateCodec.decode(region.slice(0, length));
            VmState objects = vm.saveState();

            assertThat(inPlace.vmName()).isEqualTo(objects.vmName());
            assertThat(inPlace.devices().keySet()).isEqualTo(objects.devices().keySet());
            assertThat(inPlace.vm().ioapic()).isEqualTo(objects.vm().ioapic());
            assertThat(inPlace.vm().picMaster()).isEqualTo(objects.vm().picMaster());
            for (int i = 0; i < 2; i++) {
                VcpuSnapshot a = inPlace.vcpus().get(i);
                VcpuSnapshot b = objects.vcpus().get(i);
                assertThat(a.regs()).isEqualTo(b.regs());
                assertThat(a.sregs()).isEqualTo(b.sregs());
                assertThat(a.xsave()).isEqualTo(b.xsave());
                assertThat(a.events()).isEqualTo(b.events());
                assertThat(a.cpuid()).isEqualTo(b.cpuid());
                assertThat(SaveableMsrs.withoutTimeVarying(a.msrs()))
                        .isEqualTo(SaveableMsrs.withoutTimeVarying(b.msrs()));
            }

            VcpuSnapshot first = objects.vcpus().get(0);
            List<CpuidEntry> fewer = first.cpuid().entries().subList(0, first.cpuid().entries().size() - 1);
            List<VcpuSnapshot> vcpus = new ArrayList<>(objects.vcpus());
            vcpus.set(0, new VcpuSnapshot(first.id(), first.mpState(), first.regs(), first.sregs(), first.xsave(),
                    first.xcrs(), first.debugRegs(), first.lapic(), first.tscKhz(), new Cpuid(fewer), first.msrs(),
                    first.events()));
            byte[] other = StateCodec.encode(new VmState(objects.vmName(), objects.vm(), vcpus, objects.devices()));
            assertThatThrownBy(() -> vm.restoreState(ByteBuffer.allocateDirect(other.length).put(other).flip(), 0))
                    .hasMessageContaining("has already run with another CPUID");

            // as a cutover does: the first vCPU restored from its section as soon as it is written, the rest after
            List<Integer> written = new ArrayList<>();
            int again = vm.stateInPlace().encodeInto(region, written::add);
            assertThat(written).as("one mark per vCPU section").hasSize(2);
            InPlaceState.EarlyRestore early = vm.earlyRestore();
            early.advance(region.slice(0, again), written.get(0), 0);
            assertThat(early.restored()).isEqualTo(1);
            vm.standByToResume();
            vm.restoreState(region.slice(0, again), 0, early);
            vm.resume();
            watch.awaitHeartbeats(2, 10, PATIENCE);
            watch.assertHealthy(2);
        }
    }

    /**
     * What a PVM host needs, on a KVM that does not: hfguest stops on each int3 undelivered (int3=vmm), from ring 0
     * once per vCPU at boot and from ring 3 once per heartbeat, and hfvisor delivers #BP through the guest's IDT.
     * hfguest's handler compares every field of the frame and the stack it landed on with what a CPU does. The
     * frames are hfvisor's writes to guest RAM, behind KVM's dirty log: a pre-copy must see them as a device's.
     */
    @Test
    void hfvisorDeliversBreakpointsAsTheCpuWould() throws Exception {
        GuestWatch watch = new GuestWatch();
        try (Kvm kvm = Kvm.open(); VirtualMachine vm = start(kvm, "bp", 64 << 20, 2, "int3=vmm", watch)) {
            vm.memory().logDeviceWrites(true);   // as a copy-mode handover's pre-copy has it
            watch.awaitHeartbeats(2, 10, PATIENCE);
            watch.assertHealthy(2);
            assertThat(vm.breakpointsDelivered()).as("ring-0 checks at boot plus ring-3 ones per heartbeat")
                    .isGreaterThanOrEqualTo(2 + 2 * 9);
            assertThat(vm.memory().takeDeviceWrites()).as("the ring-0 stack pages the frames were pushed on")
                    .isNotEmpty();
        }
    }

    @Test
    void a4GiBGuestUsesRamAboveTheHoleAndStaysHealthy() throws Exception {
        GuestWatch watch = new GuestWatch();
        try (Kvm kvm = Kvm.open(); VirtualMachine vm = start(kvm, "big", 4L << 30, 1, "", watch)) {
            watch.awaitHeartbeats(1, 10, PATIENCE);
            watch.assertHealthy(1);
            assertThat(watch.lines()).as("hfguest saw all 4 GiB")
                    .anyMatch(l -> l.is(GuestLine.BOOT) && l.number("mem") > (3L << 30));
        }
    }

    @Test
    void guestPowerOffEndsTheVmWithItsExitCode() throws Exception {
        GuestWatch watch = new GuestWatch();
        try (Kvm kvm = Kvm.open(); VirtualMachine vm = start(kvm, "short", 64 << 20, 1, "exit_after_ms=300", watch)) {
            VmExit exit = vm.exit().get(PATIENCE.toSeconds(), TimeUnit.SECONDS);
            assertThat(exit.status()).as(exit.message()).isEqualTo(VmStatus.POWERED_OFF);
            assertThat(exit.code()).as("hfguest's verdict, 0 = no errors; %s", watch.tail()).isZero();
            assertThat(vm.status()).isEqualTo(VmStatus.POWERED_OFF);
        }
    }

    @Test
    void aTripleFaultIsReportedWithRegistersAndCode() throws Exception {
        // an image whose entry jumps to an unmapped address with no IDT: the CPU shuts down
        byte[] image = MultibootLoader.embeddedGuest();
        GuestWatch watch = new GuestWatch();
        try (Kvm kvm = Kvm.open(); VirtualMachine vm = VirtualMachine.create(kvm, new VmConfig("crash", 64 << 20, 1,
                false, new CrashingLoader(image), "hfguest"))) {
            vm.onGuestLine(watch);
            vm.start();
            VmExit exit = vm.exit().get(PATIENCE.toSeconds(), TimeUnit.SECONDS);
            assertThat(exit.status()).isEqualTo(VmStatus.FAILED);
            // on AMD, KVM resets a vCPU that shut down, so the registers are the reset state; still named and shown
            assertThat(exit.message()).contains("triple fault").contains("vcpu 0").contains("rip=").contains("code at rip");
        }
    }
}
