package dev.hyperfresh.kvm;

import jnr.ffi.Pointer;

/**
 * The vCPU's shared {@code struct kvm_run} page: read the details of the last exit, write results of emulated
 * reads, and request an immediate exit. Accessors read the live page; no copies.
 */
public final class KvmRun {
    public static final int IO_IN = 0;
    public static final int IO_OUT = 1;
    /** KVM_SYNC_X86_* bits of kvm_valid_regs and kvm_dirty_regs: which structs the sync area carries. */
    public static final long SYNC_REGS = 1;
    public static final long SYNC_SREGS = 2;
    public static final long SYNC_EVENTS = 4;
    private static final long EMULATION_FLAG_INSTRUCTION_BYTES = 1;
    static final int VALID_REGS_AT = 288;
    static final int DIRTY_REGS_AT = 296;
    static final int SYNC_REGS_AT = 304;
    static final int SYNC_SREGS_AT = 448;
    static final int SYNC_EVENTS_AT = 760;
    private static final int MAX_INSTRUCTION_BYTES = 15;

    private final Pointer page;

    KvmRun(Pointer page) {
        this.page = page;
    }

    public int exitReason() {
        return page.getInt(8);
    }

    public void setImmediateExit(boolean on) {
        page.putByte(1, (byte) (on ? 1 : 0));
    }

    public int ioDirection() {
        return page.getByte(32) & 0xff;
    }

    public int ioSize() {
        return page.getByte(33) & 0xff;
    }

    public int ioPort() {
        return page.getShort(34) & 0xffff;
    }

    public int ioCount() {
        return page.getInt(36);
    }

    public long ioDataOffset() {
        return page.getLong(40);
    }

    /** The {@code count * size} bytes of an OUT, or the buffer to fill for an IN. */
    public byte[] ioData() {
        byte[] b = new byte[ioSize() * ioCount()];
        page.get(ioDataOffset(), b, 0, b.length);
        return b;
    }

    public void setIoData(byte[] data) {
        page.put(ioDataOffset(), data, 0, data.length);
    }

    public long mmioAddress() {
        return page.getLong(32);
    }

    public int mmioLength() {
        return page.getInt(48);
    }

    public boolean mmioIsWrite() {
        return page.getByte(52) != 0;
    }

    /** The value an MMIO write stores, its {@link #mmioLength()} low bytes little-endian. */
    public long mmioData() {
        return page.getLong(40);
    }

    /** The value an MMIO read returns; KVM hands it to the guest on the next KVM_RUN. */
    public void setMmioData(long value) {
        page.putLong(40, value);
    }

    public int internalSuberror() {
        return page.getInt(32);
    }

    /**
     * The instruction bytes KVM fetched before an emulation failure (struct kvm_run's emulation_failure, flag
     * KVM_INTERNAL_ERROR_EMULATION_FLAG_INSTRUCTION_BYTES, Linux 5.16+), or empty when this exit carries none.
     */
    public byte[] emulationFailureInstructionBytes() {
        int ndata = page.getInt(36);
        if (ndata < 3 || (page.getLong(40) & EMULATION_FLAG_INSTRUCTION_BYTES) == 0) {
            return new byte[0];
        }
        byte[] b = new byte[Math.min(page.getByte(48) & 0xff, MAX_INSTRUCTION_BYTES)];
        page.get(49, b, 0, b.length);
        return b;
    }

    public long failEntryReason() {
        return page.getLong(32);
    }

    public int systemEventType() {
        return page.getInt(32);
    }

    /** Which structs KVM stores into the sync area at every exit from KVM_RUN (KVM_CAP_SYNC_REGS). */
    public void setValidRegs(long bits) {
        page.putLong(VALID_REGS_AT, bits);
    }

    /** Which structs of the sync area KVM sets at the next KVM_RUN; it clears each bit as it does. */
    public long dirtyRegs() {
        return page.getLong(DIRTY_REGS_AT);
    }

    public void setDirtyRegs(long bits) {
        page.putLong(DIRTY_REGS_AT, bits);
    }

    /** The sync area's struct kvm_regs, {@value Regs#SIZE} bytes. */
    public Pointer syncRegs() {
        return page.slice(SYNC_REGS_AT, Regs.SIZE);
    }

    /** The sync area's struct kvm_sregs, {@value Sregs#SIZE} bytes. */
    public Pointer syncSregs() {
        return page.slice(SYNC_SREGS_AT, Sregs.SIZE);
    }

    /** The sync area's struct kvm_vcpu_events, {@value VcpuEvents#SIZE} bytes. */
    public Pointer syncEvents() {
        return page.slice(SYNC_EVENTS_AT, VcpuEvents.SIZE);
    }
}
