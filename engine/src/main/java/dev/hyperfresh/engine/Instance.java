package dev.hyperfresh.engine;

import dev.hyperfresh.vmm.control.InstanceInfo;
import dev.hyperfresh.vmm.control.InstanceRef;
import dev.hyperfresh.vmm.vm.GuestWarning;
import dev.hyperfresh.vmm.vm.VmStatus;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import java.util.function.Function;

/**
 * An hfvisor instance of the socket directory: answering on its control socket ({@code info} set), stale ({@code
 * problem} says why, e.g. a socket file left by a dead process), or unreachable: a live hfvisor process that holds
 * the name ({@code pid}) but has no socket there to answer on.
 */
public record Instance(String name, Path socket, InstanceInfo info, String problem, long unreachablePid) {
    public static Instance answering(Path socket, InstanceInfo info) {
        return new Instance(info.name(), socket, info, null, 0);
    }

    public static Instance stale(String name, Path socket, String problem) {
        return new Instance(name, socket, null, problem, 0);
    }

    public static Instance unreachable(String name, Path socket, long pid, String problem) {
        return new Instance(name, socket, null, problem, pid);
    }

    /** Whether it does not answer (stale or unreachable): nothing can be asked of it. */
    public boolean isStale() {
        return problem != null;
    }

    public boolean isUnreachable() {
        return unreachablePid > 0;
    }

    /** {@code active} or {@code standby}; null when stale. */
    public String role() {
        return info == null ? null : info.role();
    }

    public boolean isStandby() {
        return InstanceInfo.STANDBY.equals(role());
    }

    /** The states of a VM that has not ended: hfvisor runs on while one of its VMs is in one. */
    public static final Set<String> ALIVE = Set.of(VmStatus.CREATED.word(), VmStatus.RUNNING.word(),
            VmStatus.PAUSED.word(), VmStatus.RESETTING.word());

    /**
     * Whether stopping {@code vm} ends the instance: hfvisor exits once none of its VMs is created, running, paused
     * or resetting.
     */
    public boolean endsWithout(String vm) {
        return info.vms().stream().filter(v -> !v.name().equals(vm)).noneMatch(v -> ALIVE.contains(v.state()));
    }

    /**
     * Refuses {@code action} on {@code vm} (on every VM when null) if {@code objection} has one to a VM (null: none):
     * said here, before anything is done, where hfvisor would refuse a VM only after acting on those before it.
     */
    public void requireEach(String vm, String action, Function<InstanceInfo.Vm, String> objection) {
        for (InstanceInfo.Vm v : info.vms()) {
            String why = vm == null || v.name().equals(vm) ? objection.apply(v) : null;
            if (why != null) {
                throw EngineException.precondition("cannot " + action + " VM " + v.name() + " of " + name + ": "
                        + why);
            }
        }
    }

    /** The objection to a VM in none of {@code states}: the state it is in. */
    public static Function<InstanceInfo.Vm, String> unlessIn(Set<String> states) {
        return v -> states.contains(v.state()) ? null : "it is " + v.state();
    }

    /** Refuses {@code vm} unless this instance runs a VM of that name (hfvisor's own words for it). */
    public void requireVm(String vm) {
        List<String> vms = info.vms().stream().map(InstanceInfo.Vm::name).toList();
        if (!vms.contains(vm)) {
            throw EngineException.precondition("no VM named " + vm + " in instance " + name + " (it has: "
                    + String.join(", ", vms) + ")");
        }
    }

    /**
     * What hfvisor warned about at launch, said again from {@code info} ({@link GuestWarning}: e.g. Linux on PVM);
     * none when stale.
     */
    public List<String> warnings() {
        if (info == null) {
            return List.of();
        }
        return info.vms().stream().flatMap(vm -> GuestWarning.of(info.kvm(), vm.guestKind(), vm.name()).stream())
                .toList();
    }

    public InstanceRef ref() {
        return new InstanceRef(info.name(), info.pid(), info.version(), info.buildId());
    }
}
