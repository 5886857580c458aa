package dev.hyperfresh.qemu.replace;

import java.util.List;

/**
 * What a replacement of a QEMU would do, as pre-flight found it: the new QEMU's command line, the old QEMU's open
 * files it would be handed (taps, listening sockets), the QMP commands that would give it the devices plugged into the
 * old one at run time ({@code plugged}, before the migration), the host forwards it would add once the old one has
 * gone, the systemd service it would take over ({@code takesOverService}, through the pid file: null if none) and
 * what the operator would accept ({@code warnings}).
 */
public record ReplacementPlan(ReplacementMode mode, List<String> commandLine, List<String> handedOver,
                              List<String> plugged, List<String> hostForwards, String takesOverService,
                              List<String> warnings) {
    public ReplacementPlan {
        commandLine = List.copyOf(commandLine);
        handedOver = List.copyOf(handedOver);
        plugged = List.copyOf(plugged);
        hostForwards = List.copyOf(hostForwards);
        warnings = List.copyOf(warnings);
    }
}
