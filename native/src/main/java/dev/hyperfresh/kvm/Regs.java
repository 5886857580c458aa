package dev.hyperfresh.kvm;

/** struct kvm_regs: the general-purpose registers, RIP and RFLAGS. */
public final class Regs extends KvmStruct<Regs> {
    public static final int SIZE = 144;
    public static final int RAX = 0, RBX = 8, RCX = 16, RDX = 24, RSI = 32, RDI = 40, RSP = 48, RBP = 56;
    public static final int R8 = 64, R9 = 72, R10 = 80, R11 = 88, R12 = 96, R13 = 104, R14 = 112, R15 = 120;
    public static final int RIP = 128, RFLAGS = 136;
    private static final String[] NAMES = {"rax", "rbx", "rcx", "rdx", "rsi", "rdi", "rsp", "rbp",
        "r8", "r9", "r10", "r11", "r12", "r13", "r14", "r15", "rip", "rflags"};

    public Regs(byte[] bytes) {
        super(bytes, SIZE);
    }

    /** All zero except RFLAGS bit 1, which the CPU requires set. */
    public static Regs initial() {
        return new Regs(new byte[SIZE]).withU64(RFLAGS, 2);
    }

    @Override
    protected Regs wrap(byte[] bytes) {
        return new Regs(bytes);
    }

    public long rip() {
        return u64(RIP);
    }

    public long rsp() {
        return u64(RSP);
    }

    public long rflags() {
        return u64(RFLAGS);
    }

    @Override
    public String toString() {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < NAMES.length; i++) {
            sb.append(i == 0 ? "" : " ").append(NAMES[i]).append('=').append(Long.toHexString(u64(i * 8)));
        }
        return sb.toString();
    }
}
