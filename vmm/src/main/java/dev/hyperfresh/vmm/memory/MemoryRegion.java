package dev.hyperfresh.vmm.memory;

/** One KVM memory slot: {@code size} bytes of the guest-memory memfd at {@code fileOffset}, seen by the guest at {@code gpa}. */
public record MemoryRegion(int slot, long gpa, long size, long fileOffset) {
    public boolean contains(long address) {
        return address >= gpa && address - gpa < size;
    }
}
