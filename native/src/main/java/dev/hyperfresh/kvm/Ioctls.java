package dev.hyperfresh.kvm;

/** KVM ioctl request numbers for x86-64, encoded as {@code <linux/kvm.h>} does (checked against it by a test). */
final class Ioctls {
    private static final int KVMIO = 0xAE;
    private static final int NONE = 0;
    private static final int WRITE = 1;
    private static final int READ = 2;

    static final long GET_API_VERSION = io(0x00);
    static final long CREATE_VM = io(0x01);
    static final long GET_MSR_INDEX_LIST = iowr(0x02, 4);
    static final long CHECK_EXTENSION = io(0x03);
    static final long GET_VCPU_MMAP_SIZE = io(0x04);
    static final long GET_SUPPORTED_CPUID = iowr(0x05, 8);

    static final long CREATE_VCPU = io(0x41);
    static final long GET_DIRTY_LOG = iow(0x42, 16);
    static final long SET_USER_MEMORY_REGION = iow(0x46, 32);
    static final long SET_TSS_ADDR = io(0x47);
    static final long SET_IDENTITY_MAP_ADDR = iow(0x48, 8);
    static final long CREATE_IRQCHIP = io(0x60);
    static final long IRQ_LINE = iow(0x61, 8);
    static final long GET_IRQCHIP = iowr(0x62, 520);
    static final long SET_IRQCHIP = ior(0x63, 520);
    static final long CREATE_PIT2 = iow(0x77, 64);
    static final long SET_CLOCK = iow(0x7b, 48);
    static final long GET_CLOCK = ior(0x7c, 48);
    static final long GET_PIT2 = ior(0x9f, 112);
    static final long SET_PIT2 = iow(0xa0, 112);

    static final long RUN = io(0x80);
    static final long TRANSLATE = iowr(0x85, Translation.SIZE);
    static final long GET_REGS = ior(0x81, Regs.SIZE);
    static final long SET_REGS = iow(0x82, Regs.SIZE);
    static final long GET_SREGS = ior(0x83, Sregs.SIZE);
    static final long SET_SREGS = iow(0x84, Sregs.SIZE);
    static final long GET_MSRS = iowr(0x88, 8);
    static final long SET_MSRS = iow(0x89, 8);
    static final long SET_SIGNAL_MASK = iow(0x8b, 4);
    static final long GET_FPU = ior(0x8c, Fpu.SIZE);
    static final long SET_FPU = iow(0x8d, Fpu.SIZE);
    static final long GET_LAPIC = ior(0x8e, Lapic.SIZE);
    static final long SET_LAPIC = iow(0x8f, Lapic.SIZE);
    static final long SET_CPUID2 = iow(0x90, 8);
    static final long GET_CPUID2 = iowr(0x91, 8);
    static final long GET_MP_STATE = ior(0x98, 4);
    static final long SET_MP_STATE = iow(0x99, 4);
    static final long GET_VCPU_EVENTS = ior(0x9f, VcpuEvents.SIZE);
    static final long SET_VCPU_EVENTS = iow(0xa0, VcpuEvents.SIZE);
    static final long GET_DEBUGREGS = ior(0xa1, DebugRegs.SIZE);
    static final long SET_DEBUGREGS = iow(0xa2, DebugRegs.SIZE);
    static final long SET_TSC_KHZ = io(0xa2);
    static final long GET_TSC_KHZ = io(0xa3);
    static final long GET_XSAVE = ior(0xa4, 4096);
    static final long SET_XSAVE = iow(0xa5, 4096);
    static final long GET_XCRS = ior(0xa6, Xcrs.SIZE);
    static final long SET_XCRS = iow(0xa7, Xcrs.SIZE);
    static final long KVMCLOCK_CTRL = io(0xad);
    static final long GET_XSAVE2 = ior(0xcf, 4096);
    static final long PRE_FAULT_MEMORY = iowr(0xd5, 64);

    private Ioctls() {
    }

    private static long io(int nr) {
        return encode(NONE, nr, 0);
    }

    private static long ior(int nr, int size) {
        return encode(READ, nr, size);
    }

    private static long iow(int nr, int size) {
        return encode(WRITE, nr, size);
    }

    private static long iowr(int nr, int size) {
        return encode(READ | WRITE, nr, size);
    }

    private static long encode(int dir, int nr, int size) {
        return ((long) dir << 30) | ((long) size << 16) | ((long) KVMIO << 8) | nr;
    }
}
