package dev.hyperfresh.engine;

import dev.hyperfresh.qemu.replace.Progress.Phase;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Relays a QEMU replacement's progress as the engine's and times its phases, which the qemu module reports only
 * as they begin.
 */
final class QemuPhaseTimer implements dev.hyperfresh.qemu.replace.ProgressListener {
    private final ProgressListener relay;
    private final Map<Phase, Long> beganUs = new LinkedHashMap<>();

    QemuPhaseTimer(ProgressListener relay) {
        this.relay = relay;
    }

    @Override
    public void progress(dev.hyperfresh.qemu.replace.Progress p) {
        beganUs.putIfAbsent(p.phase(), p.elapsedUs());
        relay.onProgress(new Progress(name(p.phase()), p.percent(), p.bytes(), p.elapsedUs()));
    }

    /** Each phase's time until the next began, the last one's until {@code endUs}; DONE only marks the end. */
    Map<String, Long> phasesUs(long endUs) {
        List<Map.Entry<Phase, Long>> began = new ArrayList<>(beganUs.entrySet());
        Map<String, Long> phases = new LinkedHashMap<>();
        for (int i = 0; i < began.size(); i++) {
            Phase phase = began.get(i).getKey();
            if (phase != Phase.DONE) {
                long end = i + 1 < began.size() ? began.get(i + 1).getValue() : endUs;
                phases.put(name(phase), end - began.get(i).getValue());
            }
        }
        return phases;
    }

    private static String name(Phase phase) {
        return phase.name().toLowerCase(Locale.ROOT);
    }
}
