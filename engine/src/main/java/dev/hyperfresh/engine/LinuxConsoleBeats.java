package dev.hyperfresh.engine;

import dev.hyperfresh.vmm.control.Event;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The Linux test guest's oracle on its serial console (guests/linux/init.sh): {@code LINUXHB seq=N uptime=S.SS}
 * every second, {@code memcheck FAIL} when its memory check fails, {@code diskcheck FAIL} when a block it wrote
 * to its disk does not read back and {@code netcheck FAIL} when its peer on the network does not answer a ping (all
 * three counted as the guest's errors). Verify reads them as it reads hfguest's heartbeats, one sequence per VM,
 * uptime standing in for timer ticks and TSC; a missing number is not judged, as the kernel's own messages share
 * the console and may garble a line.
 */
final class LinuxConsoleBeats {
    private static final Pattern HEARTBEAT = Pattern.compile("LINUXHB seq=(\\d+) uptime=(\\d+)\\.(\\d{2})");

    record Beat(long seq, long uptimeCentis) {
    }

    private LinuxConsoleBeats() {
    }

    static String key(String vm) {
        return vm + "/linux";
    }

    static Optional<Beat> heartbeat(Event e) {
        if (!Event.CONSOLE.equals(e.kind())) {
            return Optional.empty();
        }
        Matcher m = HEARTBEAT.matcher(e.fields().path("text").asText());
        return m.find() ? Optional.of(new Beat(Long.parseLong(m.group(1)),
                Long.parseLong(m.group(2)) * 100 + Long.parseLong(m.group(3)))) : Optional.empty();
    }

    static boolean selfCheckFailed(Event e) {
        if (!Event.CONSOLE.equals(e.kind())) {
            return false;
        }
        String text = e.fields().path("text").asText();
        return text.contains("memcheck FAIL") || text.contains("diskcheck FAIL")
                || text.contains("netcheck FAIL");
    }
}
