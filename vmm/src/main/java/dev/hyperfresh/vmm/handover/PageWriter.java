package dev.hyperfresh.vmm.handover;

import com.fasterxml.jackson.databind.JsonNode;
import dev.hyperfresh.vmm.control.Frame;
import dev.hyperfresh.vmm.memory.GuestMemory;
import dev.hyperfresh.vmm.memory.PageRun;
import java.util.ArrayList;
import java.util.List;

/** The standby's side of copy mode: writes each {@code pages} frame of {@link PreCopy} into the RAM it created. */
final class PageWriter {
    private PageWriter() {
    }

    /**
     * Writes the frame's pages into {@code memories[vm]}; returns the bytes written. A frame that does not describe
     * whole pages inside that RAM, matching its payload, is refused whole before anything is written.
     */
    static long write(Frame frame, List<GuestMemory> memories) {
        JsonNode h = frame.header();
        int vm = h.path("vm").asInt(-1);
        if (vm < 0 || vm >= memories.size()) {
            throw new IllegalArgumentException("pages for VM #" + h.path("vm") + ", but there are " + memories.size());
        }
        GuestMemory memory = memories.get(vm);
        JsonNode listed = h.path("runs");
        if (!listed.isArray() || listed.size() % 2 != 0 || frame.payloads().size() != 1) {
            throw new IllegalArgumentException("a pages frame needs \"runs\" as offset, length pairs and one payload");
        }
        List<PageRun> runs = new ArrayList<>();
        for (int i = 0; i < listed.size(); i += 2) {
            PageRun r = new PageRun(listed.get(i).asLong(-1), listed.get(i + 1).asLong(-1));
            if (r.end() > memory.size()) {
                throw new IllegalArgumentException("page run " + r + " lies outside the VM's " + memory.size()
                        + " bytes");
            }
            runs.add(r);
        }
        byte[] data = frame.payloads().get(0);
        if (PageRun.bytes(runs) != data.length) {
            throw new IllegalArgumentException("the runs list " + PageRun.bytes(runs) + " bytes, the payload holds "
                    + data.length);
        }
        int at = 0;
        for (PageRun r : runs) {
            memory.copyIn(r.offset(), data, at, (int) r.length());
            at += (int) r.length();
        }
        return data.length;
    }
}
