package dev.hyperfresh.engine;

import dev.hyperfresh.progress.Progress;
import dev.hyperfresh.progress.ProgressListener;
import dev.hyperfresh.qemu.replace.Phase;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** Relays a QEMU replacement's progress and times its phases, which the qemu module reports only as they begin. */
final class QemuPhaseTimer implements ProgressListener {
    private final ProgressListener relay;
    private final Map<String, Long> beganUs = new LinkedHashMap<>();

    QemuPhaseTimer(ProgressListener relay) {
        this.relay = relay;
    }

    @Override
    public void onProgress(Progress p) {
        beganUs.putIfAbsent(p.phase(), p.elapsedUs());
        relay.onProgress(p);
    }

    /** Each phase's time until the next began, the last one's until {@code endUs}; DONE only marks the end. */
    Map<String, Long> phasesUs(long endUs) {
        List<Map.Entry<String, Long>> began = new ArrayList<>(beganUs.entrySet());
        Map<String, Long> phases = new LinkedHashMap<>();
        for (int i = 0; i < began.size(); i++) {
            String phase = began.get(i).getKey();
            if (!phase.equals(Phase.DONE.word())) {
                long end = i + 1 < began.size() ? began.get(i + 1).getValue() : endUs;
                phases.put(phase, end - began.get(i).getValue());
            }
        }
        return phases;
    }
}
