package dev.hyperfresh.vmm;

import dev.hyperfresh.kvm.Kvm;
import dev.hyperfresh.vmm.control.ControlHandler;
import dev.hyperfresh.vmm.control.InstanceInfo;
import dev.hyperfresh.vmm.persist.VmState;
import dev.hyperfresh.vmm.vm.VirtualMachine;
import dev.hyperfresh.vmm.vm.VmStatus;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/** One hfvisor instance: the VMs it hosts, and what its control socket can ask of them. */
public final class Hfvisor implements ControlHandler, AutoCloseable {
    private final String name;
    private final Kvm kvm;
    private final BuildInfo build = BuildInfo.current();
    private final long startedAt = System.nanoTime();
    private final Map<String, VirtualMachine> vms = new LinkedHashMap<>();

    public Hfvisor(String name, Kvm kvm) {
        this.name = name;
        this.kvm = kvm;
    }

    public String name() {
        return name;
    }

    public Kvm kvm() {
        return kvm;
    }

    public synchronized void add(VirtualMachine vm) {
        if (vms.putIfAbsent(vm.config().name(), vm) != null) {
            throw new IllegalArgumentException("this instance already has a VM named " + vm.config().name());
        }
    }

    public synchronized List<VirtualMachine> vms() {
        return List.copyOf(vms.values());
    }

    @Override
    public synchronized InstanceInfo info() {
        List<InstanceInfo.Vm> out = new ArrayList<>();
        for (VirtualMachine vm : vms.values()) {
            out.add(new InstanceInfo.Vm(vm.config().name(), vm.config().vcpus(), vm.config().memoryBytes(),
                    word(vm.status()), vm.config().guestKind()));
        }
        boolean anyAlive = vms.values().stream().anyMatch(v -> v.status() == VmStatus.RUNNING
                || v.status() == VmStatus.PAUSED);
        return new InstanceInfo(name, ProcessHandle.current().pid(), build.version(), build.buildId(),
                (System.nanoTime() - startedAt) / 1_000_000, anyAlive ? "running" : "idle", out);
    }

    @Override
    public void pause(String vm) {
        for (VirtualMachine v : select(vm)) {
            v.pause();
        }
    }

    @Override
    public void resume(String vm) {
        for (VirtualMachine v : select(vm)) {
            v.resume();
        }
    }

    /** Pauses each running VM for the save and resumes it afterwards; a paused VM stays paused. */
    @Override
    public List<VmState> saveState(String vm) {
        List<VmState> out = new ArrayList<>();
        for (VirtualMachine v : select(vm)) {
            boolean wasRunning = v.status() == VmStatus.RUNNING;
            if (wasRunning) {
                v.pause();
            }
            try {
                out.add(v.saveState());
            } finally {
                if (wasRunning) {
                    v.resume();
                }
            }
        }
        return out;
    }

    private synchronized List<VirtualMachine> select(String vm) {
        if (vm == null) {
            return List.copyOf(vms.values());
        }
        VirtualMachine v = vms.get(vm);
        if (v == null) {
            throw new IllegalArgumentException("no VM named " + vm + " in instance " + name
                    + (vms.isEmpty() ? "" : " (it has: " + String.join(", ", vms.keySet()) + ")"));
        }
        return List.of(v);
    }

    static String word(VmStatus s) {
        return s == VmStatus.POWERED_OFF ? "stopped" : s.name().toLowerCase(Locale.ROOT);
    }

    @Override
    public synchronized void close() {
        vms.values().forEach(VirtualMachine::close);
        vms.clear();
    }
}
