package dev.hyperfresh.engine;

import dev.hyperfresh.vmm.control.InstanceInfo;
import java.nio.file.Path;

/**
 * An hfvisor control socket found in the socket directory: either answering ({@code info} set, {@code role}
 * {@code active} or {@code standby}) or stale ({@code problem} says why, e.g. a socket file left by a dead
 * process).
 */
public record Instance(String name, Path socket, String role, InstanceInfo info, String problem) {
    public static final String ACTIVE = "active";
    public static final String STANDBY = "standby";

    public static Instance answering(Path socket, String role, InstanceInfo info) {
        return new Instance(info.name(), socket, role, info, null);
    }

    public static Instance stale(String name, Path socket, String problem) {
        return new Instance(name, socket, null, null, problem);
    }

    public boolean isStale() {
        return problem != null;
    }

    public boolean isStandby() {
        return STANDBY.equals(role);
    }

    public InstanceRef ref() {
        return new InstanceRef(info.name(), info.pid(), info.version(), info.buildId());
    }
}
