package dev.hyperfresh.vmm.vm;

import dev.hyperfresh.kvm.ExitReason;
import dev.hyperfresh.kvm.KvmRun;
import dev.hyperfresh.kvm.Vcpu;
import dev.hyperfresh.vmm.devices.IoBus;

/**
 * The body of one vCPU thread: KVM_RUN, dispatch the exit, repeat; park when the VM asks to pause. A kick
 * (immediate_exit + signal) is how the VM gets the thread out of KVM_RUN; any half-done I/O exit is completed
 * by the kernel on the next KVM_RUN before it honours immediate_exit, and the thread parks only after such a
 * run, so a parked vCPU has nothing in flight.
 */
final class VcpuLoop implements Runnable {
    private static final int EMULATION_FAILURE = 1;
    private final VirtualMachine vm;
    private final Vcpu vcpu;
    private final IoBus bus;
    private final BreakpointDelivery.LinearMemory linear;
    private final boolean hfguest;
    private boolean ioInFlight;

    VcpuLoop(VirtualMachine vm, Vcpu vcpu, IoBus bus) {
        this.vm = vm;
        this.vcpu = vcpu;
        this.bus = bus;
        this.linear = new VcpuLinearMemory(vcpu, vm.memory());
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
            while (ioInFlight || vm.awaitRunnable()) {
                ioInFlight = false;
                if (!handle(vcpu.run())) {
                    return;
                }
            }
        } catch (RuntimeException | Error e) {
            vm.fail("vcpu " + vcpu.id() + " thread failed: " + e);
        } finally {
            vcpu.unbindFromCurrentThread();
            vm.vcpuGone();
        }
    }

    /** Returns false when the VM must stop. */
    private boolean handle(ExitReason exit) {
        KvmRun run = vcpu.runData();
        switch (exit) {
            case INTR -> {
                vcpu.acknowledgeKick();
                return true;
            }
            case IO -> {
                if (run.ioPort() == BreakpointDelivery.PROBE_PORT && hfguest) {
                    vcpu.completePendingExit();
                    return deliverBreakpoint("hfguest's breakpoint probe");
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
                vm.failWithState("triple fault (KVM_EXIT_SHUTDOWN)", vcpu);
                return false;
            }
            case INTERNAL_ERROR -> {
                if (run.internalSuberror() == EMULATION_FAILURE
                        && BreakpointDelivery.atInt3(vcpu.getRegs(), vcpu.getSregs(), linear)) {
                    return deliverBreakpoint("KVM's emulation failure at int3 (as on PVM)");
                }
                vm.failWithState("KVM internal error, suberror " + run.internalSuberror()
                        + (run.internalSuberror() == EMULATION_FAILURE ? " (emulation failure)" : ""), vcpu);
                return false;
            }
            case FAIL_ENTRY -> {
                vm.failWithState("VM entry failed, hardware reason 0x" + Long.toHexString(run.failEntryReason()),
                        vcpu);
                return false;
            }
            default -> {
                vm.failWithState("unhandled exit " + exit + " (" + run.exitReason() + ")", vcpu);
                return false;
            }
        }
    }

    /** Delivers #BP for the int3 this vCPU stopped on; a breakpoint the CPU could not deliver either ends the VM. */
    private boolean deliverBreakpoint(String cause) {
        try {
            var delivered = BreakpointDelivery.deliver(vcpu.getRegs(), vcpu.getSregs(), linear);
            vcpu.setSregs(delivered.sregs());
            vcpu.setRegs(delivered.regs());
            vm.breakpointDelivered(cause);
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
