package dev.hyperfresh.engine;

import dev.hyperfresh.progress.Progress;
import dev.hyperfresh.progress.ProgressListener;
import dev.hyperfresh.vmm.control.ControlClient;
import dev.hyperfresh.vmm.control.Event;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Consumer;

/**
 * Listens to an instance while a handover op runs on another connection: its {@code handover} events become
 * {@link Progress}, and the last heartbeat sequence number per VM and cpu is kept, so a verify after the cutover
 * can tell whether the guests went on from there; the heartbeats themselves go to a {@link BeatLog} for the
 * guest-observed gap, and to a verify watching the same instance ({@link #alsoTo}).
 */
final class EventTap implements AutoCloseable {
    private static final Consumer<Event> NOBODY = e -> { };
    private final ControlClient client;
    private final Map<String, Long> lastSeq = new ConcurrentHashMap<>();
    private final BeatLog beats;
    private volatile Consumer<Event> also = NOBODY;

    EventTap(Path socket, ProgressListener progress, int beatsPerVm) {
        beats = new BeatLog(beatsPerVm);
        client = ControlClient.connect(socket);
        try {
            client.subscribe(e -> {
                beats.accept(e);
                if (Event.HANDOVER.equals(e.kind())) {
                    progress.onProgress(new Progress(e.fields().path("phase").asText(),
                            e.fields().path("percent").asInt(Progress.UNKNOWN), e.fields().path("bytes").asLong(),
                            e.fields().path("elapsedUs").asLong()));
                } else if (Event.HEARTBEAT.equals(e.kind())) {
                    lastSeq.merge(HeartbeatCheck.key(e.vm(), e.fields().path("cpu").asInt()),
                            e.fields().path("seq").asLong(), Math::max);
                } else {
                    LinuxConsoleBeats.heartbeat(e).ifPresent(b -> lastSeq.merge(LinuxConsoleBeats.key(e.vm()),
                            b.seq(), Math::max));
                }
                also.accept(e);
            });
        } catch (RuntimeException e) {
            client.close();
            throw e;
        }
    }

    Map<String, Long> lastHeartbeatSeqs() {
        return Map.copyOf(lastSeq);
    }

    BeatLog beats() {
        return beats;
    }

    /** Hands every event from now on to {@code events} too (one at a time), until the handle is closed. */
    AutoCloseable alsoTo(Consumer<Event> events) {
        also = events;
        return () -> also = NOBODY;
    }

    @Override
    public void close() {
        client.close();
    }
}
