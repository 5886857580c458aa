package dev.hyperfresh.vmm.boot;

import dev.hyperfresh.kvm.Regs;
import dev.hyperfresh.kvm.Segment;
import dev.hyperfresh.kvm.Sregs;
import dev.hyperfresh.vmm.memory.GuestMemory;
import dev.hyperfresh.vmm.memory.MemoryRegion;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;

/**
 * Boots a Multiboot v1 kernel with an a.out-kludge header (hfguest): copies the image where its header says,
 * writes a multiboot info struct with the memory map and command line, and enters in 32-bit protected mode
 * as a multiboot loader must. The same image boots under QEMU's {@code -kernel}.
 */
public final class MultibootLoader implements BootLoader {
    public static final String EMBEDDED_GUEST = "/guest/hfguest.bin";
    static final int HEADER_MAGIC = 0x1BADB002;
    static final int BOOT_MAGIC = 0x2BADB002;
    static final int FLAG_AOUT_KLUDGE = 1 << 16;
    static final long INFO_ADDRESS = 0x7000;
    static final long MMAP_ADDRESS = 0x7100;
    static final long CMDLINE_ADDRESS = 0x7400;
    static final int MAX_CMDLINE = 0x7fff - 0x7400;
    private static final long LOW_RAM_END = 0x9fc00;
    private static final long HIGH_MEMORY = 0x100000;
    private static final int SEARCH_BYTES = 8192;

    private final byte[] image;
    private final String cmdline;

    public MultibootLoader(byte[] image, String cmdline) {
        if (cmdline.length() >= MAX_CMDLINE) {
            throw new IllegalArgumentException("multiboot command line longer than " + MAX_CMDLINE + " bytes");
        }
        this.image = image.clone();
        this.cmdline = cmdline;
    }

    /** The hfguest image built into this jar. */
    public static byte[] embeddedGuest() {
        try (InputStream in = MultibootLoader.class.getResourceAsStream(EMBEDDED_GUEST)) {
            if (in == null) {
                throw new IllegalStateException("hfguest image " + EMBEDDED_GUEST + " missing from the jar");
            }
            return in.readAllBytes();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @Override
    public BootState load(GuestMemory memory, int vcpus) {
        Header h = Header.find(image);
        long loadBytes = h.loadEndAddr == 0 ? image.length - h.fileOffset : h.loadEndAddr - h.loadAddr;
        if (h.fileOffset + loadBytes > image.length || h.bssEndAddr > memory.regions().get(0).size()) {
            throw new IllegalArgumentException("multiboot image does not fit: load 0x" + Long.toHexString(h.loadAddr)
                    + "+" + loadBytes + ", bss end 0x" + Long.toHexString(h.bssEndAddr));
        }
        byte[] body = new byte[(int) loadBytes];
        System.arraycopy(image, h.fileOffset, body, 0, body.length);
        memory.write(h.loadAddr, body);
        writeInfo(memory);
        Regs regs = Regs.initial().withU64(Regs.RAX, BOOT_MAGIC & 0xffffffffL).withU64(Regs.RBX, INFO_ADDRESS)
                .withU64(Regs.RIP, h.entryAddr);
        return BootState.of(regs, MultibootLoader::protectedMode);
    }

    private static Sregs protectedMode(Sregs s) {
        Sregs out = s.withSegment(Sregs.CS, Segment.flat32Code(0x08));
        for (int seg : new int[] {Sregs.DS, Sregs.ES, Sregs.FS, Sregs.GS, Sregs.SS}) {
            out = out.withSegment(seg, Segment.flatData(0x10));
        }
        return out.withU64(Sregs.CR0, (s.cr0() | 1) & ~(1L << 31));
    }

    private void writeInfo(GuestMemory memory) {
        ByteBuffer mmap = ByteBuffer.allocate(24 * 4).order(ByteOrder.LITTLE_ENDIAN);
        mmapEntry(mmap, 0, LOW_RAM_END, 1);
        mmapEntry(mmap, LOW_RAM_END, HIGH_MEMORY - LOW_RAM_END, 2);
        long lowRamTop = 0;
        for (MemoryRegion r : memory.regions()) {
            long start = r.gpa() == 0 ? HIGH_MEMORY : r.gpa();
            mmapEntry(mmap, start, r.gpa() + r.size() - start, 1);
            if (r.gpa() == 0) {
                lowRamTop = r.size();
            }
        }
        byte[] mmapBytes = java.util.Arrays.copyOf(mmap.array(), mmap.position());
        memory.write(MMAP_ADDRESS, mmapBytes);
        byte[] cmd = (cmdline + "\0").getBytes(StandardCharsets.US_ASCII);
        memory.write(CMDLINE_ADDRESS, cmd);

        ByteBuffer info = ByteBuffer.allocate(52).order(ByteOrder.LITTLE_ENDIAN);
        info.putInt(0, 1 | 1 << 2 | 1 << 6);
        info.putInt(4, (int) (LOW_RAM_END / 1024));
        info.putInt(8, (int) ((lowRamTop - HIGH_MEMORY) / 1024));
        info.putInt(16, (int) CMDLINE_ADDRESS);
        info.putInt(44, mmapBytes.length);
        info.putInt(48, (int) MMAP_ADDRESS);
        memory.write(INFO_ADDRESS, info.array());
    }

    private static void mmapEntry(ByteBuffer b, long base, long length, int type) {
        b.putInt(20).putLong(base).putLong(length).putInt(type);
    }

    /** The a.out-kludge fields of a Multiboot v1 header. */
    record Header(int fileOffset, long loadAddr, long loadEndAddr, long bssEndAddr, long entryAddr) {
        static Header find(byte[] image) {
            ByteBuffer b = ByteBuffer.wrap(image).order(ByteOrder.LITTLE_ENDIAN);
            for (int off = 0; off + 32 <= Math.min(image.length, SEARCH_BYTES); off += 4) {
                if (b.getInt(off) != HEADER_MAGIC) {
                    continue;
                }
                int flags = b.getInt(off + 4);
                if (b.getInt(off) + flags + b.getInt(off + 8) != 0) {
                    continue;
                }
                if ((flags & FLAG_AOUT_KLUDGE) == 0) {
                    throw new IllegalArgumentException("multiboot header without load addresses (flag 16); "
                            + "only flat a.out-kludge images are supported");
                }
                long headerAddr = b.getInt(off + 12) & 0xffffffffL;
                long loadAddr = b.getInt(off + 16) & 0xffffffffL;
                return new Header((int) (off - (headerAddr - loadAddr)), loadAddr, b.getInt(off + 20) & 0xffffffffL,
                        b.getInt(off + 24) & 0xffffffffL, b.getInt(off + 28) & 0xffffffffL);
            }
            throw new IllegalArgumentException("no Multiboot v1 header in the first " + SEARCH_BYTES + " bytes");
        }
    }
}
