package dev.hyperfresh.vmm.vm;

import dev.hyperfresh.kvm.Regs;
import dev.hyperfresh.kvm.Sregs;
import dev.hyperfresh.kvm.Vcpu;
import dev.hyperfresh.vmm.memory.GuestMemory;
import java.util.HexFormat;

/**
 * Builds the report for a vCPU that cannot go on (triple fault, KVM internal error, failed entry): the reason,
 * the registers and the bytes at RIP, so the failure can be diagnosed after the fact.
 */
final class GuestFault {
    private static final int CODE_BYTES = 16;

    private GuestFault() {
    }

    static String describe(String reason, Vcpu vcpu, GuestMemory memory) {
        StringBuilder sb = new StringBuilder(reason).append(" on vcpu ").append(vcpu.id());
        try {
            Regs regs = vcpu.getRegs();
            Sregs sregs = vcpu.getSregs();
            sb.append("\n  ").append(regs).append("\n  ").append(sregs);
            long linear = sregs.segment(Sregs.CS).base() + regs.rip();
            try {
                sb.append(String.format("%n  code at rip (linear 0x%x): %s", linear, HexFormat.ofDelimiter(" ")
                        .formatHex(new VcpuLinearMemory(vcpu, memory).read(linear, CODE_BYTES))));
            } catch (BreakpointDelivery.Undeliverable | RuntimeException e) {
                sb.append(String.format("%n  code at rip (linear 0x%x) unreadable: %s", linear, e.getMessage()));
            }
        } catch (RuntimeException e) {
            sb.append("\n  (registers unavailable: ").append(e.getMessage()).append(')');
        }
        return sb.toString();
    }
}
