package dev.hyperfresh.vmm.boot.linux;

import dev.hyperfresh.kvm.Regs;
import dev.hyperfresh.kvm.Segment;
import dev.hyperfresh.kvm.Sregs;
import dev.hyperfresh.vmm.boot.BootLoader;
import dev.hyperfresh.vmm.boot.BootState;
import dev.hyperfresh.vmm.memory.GuestMemory;
import dev.hyperfresh.vmm.memory.MemoryLayout;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;

/**
 * Boots a Linux bzImage through its 64-bit entry point (boot protocol 2.12+): the kernel at 1 MiB, the initrd as
 * high in low RAM as the kernel allows, command line, zero page, identity page tables, GDT, an MP table and the
 * ACPI tables ({@link AcpiTables}) in the first MiB, and the boot vCPU in long mode at the entry with RSI pointing
 * at the zero page.
 */
public final class LinuxLoader implements BootLoader {
    public static final long GDT_ADDRESS = 0x500;
    public static final long ZERO_PAGE_ADDRESS = 0x7000;
    public static final long PAGE_TABLES_ADDRESS = 0x9000;
    public static final long CMDLINE_ADDRESS = 0x20000;
    public static final long MP_TABLE_ADDRESS = E820Entry.EBDA_START;
    public static final long KERNEL_ADDRESS = E820Entry.HIGH_MEMORY;
    public static final long ENTRY_64 = KERNEL_ADDRESS + 0x200;
    static final long CR0_PE = 1, CR0_MP = 1 << 1, CR0_ET = 1 << 4, CR0_NE = 1 << 5, CR0_PG = 1L << 31;
    static final long CR4_PAE = 1 << 5;
    static final long EFER_LME = 1 << 8, EFER_LMA = 1 << 10;
    private static final long PAGE = 4096;
    private static final int COPY_CHUNK = 1 << 20;

    private final Path kernel;
    private final Path initrd;
    private final byte[] cmdline;
    private final SetupHeader header;
    private final List<MpTable.PciInterrupt> pci;

    public LinuxLoader(Path kernel, String cmdline) {
        this(kernel, null, cmdline);
    }

    public LinuxLoader(Path kernel, Path initrd, String cmdline) {
        this(kernel, initrd, cmdline, List.of());
    }

    /**
     * Checks the kernel header and the command line now, so a bad configuration fails before a VM exists.
     *
     * @param initrd the initial ramdisk, or null for none
     * @param pci    the PCI devices' interrupts the MP table describes (none: the table has no PCI bus)
     */
    public LinuxLoader(Path kernel, Path initrd, String cmdline, List<MpTable.PciInterrupt> pci) {
        this.pci = List.copyOf(pci);
        this.kernel = kernel;
        this.initrd = initrd;
        this.cmdline = cmdline.getBytes(StandardCharsets.UTF_8);
        this.header = SetupHeader.parse(kernel.toString(), readStart(kernel));
        long room = MP_TABLE_ADDRESS - CMDLINE_ADDRESS - 1;
        if (this.cmdline.length > Math.min(header.cmdlineSize(), room)) {
            throw new LinuxBootException(String.format("command line is %d bytes; %s accepts at most %d",
                    this.cmdline.length, kernel, Math.min(header.cmdlineSize(), room)));
        }
        if (initrd != null && !Files.isReadable(initrd)) {
            throw new LinuxBootException("initrd " + initrd + " is not a readable file");
        }
    }

    public SetupHeader header() {
        return header;
    }

    @Override
    public BootState load(GuestMemory memory, int vcpus) {
        long lowRamEnd = Math.min(memory.size(), MemoryLayout.LOW_RAM_LIMIT);
        long kernelBytes = size(kernel) - header.protectedModeOffset();
        long kernelEnd = Math.max(KERNEL_ADDRESS + kernelBytes,
                Math.max(KERNEL_ADDRESS, header.prefAddress()) + header.initSize());
        if (kernelEnd > lowRamEnd) {
            throw new LinuxBootException(String.format("%s needs RAM up to 0x%x to decompress and start; the VM has "
                    + "0x%x below 3 GiB", kernel, kernelEnd, lowRamEnd));
        }
        memory.write(MP_TABLE_ADDRESS, MpTable.build(MP_TABLE_ADDRESS, vcpus, pci));
        memory.write(AcpiTables.ADDRESS, AcpiTables.build(vcpus));
        memory.write(GDT_ADDRESS, BootGdt.build());
        memory.write(PAGE_TABLES_ADDRESS, IdentityPageTables.build(PAGE_TABLES_ADDRESS));
        memory.write(CMDLINE_ADDRESS, Arrays.copyOf(cmdline, cmdline.length + 1));
        copy(kernel, header.protectedModeOffset(), memory, KERNEL_ADDRESS);

        long initrdAddress = 0;
        long initrdSize = 0;
        if (initrd != null) {
            initrdSize = size(initrd);
            initrdAddress = initrdAddress(initrdSize, kernelEnd, lowRamEnd);
            copy(initrd, 0, memory, initrdAddress);
        }
        memory.write(ZERO_PAGE_ADDRESS, ZeroPage.build(header, CMDLINE_ADDRESS, initrdAddress, initrdSize,
                E820Entry.forRam(memory.size())));

        Regs regs = Regs.initial().withU64(Regs.RIP, ENTRY_64).withU64(Regs.RSI, ZERO_PAGE_ADDRESS);
        return BootState.of(regs, LinuxLoader::longMode);
    }

    /** The highest page-aligned spot that stays below initrd_addr_max and low RAM's end and above the kernel. */
    private long initrdAddress(long size, long kernelEnd, long lowRamEnd) {
        long top = Math.min(lowRamEnd, header.initrdAddrMax() + 1);
        long address = (top - size) & -PAGE;
        if (address < kernelEnd) {
            throw new LinuxBootException(String.format("initrd %s (%d bytes) does not fit between the kernel's end "
                    + "(0x%x) and 0x%x; give the VM more memory", initrd, size, kernelEnd, top));
        }
        return address;
    }

    static Sregs longMode(Sregs s) {
        Segment data = Segment.flatData(BootGdt.DATA_SELECTOR);
        return s.withSegment(Sregs.CS, Segment.flat64Code(BootGdt.CODE_SELECTOR))
                .withSegment(Sregs.DS, data).withSegment(Sregs.ES, data).withSegment(Sregs.FS, data)
                .withSegment(Sregs.GS, data).withSegment(Sregs.SS, data)
                .withTable(Sregs.GDT, GDT_ADDRESS, BootGdt.SIZE - 1)
                // Not KVM's reset CR0, which has caching disabled (CD|NW): that would make the guest crawl.
                .withU64(Sregs.CR0, CR0_PE | CR0_MP | CR0_ET | CR0_NE | CR0_PG)
                .withU64(Sregs.CR3, PAGE_TABLES_ADDRESS)
                .withU64(Sregs.CR4, CR4_PAE)
                .withU64(Sregs.EFER, EFER_LME | EFER_LMA);
    }

    private static byte[] readStart(Path file) {
        try (InputStream in = Files.newInputStream(file)) {
            return in.readNBytes(SetupHeader.PARSE_BYTES);
        } catch (IOException e) {
            throw new LinuxBootException("cannot read kernel " + file + ": " + e);
        }
    }

    private static long size(Path file) {
        try {
            return Files.size(file);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot stat " + file, e);
        }
    }

    private static void copy(Path file, long fileOffset, GuestMemory memory, long gpa) {
        try (InputStream in = Files.newInputStream(file)) {
            in.skipNBytes(fileOffset);
            byte[] chunk = new byte[COPY_CHUNK];
            for (int n; (n = in.readNBytes(chunk, 0, chunk.length)) > 0; gpa += n) {
                memory.write(gpa, chunk, 0, n);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + file, e);
        }
    }
}
