package dev.hyperfresh.vmm.control;

import dev.hyperfresh.vmm.persist.SyntheticStates;
import dev.hyperfresh.vmm.persist.VmState;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** Two VMs, "web" and "db", whose states exist only in memory; a VM named "wedged" makes every op throw. */
final class FakeHandler implements ControlHandler {
    final Map<String, VmState> saved = new LinkedHashMap<>();
    volatile PrepareRequest lastPrepare;
    private final Map<String, String> states = new LinkedHashMap<>();

    FakeHandler() {
        SyntheticStates synthetic = new SyntheticStates(7);
        for (String vm : List.of("web", "db")) {
            states.put(vm, "running");
            saved.put(vm, synthetic.vmState(vm, 2));
        }
    }

    @Override
    public synchronized InstanceInfo info() {
        List<InstanceInfo.Vm> vms = new ArrayList<>();
        states.forEach((name, state) -> vms.add(new InstanceInfo.Vm(name, 2, 256L << 20, 64L << 20, state, "hfguest",
                new InstanceInfo.Exits(12, Map.of("io", 10L, "intr", 2L), Map.of("0xe9", 9L, "0xeb", 1L),
                        Map.of("xgetbv", 1L)), null, null, InstanceInfo.Vm.REBOOT_RESTART,
                        InstanceInfo.Vm.POWER_BUTTON_NONE)));
        return new InstanceInfo("test-instance", ProcessHandle.current().pid(), "0.1.0-SNAPSHOT", "deadbeef", "PVM", 4321,
                "serving", InstanceInfo.ACTIVE, vms, null);
    }

    /** Records the request and says so: the fake has no standby to hand anything to. */
    @Override
    public synchronized PrepareReply prepareHandover(PrepareRequest request) {
        lastPrepare = request;
        throw new IllegalStateException("fake: no standby at " + request.target());
    }

    @Override
    public synchronized void pause(String vm) {
        set(vm, "paused");
    }

    @Override
    public synchronized void resume(String vm) {
        set(vm, "running");
    }

    @Override
    public synchronized List<VmState> saveState(String vm) {
        return vm == null ? List.copyOf(saved.values()) : List.of(saved.get(check(vm)));
    }

    synchronized String state(String vm) {
        return states.get(vm);
    }

    private void set(String vm, String state) {
        if (vm == null) {
            states.replaceAll((name, old) -> state);
        } else {
            states.put(check(vm), state);
        }
    }

    private String check(String vm) {
        if (vm.equals("wedged")) {
            throw new RuntimeException(new IllegalStateException("vCPU 1 of wedged did not stop within 1 s"));
        }
        if (!states.containsKey(vm)) {
            throw new IllegalArgumentException("no VM named " + vm);
        }
        return vm;
    }
}
