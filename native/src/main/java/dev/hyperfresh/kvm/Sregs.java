package dev.hyperfresh.kvm;

/** struct kvm_sregs: segment and descriptor-table registers, control registers, EFER and APIC base. */
public final class Sregs extends KvmStruct<Sregs> {
    public static final int SIZE = 312;
    public static final int CS = 0, DS = 1, ES = 2, FS = 3, GS = 4, SS = 5, TR = 6, LDT = 7;
    public static final int GDT = 192, IDT = 208;
    public static final int CR0 = 224, CR2 = 232, CR3 = 240, CR4 = 248, CR8 = 256, EFER = 264, APIC_BASE = 272;

    public Sregs(byte[] bytes) {
        super(bytes, SIZE);
    }

    @Override
    protected Sregs wrap(byte[] bytes) {
        return new Sregs(bytes);
    }

    public Segment segment(int index) {
        return Segment.decode(this, index * Segment.SIZE);
    }

    public Sregs withSegment(int index, Segment segment) {
        return withBytes(index * Segment.SIZE, segment.encode());
    }

    /** A descriptor table register (GDT or IDT offset): base and limit. */
    public Sregs withTable(int offset, long base, int limit) {
        return withU64(offset, base).withU32(offset + 8, limit & 0xffff);
    }

    public long cr0() {
        return u64(CR0);
    }

    public long cr3() {
        return u64(CR3);
    }

    public long cr4() {
        return u64(CR4);
    }

    public long efer() {
        return u64(EFER);
    }

    public long apicBase() {
        return u64(APIC_BASE);
    }

    @Override
    public String toString() {
        Segment cs = segment(CS);
        return String.format("cs=%x(l=%b,db=%b) cr0=%x cr3=%x cr4=%x efer=%x apic_base=%x",
                cs.selector(), cs.l(), cs.db(), cr0(), cr3(), cr4(), efer(), apicBase());
    }
}
