package dev.hyperfresh.vmm.boot.linux;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * Long mode cannot run without paging, so the kernel is entered on an identity map of the first 4 GiB in 2 MiB
 * pages: one PML4, one PDPT, four page directories, contiguous from the PML4. The kernel replaces them early.
 */
public final class IdentityPageTables {
    public static final long MAPPED_BYTES = 4L << 30;
    public static final int PAGE = 4096;
    static final int DIRECTORIES = (int) (MAPPED_BYTES >> 30);
    public static final int SIZE = (2 + DIRECTORIES) * PAGE;
    private static final long PRESENT_WRITABLE = 0x3;
    private static final long LARGE_PAGE = 0x80;
    private static final long TWO_MIB = 2L << 20;

    private IdentityPageTables() {
    }

    /** The tables as they must lie at guest-physical {@code base} (page aligned); CR3 = {@code base}. */
    public static byte[] build(long base) {
        if (base % PAGE != 0) {
            throw new IllegalArgumentException(String.format("page tables at 0x%x are not page aligned", base));
        }
        ByteBuffer b = ByteBuffer.allocate(SIZE).order(ByteOrder.LITTLE_ENDIAN);
        long pdpt = base + PAGE;
        b.putLong(0, pdpt | PRESENT_WRITABLE);
        for (int gib = 0; gib < DIRECTORIES; gib++) {
            long directory = base + (2L + gib) * PAGE;
            b.putLong(PAGE + gib * 8, directory | PRESENT_WRITABLE);
            for (int i = 0; i < 512; i++) {
                long physical = ((long) gib << 30) + i * TWO_MIB;
                b.putLong((2 + gib) * PAGE + i * 8, physical | LARGE_PAGE | PRESENT_WRITABLE);
            }
        }
        return b.array();
    }
}
