package dev.hyperfresh.engine;

import dev.hyperfresh.vmm.control.Event;
import dev.hyperfresh.vmm.heartbeat.CutoverGap;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Consumer;

/**
 * The heartbeats one instance published, kept per VM for {@link CutoverGap}: hfguest's (with the TSC rate the
 * instance publishes with them) and which VMs run the Linux test guest, whose console heartbeats carry no TSC.
 * At most {@code capPerVm} heartbeats per VM are kept, the first ones: what follows a cutover is what counts.
 */
final class BeatLog implements Consumer<Event> {
    private final int capPerVm;
    private final Map<String, List<CutoverGap.Beat>> beats = new LinkedHashMap<>();
    private final Map<String, Map<Integer, Long>> lastSeq = new LinkedHashMap<>();
    private final Map<String, Long> tscKhz = new HashMap<>();
    private final Set<String> linux = new LinkedHashSet<>();

    BeatLog(int capPerVm) {
        this.capPerVm = capPerVm;
    }

    @Override
    public synchronized void accept(Event e) {
        if (LinuxConsoleBeats.heartbeat(e).isPresent()) {
            linux.add(e.vm());
            return;
        }
        if (!Event.HEARTBEAT.equals(e.kind())) {
            return;
        }
        var f = e.fields();
        List<CutoverGap.Beat> vm = beats.computeIfAbsent(e.vm(), k -> new ArrayList<>());
        if (vm.size() >= capPerVm) {
            return;
        }
        CutoverGap.Beat b = new CutoverGap.Beat(f.path("cpu").asInt(), f.path("seq").asLong(),
                f.path("tsc").asLong(), f.path("gapCycles").asLong());
        vm.add(b);
        lastSeq.computeIfAbsent(e.vm(), k -> new HashMap<>()).merge(b.cpu(), b.seq(), Math::max);
        if (f.path("tscKhz").asLong() > 0) {
            tscKhz.put(e.vm(), f.path("tscKhz").asLong());
        }
    }

    /** Per VM, the latest heartbeat per vCPU. */
    synchronized Map<String, Map<Integer, Long>> lastSeqs() {
        Map<String, Map<Integer, Long>> out = new LinkedHashMap<>();
        lastSeq.forEach((vm, seqs) -> out.put(vm, Map.copyOf(seqs)));
        return out;
    }

    /**
     * True once every VM's heartbeats so far fill a control window back from the latest (a VM running the Linux
     * test guest has none to fill); false while none has arrived.
     */
    synchronized boolean controlWindowFilled(long windowUs) {
        if (beats.isEmpty()) {
            return !linux.isEmpty();
        }
        return beats.keySet().stream().allMatch(vm -> CutoverGap.of(beats.get(vm), lastSeq.get(vm),
                tscKhz.getOrDefault(vm, 0L), windowUs).controlGapUs() != null);
    }

    /**
     * Each VM's figures for a cutover after {@code before}'s last heartbeats ({@code boundary}), from
     * {@code before} and the new instance's {@code after}.
     */
    static Map<String, CutoverGap.Figures> figures(BeatLog before, Map<String, Map<Integer, Long>> boundary,
                                                    BeatLog after, long windowUs) {
        Map<String, CutoverGap.Figures> out = new LinkedHashMap<>();
        synchronized (before) {
            synchronized (after) {
                Set<String> vms = new LinkedHashSet<>(before.beats.keySet());
                vms.addAll(after.beats.keySet());
                Set<String> linux = new LinkedHashSet<>(before.linux);
                linux.addAll(after.linux);
                for (String vm : linux) {
                    out.put(vm, CutoverGap.Figures.unmeasured("the Linux test guest's heartbeats carry no TSC"
                            + " stamp"));
                }
                for (String vm : vms) {
                    List<CutoverGap.Beat> all = new ArrayList<>(before.beats.getOrDefault(vm, List.of()));
                    all.addAll(after.beats.getOrDefault(vm, List.of()));
                    long khz = after.tscKhz.getOrDefault(vm, before.tscKhz.getOrDefault(vm, 0L));
                    out.put(vm, CutoverGap.of(all, boundary.getOrDefault(vm, Map.of()), khz, windowUs));
                }
            }
        }
        return out;
    }

    /** The figures as the engine reports them. */
    static List<GuestGap> gaps(Map<String, CutoverGap.Figures> figures) {
        List<GuestGap> out = new ArrayList<>();
        figures.forEach((vm, f) -> out.add(new GuestGap(vm, f.guestGapUs(), f.controlGapUs(), f.note())));
        return out;
    }
}
