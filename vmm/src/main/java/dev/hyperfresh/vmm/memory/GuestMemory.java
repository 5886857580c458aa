package dev.hyperfresh.vmm.memory;

import dev.hyperfresh.kvm.Vm;
import dev.hyperfresh.sys.Fd;
import dev.hyperfresh.sys.Mapping;
import dev.hyperfresh.sys.Memfd;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLongArray;
import java.util.function.LongConsumer;
import java.util.zip.CRC32C;
import jnr.ffi.Pointer;

/**
 * A VM's RAM: one memfd, mapped shared into this process and registered with KVM per {@link MemoryLayout}.
 * The memfd is what a standby instance receives and maps: the pages themselves never move.
 */
public final class GuestMemory implements AutoCloseable {
    private static final int CHECKSUM_CHUNK = 4 << 20;

    private final Fd memfd;
    private final Mapping mapping;
    private final List<MemoryRegion> regions;
    /** Pages this process's devices wrote while dirty logging is on, by memfd page; null while it is off. */
    private volatile AtomicLongArray deviceWrites;

    private GuestMemory(Fd memfd, Mapping mapping) {
        this.memfd = memfd;
        this.mapping = mapping;
        this.regions = MemoryLayout.forSize(mapping.size());
    }

    /** Fresh zeroed RAM; with {@code hugePages}, 2 MiB hugetlbfs pages (size must be a multiple of 2 MiB). */
    public static GuestMemory create(String vmName, long bytes, boolean hugePages) {
        MemoryLayout.forSize(bytes);
        Fd fd = Memfd.create("hfvisor-" + vmName, bytes, hugePages);
        return map(fd, bytes);
    }

    /** Maps RAM received from another instance (its memfd); the size comes from the file itself. */
    public static GuestMemory adopt(Fd memfd) {
        return map(memfd, Memfd.size(memfd));
    }

    private static GuestMemory map(Fd fd, long bytes) {
        try {
            return new GuestMemory(fd, Mapping.shared(fd, bytes));
        } catch (RuntimeException e) {
            fd.close();
            throw e;
        }
    }

    public void registerWith(Vm vm) {
        register(vm, 0);
    }

    /**
     * Turns KVM's dirty-page logging on or off for every slot (a flags-only change of each registration). While it
     * is on, {@link #takeDirtyPages} returns what the guest wrote; the guest keeps running meanwhile.
     */
    public void logDirtyPages(Vm vm, boolean on) {
        logDeviceWrites(on);
        register(vm, on ? Vm.MEM_LOG_DIRTY_PAGES : 0);
    }

    /** The device half of {@link #logDirtyPages}: what {@link #deviceWrote} records from now on (or not). */
    public void logDeviceWrites(boolean on) {
        deviceWrites = on ? new AtomicLongArray((int) ((size() / PageRun.PAGE + 63) / 64)) : null;
    }

    /**
     * Records that a device of this process wrote guest RAM at {@code gpa} (a disk read, a used ring): KVM's dirty
     * log sees only what the guest writes, so without this a pre-copy would miss those pages.
     */
    public void deviceWrote(long gpa, long length) {
        AtomicLongArray log = deviceWrites;
        if (log == null || length <= 0) {
            return;
        }
        for (MemoryRegion r : regions) {
            if (r.contains(gpa)) {
                long first = (r.fileOffset() + gpa - r.gpa()) / PageRun.PAGE;
                long last = (r.fileOffset() + gpa - r.gpa() + length - 1) / PageRun.PAGE;
                for (long page = first; page <= last; page++) {
                    log.getAndAccumulate((int) (page >>> 6), 1L << (page & 63), (w, bit) -> w | bit);   // no capture
                }
                return;
            }
        }
    }

    /** The pages {@link #deviceWrote} recorded since logging began or since the last call, by memfd offset. */
    public List<PageRun> takeDeviceWrites() {
        AtomicLongArray log = deviceWrites;
        if (log == null) {
            return List.of();
        }
        long[] bitmap = new long[log.length()];
        for (int i = 0; i < bitmap.length; i++) {
            bitmap[i] = log.getAndSet(i, 0);
        }
        return PageRun.fromDirtyBitmap(bitmap, size() / PageRun.PAGE, 0);
    }

    private void register(Vm vm, int flags) {
        for (MemoryRegion r : regions) {
            vm.setUserMemoryRegion(r.slot(), flags, r.gpa(), r.size(), mapping.address() + r.fileOffset());
        }
    }

    /**
     * The pages the guest (or a device, {@link #deviceWrote}) wrote since logging began or since the last call, by
     * memfd offset; the logs clear as they answer, so a page written after this call shows up in the next one.
     */
    public List<PageRun> takeDirtyPages(Vm vm) {
        List<PageRun> out = new ArrayList<>();
        for (MemoryRegion r : regions) {
            out.addAll(PageRun.fromDirtyBitmap(vm.dirtyLog(r.slot(), r.size()), r.size() / PageRun.PAGE,
                    r.fileOffset()));
        }
        out.addAll(takeDeviceWrites());   // a page in both is sent twice, with the same bytes
        return out;
    }

    /**
     * The parts of each slot whose pages exist (the memfd's data extents, whole pages): where the guest or its
     * loader has been. Only these need populating, pre-faulting or copying: the rest reads as zeros wherever it is
     * mapped, and touching it would give the host memory the guest never asked for (all of it, in a replacement).
     */
    public List<MemoryRegion> touched() {
        List<Memfd.Extent> extents = Memfd.dataExtents(memfd);
        List<MemoryRegion> out = new ArrayList<>();
        for (MemoryRegion r : regions) {
            for (Memfd.Extent e : extents) {
                long from = Math.max(e.offset() / PageRun.PAGE * PageRun.PAGE, r.fileOffset());
                long to = Math.min((e.end() + PageRun.PAGE - 1) / PageRun.PAGE * PageRun.PAGE,
                        r.fileOffset() + r.size());
                if (from < to) {
                    out.add(new MemoryRegion(r.slot(), r.gpa() + from - r.fileOffset(), to - from, from));
                }
            }
        }
        return out;
    }

    /** {@link #touched()} as page runs (what pre-copy's first round sends). */
    public List<PageRun> touchedPages() {
        return touched().stream().map(p -> new PageRun(p.fileOffset(), p.size())).toList();
    }

    /** Copies {@code length} bytes from memfd offset {@code offset} into {@code into} at {@code at}. */
    public void copyOut(long offset, byte[] into, int at, int length) {
        checkRange(offset, length);
        mapping.pointer().get(offset, into, at, length);
    }

    /** Writes {@code length} bytes of {@code from} (from {@code at}) at memfd offset {@code offset}. */
    public void copyIn(long offset, byte[] from, int at, int length) {
        checkRange(offset, length);
        mapping.pointer().put(offset, from, at, length);
    }

    private void checkRange(long offset, long length) {
        if (offset < 0 || length < 0 || offset > size() - length) {
            throw new IllegalArgumentException("range " + offset + "+" + length + " lies outside the " + size()
                    + " bytes of guest RAM");
        }
    }

    /**
     * CRC32C of the whole RAM (the vCPUs should be paused): its pages read in chunks through a buffer, the rest
     * counted as the zeros it reads as without being read (reading a memfd's hole would allocate a page for it).
     */
    public long crc32c() {
        CRC32C crc = new CRC32C();
        byte[] buf = new byte[CHECKSUM_CHUNK];
        byte[] zeros = new byte[CHECKSUM_CHUNK];
        long at = 0;
        for (Memfd.Extent e : Memfd.dataExtents(memfd)) {
            zeros(crc, e.offset() - at, zeros);
            for (long done = e.offset(); done < e.end(); ) {
                int n = (int) Math.min(buf.length, e.end() - done);
                copyOut(done, buf, 0, n);
                crc.update(buf, 0, n);
                done += n;
            }
            at = e.end();
        }
        zeros(crc, size() - at, zeros);
        return crc.getValue();
    }

    private static void zeros(CRC32C crc, long count, byte[] zeros) {
        for (long left = count; left > 0; ) {
            int n = (int) Math.min(zeros.length, left);
            crc.update(zeros, 0, n);
            left -= n;
        }
    }

    /**
     * Touches {@code parts} (from {@link #touched()}) writable in this process now (MADV_POPULATE_WRITE), so their
     * first use costs no fault; {@code progress} is told the memfd offset reached every {@code chunkBytes} or so
     * (a guest's pages may lie in thousands of parts), and the whole size at the end.
     */
    public void populate(List<MemoryRegion> parts, long chunkBytes, LongConsumer progress) {
        long told = 0;
        for (MemoryRegion part : parts) {
            for (long done = 0; done < part.size(); ) {
                long n = Math.min(chunkBytes, part.size() - done);
                mapping.populateWrite(part.fileOffset() + done, n);
                done += n;
                long reached = part.fileOffset() + done;
                if (reached - told >= chunkBytes) {
                    progress.accept(reached);
                    told = reached;
                }
            }
        }
        progress.accept(size());
    }

    public long size() {
        return mapping.size();
    }

    /** The bytes of host memory the guest's pages take now (what it has touched); null once this RAM is closed. */
    public Long residentBytes() {
        return memfd.isOpen() ? Memfd.allocatedBytes(memfd) : null;
    }

    public Fd memfd() {
        return memfd;
    }

    public List<MemoryRegion> regions() {
        return regions;
    }

    /** The host pointer to guest-physical {@code gpa}, valid for {@code length} bytes. */
    public Pointer at(long gpa, long length) {
        for (MemoryRegion r : regions) {
            if (length >= 0 && r.contains(gpa) && gpa + length <= r.gpa() + r.size()) {   // guests choose lengths
                return mapping.pointer().slice(r.fileOffset() + gpa - r.gpa(), length);
            }
        }
        throw new IllegalArgumentException(String.format("guest range 0x%x+0x%x is not RAM", gpa, length));
    }

    /** Writes as this process (a loader, an exception frame hfvisor delivers): logged as {@link #deviceWrote} is. */
    public void write(long gpa, byte[] data) {
        write(gpa, data, 0, data.length);
    }

    /** {@code length} bytes of {@code data} from {@code at}, written as {@link #write(long, byte[])} does. */
    public void write(long gpa, byte[] data, int at, int length) {
        at(gpa, length).put(0, data, at, length);
        deviceWrote(gpa, length);
    }

    public byte[] read(long gpa, int length) {
        byte[] b = new byte[length];
        at(gpa, length).get(0, b, 0, length);
        return b;
    }

    public void writeInt(long gpa, int value) {
        at(gpa, 4).putInt(0, value);
        deviceWrote(gpa, 4);
    }

    @Override
    public void close() {
        try {
            mapping.close();
        } finally {
            memfd.close();
        }
    }
}
