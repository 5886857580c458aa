package dev.hyperfresh.commands;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.hyperfresh.engine.Snapshot;
import dev.hyperfresh.kvm.snapshot.VcpuSnapshot;
import dev.hyperfresh.vmm.persist.VmState;
import java.util.ArrayList;
import java.util.List;

/** Renders a snapshot: what a cutover moves (state) against what it leaves in place (guest memory). */
final class SnapshotViews {
    private SnapshotViews() {
    }

    static String text(Snapshot s, SnapshotView show) {
        StringBuilder out = new StringBuilder();
        out.append(s.instance()).append(": ").append(Units.bytes(s.stateBytes())).append(" of state (")
                .append(s.stateBytes()).append(" bytes) for ").append(Units.bytes(s.memoryBytes()))
                .append(" of guest memory, which stays where it is\n");
        List<List<String>> rows = new ArrayList<>();
        for (VmState vm : s.states()) {
            switch (show) {
                case summary -> rows.add(List.of(vm.vmName(), String.valueOf(vm.vcpus().size()),
                        String.valueOf(vm.vcpus().isEmpty() ? 0 : vm.vcpus().get(0).msrs().count()),
                        String.join(" ", vm.devices().keySet())));
                case regs -> vm.vcpus().forEach(c -> rows.add(List.of(vm.vmName(), String.valueOf(c.id()),
                        hex(c.regs().rip()), hex(c.regs().rsp()), hex(c.regs().rflags()), String.valueOf(c.mpState()))));
                case devices -> vm.devices().forEach((name, bytes) -> rows.add(List.of(vm.vmName(), name,
                        String.valueOf(bytes.length))));
            }
        }
        List<String> header = switch (show) {
            case summary -> List.of("VM", "VCPUS", "MSRS/VCPU", "DEVICES");
            case regs -> List.of("VM", "VCPU", "RIP", "RSP", "RFLAGS", "MP STATE");
            case devices -> List.of("VM", "DEVICE", "BYTES");
        };
        out.append(Tables.of(header, rows));
        if (s.savedTo() != null) {
            out.append("\nsaved to ").append(s.savedTo());
        }
        return out.toString();
    }

    static ObjectNode json(Snapshot s) {
        ObjectNode node = JsonOutput.object().put("instance", s.instance()).put("state_bytes", s.stateBytes())
                .put("memory_bytes", s.memoryBytes()).put("saved_to", s.savedTo());
        ArrayNode vms = node.putArray("vms");
        for (VmState vm : s.states()) {
            ObjectNode v = vms.addObject().put("name", vm.vmName());
            ArrayNode cpus = v.putArray("vcpus");
            for (VcpuSnapshot c : vm.vcpus()) {
                cpus.addObject().put("id", c.id()).put("rip", hex(c.regs().rip())).put("rsp", hex(c.regs().rsp()))
                        .put("rflags", hex(c.regs().rflags())).put("msrs", c.msrs().count());
            }
            ObjectNode devices = v.putObject("devices");
            vm.devices().forEach((name, bytes) -> devices.put(name, bytes.length));
        }
        return node;
    }

    private static String hex(long v) {
        return "0x" + Long.toHexString(v);
    }
}
