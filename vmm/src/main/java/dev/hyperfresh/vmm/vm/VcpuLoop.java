package dev.hyperfresh.vmm.vm;

import dev.hyperfresh.kvm.ExitReason;
import dev.hyperfresh.kvm.KvmRun;
import dev.hyperfresh.kvm.Regs;
import dev.hyperfresh.kvm.Sregs;
import dev.hyperfresh.kvm.Vcpu;
import dev.hyperfresh.sys.RealtimePriority;
import dev.hyperfresh.vmm.devices.IoBus;
import dev.hyperfresh.vmm.devices.MmioBus;
import dev.hyperfresh.vmm.devices.MmioDevice;

/**
 * The body of one vCPU thread: KVM_RUN, dispatch the exit, repeat; park when the VM asks to pause. A kick
 * (immediate_exit + signal) is how the VM gets the thread out of KVM_RUN; any half-done I/O exit is completed
 * by the kernel on the next KVM_RUN before it honours immediate_exit, and the thread parks only after such a
 * run, so a parked vCPU has nothing in flight.
 */
final class VcpuLoop implements Runnable {
    private static final int EMULATION_FAILURE = 1;
    private static final int PAGE = 4096;
    private static final byte[] NO_BYTES = new byte[0];
    private final VirtualMachine vm;
    private final VcpuGate gate;
    private final Vcpu vcpu;
    private final IoBus bus;
    private final MmioBus mmio;
    private final BreakpointDelivery.LinearMemory linear;
    private final ExitCounts counts;
    private final boolean hfguest;
    private boolean ioInFlight;

    VcpuLoop(VirtualMachine vm, Vcpu vcpu, IoBus bus, MmioBus mmio) {
        this.vm = vm;
        this.mmio = mmio;
        this.gate = vm.gate();
        this.vcpu = vcpu;
        this.bus = bus;
        this.linear = new VcpuLinearMemory(vcpu, vm.memory());
        this.counts = vm.exitCounts();
        this.hfguest = vm.config().guestKind().equals(VmConfig.HFGUEST);
    }

    @Override
    public void run() {
        try {
            vcpu.bindToCurrentThread();
            vm.vcpuReady();
            // Park only once the kernel has nothing in flight: an I/O exit is completed (RIP advanced, a string
            // instruction's next chunk taken) by the next KVM_RUN, which a kick's immediate_exit then ends at
            // once. Parked after the I/O exit itself, the saved RIP would replay the instruction elsewhere.
            int lowered = 0;
            while (ioInFlight || gate.awaitRunnable()) {
                if (!ioInFlight) {
                    vm.runDeferredDeviceWork();
                }
                ioInFlight = false;
                ExitReason exit = vcpu.run();
                int raised = gate.raisedSince(lowered);
                if (raised >= 0 && !gate.pausing()) {   // guest code runs at normal priority from its next exit on
                    RealtimePriority.lowerCurrentThread();
                    lowered = raised;
                }
                if (!handle(exit)) {
                    return;
                }
            }
        } catch (RuntimeException | Error e) {
            vm.fail("vcpu " + vcpu.id() + " thread failed: " + e);
        } finally {
            vcpu.unbindFromCurrentThread();
            gate.gone();
        }
    }

    /** Returns false when the VM must stop. */
    private boolean handle(ExitReason exit) {
        KvmRun run = vcpu.runData();
        counts.exit(exit);
        switch (exit) {
            case INTR -> {
                vcpu.acknowledgeKick();
                return true;
            }
            case IO -> {
                counts.io(run.ioPort());
                if (run.ioPort() == EmulationFailure.PROBE_PORT && hfguest) {
                    vcpu.completePendingExit();
                    return emulationFailure(NO_BYTES, "hfguest's probe (port 0xea) before an instruction");
                }
                io(run);
                ioInFlight = true;
                return true;
            }
            case HLT, IRQ_WINDOW_OPEN -> {
                return true;
            }
            case SYSTEM_EVENT -> {
                vm.powerOff(0, "guest requested system event " + run.systemEventType());
                return false;
            }
            case SHUTDOWN -> {
                if (!vm.canReboot()) {
                    vm.failWithState("triple fault (KVM_EXIT_SHUTDOWN)", vcpu);
                    return false;
                }
                // a PC resets on a triple fault, and Linux reboots through one when the reset line did not act
                vm.guestReset("triple fault on vcpu " + vcpu.id());
                return true;
            }
            case INTERNAL_ERROR -> {
                if (run.internalSuberror() == EMULATION_FAILURE) {
                    return emulationFailure(run.emulationFailureInstructionBytes(),
                            "KVM's emulation failure (KVM_EXIT_INTERNAL_ERROR, suberror 1)");
                }
                vm.failWithState("KVM internal error, suberror " + run.internalSuberror(), vcpu);
                return false;
            }
            case FAIL_ENTRY -> {
                vm.failWithState("VM entry failed, hardware reason 0x" + Long.toHexString(run.failEntryReason()),
                        vcpu);
                return false;
            }
            case MMIO -> {
                MmioDevice device = mmio.at(run.mmioAddress());
                if (device == null) {
                    vm.failWithState(String.format("MMIO %s of %d bytes at 0x%x, where hfvisor has no device",
                            run.mmioIsWrite() ? "write" : "read", run.mmioLength(), run.mmioAddress()), vcpu);
                    return false;
                }
                if (run.mmioIsWrite()) {
                    int length = run.mmioLength();   // KVM fills only that many of the data field's 8 bytes
                    device.write(run.mmioAddress(), length,
                            length >= 8 ? run.mmioData() : run.mmioData() & ((1L << (8 * length)) - 1));
                } else {
                    run.setMmioData(device.read(run.mmioAddress(), run.mmioLength()));
                }
                ioInFlight = true;   // a read's value reaches the guest on the next KVM_RUN, as an IN's does
                return true;
            }
            default -> {
                vm.failWithState("unhandled exit " + exit + " (" + run.exitReason() + ")", vcpu);
                return false;
            }
        }
    }

    /**
     * The vCPU stands on an instruction KVM did not execute: finish it here if that is cheap and safe, else end
     * the VM naming it. {@code kvmBytes} are the instruction bytes KVM fetched, when it says so.
     */
    private boolean emulationFailure(byte[] kvmBytes, String cause) {
        Regs regs = vcpu.getRegs();
        Sregs sregs = vcpu.getSregs();
        byte[] code = kvmBytes.length > 0 ? kvmBytes : codeAt(regs, sregs);
        var outcome = EmulationFailure.decide(code, regs, sregs, this::xcr0, xinuseVisible());
        if (outcome instanceof EmulationFailure.Breakpoint) {
            return deliverBreakpoint(cause);
        }
        if (outcome instanceof EmulationFailure.Emulated done) {
            vcpu.setRegs(done.regs());
            vm.instructionEmulated(done.instruction(), cause);
            return true;
        }
        vm.failWithState(cause + ": " + ((EmulationFailure.Unemulatable) outcome).reason(), vcpu);
        return false;
    }

    /** Up to 15 bytes at CS:RIP through the guest's page tables; only this page's when the next is not mapped. */
    private byte[] codeAt(Regs regs, Sregs sregs) {
        long at = sregs.segment(Sregs.CS).base() + regs.rip();
        try {
            return linear.read(at, EmulationFailure.MAX_INSTRUCTION);
        } catch (BreakpointDelivery.Undeliverable acrossUnmappedPage) {
            try {
                return linear.read(at, (int) Math.min(EmulationFailure.MAX_INSTRUCTION, PAGE - (at & (PAGE - 1))));
            } catch (BreakpointDelivery.Undeliverable unreadable) {
                return NO_BYTES;
            }
        }
    }

    private long xcr0() {
        return vcpu.getXcrs().value(0).orElseThrow(() -> new IllegalStateException("KVM_GET_XCRS has no XCR0"));
    }

    /** Whether the guest's CPUID offers XGETBV with ECX=1 (leaf 0xd sub-leaf 1, EAX bit 2). */
    private boolean xinuseVisible() {
        return vm.guestCpuid().find(0xd, 1).map(e -> (e.eax() & 4) != 0).orElse(false);
    }

    /** Delivers #BP for the int3 this vCPU stopped on; a breakpoint the CPU could not deliver either ends the VM. */
    private boolean deliverBreakpoint(String cause) {
        try {
            var delivered = BreakpointDelivery.deliver(vcpu.getRegs(), vcpu.getSregs(), linear);
            vcpu.setSregs(delivered.sregs());
            vcpu.setRegs(delivered.regs());
            vm.instructionEmulated(ExitCounts.Emulated.INT3, cause);
            return true;
        } catch (BreakpointDelivery.Undeliverable e) {
            vm.failWithState("cannot deliver #BP after " + cause + ": " + e.getMessage(), vcpu);
            return false;
        }
    }

    private void io(KvmRun run) {
        int port = run.ioPort();
        int size = run.ioSize();
        int count = run.ioCount();
        if (run.ioDirection() == KvmRun.IO_OUT) {
            if (size == 1 && count > 1) {
                bus.writeString(port, run.ioData());
                return;
            }
            byte[] data = run.ioData();
            for (int i = 0; i < count; i++) {
                bus.write(port, size, littleEndian(data, i * size, size));
            }
        } else {
            byte[] data = new byte[size * count];
            for (int i = 0; i < count; i++) {
                int v = bus.read(port, size);
                for (int b = 0; b < size; b++) {
                    data[i * size + b] = (byte) (v >>> (8 * b));
                }
            }
            run.setIoData(data);
        }
    }

    private static int littleEndian(byte[] d, int off, int size) {
        int v = 0;
        for (int b = 0; b < size; b++) {
            v |= (d[off + b] & 0xff) << (8 * b);
        }
        return v;
    }
}
