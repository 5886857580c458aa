package dev.hyperfresh.vmm.handover;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.hyperfresh.sys.MonotonicClock;
import dev.hyperfresh.vmm.control.Event;
import dev.hyperfresh.vmm.control.FrameChannel;
import dev.hyperfresh.vmm.control.Json;
import dev.hyperfresh.vmm.memory.GuestMemory;
import dev.hyperfresh.vmm.memory.PageRun;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;

/**
 * The old instance's side of copy mode (pre-copy live migration): KVM dirty logging on every slot, round 0 sends
 * all RAM, each later round what the guest wrote meanwhile, until that is small; the last round runs with the VMs
 * paused. Pages travel as {@code pages} frames on the handover connection and the standby writes them into its
 * own RAM ({@link PageWriter}).
 */
final class PreCopy {
    /** Payload per frame: well under the 64 MiB frame limit, large enough that headers cost nothing. */
    static final long BATCH_BYTES = 8L << 20;
    /** A dirty set this small is left for the stop-and-copy: about a millisecond of memcpy on real hardware. */
    static final long SMALL_ENOUGH = 1L << 20;
    /** A guest that dirties faster than the copy never converges; this bounds the rounds spent trying. */
    static final int MAX_ROUNDS = 8;

    /** Bytes sent and rounds run by one call. */
    record Tally(long bytes, int rounds) {
        Tally plus(Tally other) {
            return new Tally(bytes + other.bytes, rounds + other.rounds);
        }
    }

    private final FrameChannel channel;
    private final List<HostedVm> vms;
    private final Consumer<Event> progress;
    private final long since;
    private byte[] buffer = new byte[0];
    private boolean logging;

    PreCopy(FrameChannel channel, List<HostedVm> vms, Consumer<Event> progress, long since) {
        this.channel = channel;
        this.vms = vms;
        this.progress = progress;
        this.since = since;
    }

    /** Turns logging on, then sends all RAM (round 0) and converges; the VMs run on throughout. */
    Tally start() {
        // Logging starts before round 0 reads anything, so a page the guest writes behind the copy is sent again.
        for (HostedVm h : vms) {
            h.vm().memory().logDirtyPages(h.vm().kvmVm(), true);
        }
        logging = true;
        List<List<PageRun>> all = vms.stream().map(h -> h.vm().memory().touchedPages()).toList();
        return new Tally(send(all), 1).plus(converge());
    }

    /** Rounds of dirty pages while the VMs run, until one is {@link #SMALL_ENOUGH} or {@link #MAX_ROUNDS} ran. */
    Tally converge() {
        Tally done = new Tally(0, 0);
        for (int i = 0; i < MAX_ROUNDS; i++) {
            long sent = round();
            done = done.plus(new Tally(sent, 1));
            if (sent <= SMALL_ENOUGH) {
                break;
            }
        }
        return done;
    }

    /** One round: every VM's dirty log, then those pages; with the VMs paused this is the stop-and-copy. */
    long round() {
        List<List<PageRun>> dirty = new ArrayList<>();
        for (HostedVm h : vms) {
            dirty.add(h.vm().memory().takeDirtyPages(h.vm().kvmVm()));
        }
        return send(dirty);
    }

    /** Dirty logging off again (the VMs stay here after an abort or a rollback); best effort. */
    void stopLogging() {
        if (!logging) {
            return;
        }
        logging = false;
        for (HostedVm h : vms) {
            try {
                h.vm().memory().logDirtyPages(h.vm().kvmVm(), false);
            } catch (RuntimeException e) {
                // a VM that ended meanwhile has no slots left to change
            }
        }
    }

    private long send(List<List<PageRun>> perVm) {
        long total = perVm.stream().mapToLong(PageRun::bytes).sum();
        long sent = 0;
        for (int vm = 0; vm < perVm.size(); vm++) {
            GuestMemory memory = vms.get(vm).vm().memory();
            for (List<PageRun> batch : PageRun.batches(perVm.get(vm), BATCH_BYTES)) {
                sendBatch(vm, memory, batch);
                sent += PageRun.bytes(batch);
                progress.accept(Event.handover("copy", (int) (100 * sent / total), sent,
                        (MonotonicClock.nanos() - since) / 1000));
            }
        }
        return sent;
    }

    private void sendBatch(int vm, GuestMemory memory, List<PageRun> batch) {
        int n = (int) PageRun.bytes(batch);
        if (buffer.length != n) {
            buffer = new byte[n];
        }
        ObjectNode header = Json.object().put("v", 1).put("op", "pages").put("vm", vm);
        ArrayNode runs = header.putArray("runs");
        int at = 0;
        for (PageRun r : batch) {
            memory.copyOut(r.offset(), buffer, at, (int) r.length());
            runs.add(r.offset()).add(r.length());
            at += (int) r.length();
        }
        channel.send(header, List.of(buffer));
    }
}
