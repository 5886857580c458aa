package dev.hyperfresh.kvm;

import dev.hyperfresh.sys.Fd;
import dev.hyperfresh.sys.Sys;
import jnr.ffi.Pointer;

/** One KVM virtual machine: memory slots, in-kernel irqchip and PIT, VM-wide clock, vCPU creation. */
public final class Vm implements AutoCloseable {
    /** KVM_CLOCK_REALTIME: SET_CLOCK advances the clock by the host time passed since the value was read. */
    public static final int CLOCK_REALTIME_FLAG = 1 << 2;
    public static final int MEM_LOG_DIRTY_PAGES = 1;
    private static final int PIT_SPEAKER_DUMMY = 1;

    private final Kvm kvm;
    private final Fd fd;
    private final Pointer scratch = Sys.allocate(1024);

    Vm(Kvm kvm, Fd fd) {
        this.kvm = kvm;
        this.fd = fd;
    }

    public Kvm kvm() {
        return kvm;
    }

    /** KVM_SET_TSS_ADDR: three pages of guest-physical space KVM may use on Intel; must not overlap RAM. */
    public void setTssAddress(long gpa) {
        Ioctl.call(fd, "KVM_SET_TSS_ADDR", Ioctls.SET_TSS_ADDR, gpa);
    }

    /** KVM_SET_IDENTITY_MAP_ADDR: one page for Intel's real-mode identity map; call before creating vCPUs. */
    public void setIdentityMapAddress(long gpa) {
        scratch.putLong(0, gpa);
        Ioctl.call(fd, "KVM_SET_IDENTITY_MAP_ADDR", Ioctls.SET_IDENTITY_MAP_ADDR, scratch);
    }

    /** Creates the in-kernel PIC pair, IOAPIC and per-vCPU local APICs. */
    public void createIrqchip() {
        Ioctl.call(fd, "KVM_CREATE_IRQCHIP", Ioctls.CREATE_IRQCHIP, 0);
    }

    public void createPit2() {
        Pointer p = Sys.allocate(64);
        p.putInt(0, PIT_SPEAKER_DUMMY);
        Ioctl.call(fd, "KVM_CREATE_PIT2", Ioctls.CREATE_PIT2, p);
    }

    /** Maps {@code size} bytes at host address {@code hostAddress} into the guest at {@code gpa}. */
    public void setUserMemoryRegion(int slot, int flags, long gpa, long size, long hostAddress) {
        Pointer p = Sys.allocate(32);
        p.putInt(0, slot);
        p.putInt(4, flags);
        p.putLong(8, gpa);
        p.putLong(16, size);
        p.putLong(24, hostAddress);
        Ioctl.call(fd, "KVM_SET_USER_MEMORY_REGION(slot " + slot + ")", Ioctls.SET_USER_MEMORY_REGION, p);
    }

    /** Raises or lowers an interrupt line of the in-kernel PIC/IOAPIC. */
    public void irqLine(int irq, boolean high) {
        Pointer p = Sys.allocate(8);
        p.putInt(0, irq);
        p.putInt(4, high ? 1 : 0);
        Ioctl.call(fd, "KVM_IRQ_LINE", Ioctls.IRQ_LINE, p);
    }

    public IrqChip getIrqchip(int chipId) {
        getIrqchip(chipId, scratch);
        return new IrqChip(KvmStruct.read(scratch, IrqChip.SIZE));
    }

    /** KVM_GET_IRQCHIP of chip {@code chipId} into {@code out} ({@value IrqChip#SIZE} bytes). */
    public void getIrqchip(int chipId, Pointer out) {
        out.setMemory(0, IrqChip.SIZE, (byte) 0);   // the kernel copies back the padding it was given
        out.putInt(0, chipId);
        Ioctl.call(fd, "KVM_GET_IRQCHIP", Ioctls.GET_IRQCHIP, out);
    }

    public void setIrqchip(IrqChip chip) {
        chip.writeTo(scratch);
        setIrqchip(scratch);
    }

    /** KVM_SET_IRQCHIP from the struct at {@code in}, whose chip_id names the chip. */
    public void setIrqchip(Pointer in) {
        Ioctl.call(fd, "KVM_SET_IRQCHIP", Ioctls.SET_IRQCHIP, in);
    }

    public PitState getPit2() {
        getPit2(scratch);
        return new PitState(KvmStruct.read(scratch, PitState.SIZE));
    }

    /** KVM_GET_PIT2 into {@code out} ({@value PitState#SIZE} bytes). */
    public void getPit2(Pointer out) {
        Ioctl.call(fd, "KVM_GET_PIT2", Ioctls.GET_PIT2, out);
    }

    public void setPit2(PitState pit) {
        pit.writeTo(scratch);
        setPit2(scratch);
    }

    /** KVM_SET_PIT2 from the struct at {@code in}. */
    public void setPit2(Pointer in) {
        Ioctl.call(fd, "KVM_SET_PIT2", Ioctls.SET_PIT2, in);
    }

    public ClockData getClock() {
        getClock(scratch);
        return new ClockData(KvmStruct.read(scratch, ClockData.SIZE));
    }

    /** KVM_GET_CLOCK into {@code out} ({@value ClockData#SIZE} bytes). */
    public void getClock(Pointer out) {
        Ioctl.call(fd, "KVM_GET_CLOCK", Ioctls.GET_CLOCK, out);
    }

    public void setClock(ClockData clock) {
        clock.writeTo(scratch);
        setClock(scratch);
    }

    /** KVM_SET_CLOCK from the struct at {@code in}. */
    public void setClock(Pointer in) {
        Ioctl.call(fd, "KVM_SET_CLOCK", Ioctls.SET_CLOCK, in);
    }

    /**
     * KVM_GET_DIRTY_LOG: one bit per 4 KiB page of {@code slot} written since the last call (the slot must have
     * been registered with {@link #MEM_LOG_DIRTY_PAGES}).
     */
    public long[] dirtyLog(int slot, long slotBytes) {
        int words = (int) ((slotBytes / 4096 + 63) / 64);
        Pointer bitmap = Sys.allocate(words * 8);
        Pointer p = Sys.allocate(16);
        p.putInt(0, slot);
        p.putLong(8, bitmap.address());
        Ioctl.call(fd, "KVM_GET_DIRTY_LOG(slot " + slot + ")", Ioctls.GET_DIRTY_LOG, p);
        long[] out = new long[words];
        bitmap.get(0, out, 0, words);
        return out;
    }

    public Vcpu createVcpu(int id) {
        int n = Ioctl.call(fd, "KVM_CREATE_VCPU(" + id + ")", Ioctls.CREATE_VCPU, id);
        return new Vcpu(this, id, new Fd(n, "vcpu " + id));
    }

    @Override
    public void close() {
        fd.close();
    }
}
