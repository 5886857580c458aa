package dev.hyperfresh.vmm.memory;

import java.util.ArrayList;
import java.util.List;

/** {@code length} bytes of guest RAM from {@code offset} in its memfd: whole 4 KiB pages, consecutive. */
public record PageRun(long offset, long length) {
    public static final int PAGE = 4096;

    public PageRun {
        if (offset < 0 || length <= 0 || offset % PAGE != 0 || length % PAGE != 0) {
            throw new IllegalArgumentException("a page run needs a page-aligned offset and a positive whole number"
                    + " of pages, not " + offset + "+" + length);
        }
    }

    public long end() {
        return offset + length;
    }

    /**
     * The set bits of a KVM dirty bitmap (bit i of word i / 64 = page i of a slot of {@code pages} pages) as
     * runs of consecutive pages, by memfd offset from {@code base}, in order; adjacent pages become one run.
     */
    public static List<PageRun> fromDirtyBitmap(long[] bitmap, long pages, long base) {
        List<PageRun> out = new ArrayList<>();
        long runStart = -1;
        for (long page = 0; page <= pages; page++) {
            boolean dirty = page < pages && (bitmap[(int) (page >>> 6)] & (1L << (page & 63))) != 0;
            if (dirty && runStart < 0) {
                runStart = page;
            } else if (!dirty && runStart >= 0) {
                out.add(new PageRun(base + runStart * PAGE, (page - runStart) * PAGE));
                runStart = -1;
            }
            if (!dirty && page < pages && bitmap[(int) (page >>> 6)] == 0) {
                page |= 63;     // skip a clean word at once: most of a converging round's bitmap is zero
            }
        }
        return out;
    }

    /** {@code runs} cut into batches of at most {@code maxBytes} each (a run longer than that is split). */
    public static List<List<PageRun>> batches(List<PageRun> runs, long maxBytes) {
        if (maxBytes < PAGE || maxBytes % PAGE != 0) {
            throw new IllegalArgumentException("a batch must hold whole pages, not " + maxBytes + " bytes");
        }
        List<List<PageRun>> out = new ArrayList<>();
        List<PageRun> batch = new ArrayList<>();
        long room = maxBytes;
        for (PageRun r : runs) {
            long offset = r.offset();
            long left = r.length();
            while (left > 0) {
                long n = Math.min(left, room);
                batch.add(new PageRun(offset, n));
                offset += n;
                left -= n;
                room -= n;
                if (room == 0) {
                    out.add(batch);
                    batch = new ArrayList<>();
                    room = maxBytes;
                }
            }
        }
        if (!batch.isEmpty()) {
            out.add(batch);
        }
        return out;
    }

    public static long bytes(List<PageRun> runs) {
        return runs.stream().mapToLong(PageRun::length).sum();
    }
}
