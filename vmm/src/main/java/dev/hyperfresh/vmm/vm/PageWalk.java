package dev.hyperfresh.vmm.vm;

import dev.hyperfresh.kvm.Sregs;
import dev.hyperfresh.vmm.memory.GuestMemory;

/** Translates a guest linear address through the guest's own 4-level page tables (for fault reports). */
final class PageWalk {
    private static final long ADDRESS_MASK = 0x000f_ffff_ffff_f000L;
    private static final long PRESENT = 1;
    private static final long LARGE = 1 << 7;

    private PageWalk() {
    }

    static long toPhysical(GuestMemory memory, Sregs sregs, long linear) {
        if ((sregs.cr0() & (1L << 31)) == 0) {
            return linear & 0xffffffffL;
        }
        if ((sregs.efer() & (1 << 10)) == 0) {
            throw new IllegalStateException("32-bit paging walk not supported");
        }
        long table = sregs.cr3() & ADDRESS_MASK;
        for (int level = 3; level >= 0; level--) {
            int index = (int) ((linear >>> (12 + 9 * level)) & 0x1ff);
            long entry = memory.at(table + 8L * index, 8).getLong(0);
            if ((entry & PRESENT) == 0) {
                throw new IllegalStateException(String.format("0x%x is not mapped (level %d)", linear, level + 1));
            }
            if (level > 0 && level < 3 && (entry & LARGE) != 0) {
                long pageMask = (1L << (12 + 9 * level)) - 1;
                return (entry & ADDRESS_MASK & ~pageMask) | (linear & pageMask);
            }
            table = entry & ADDRESS_MASK;
        }
        return table | (linear & 0xfff);
    }
}
