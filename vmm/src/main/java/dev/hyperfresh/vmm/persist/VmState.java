package dev.hyperfresh.vmm.persist;

import dev.hyperfresh.kvm.snapshot.VcpuSnapshot;
import dev.hyperfresh.kvm.snapshot.VmSnapshot;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * Everything a handover or a snapshot carries for one VM besides guest memory: the VM-wide KVM state, every vCPU,
 * and each device's own versioned bytes, keyed by device name in restore order. The device bytes are carried,
 * never interpreted, and must not be modified once handed over.
 */
public record VmState(String vmName, VmSnapshot vm, List<VcpuSnapshot> vcpus, Map<String, byte[]> devices)
        implements EncodableState {
    public VmState {
        Objects.requireNonNull(vmName, "vmName");
        Objects.requireNonNull(vm, "vm");
        vcpus = List.copyOf(vcpus);
        devices = Collections.unmodifiableMap(new LinkedHashMap<>(devices));
    }

    /** This state {@code nanos} later: each vCPU's TSC and the kvmclock moved on, so guest time keeps the host's pace. */
    public VmState advancedBy(long nanos) {
        List<VcpuSnapshot> moved = new ArrayList<>(vcpus.size());
        for (VcpuSnapshot v : vcpus) {   // a plain loop: this runs inside the cutover's blackout
            moved.add(v.withTscAdvancedBy(nanos * v.tscKhz() / 1_000_000));
        }
        return new VmState(vmName, vm.withClockAdvancedBy(nanos), moved, devices);
    }

    /** Writes it all at once: {@code done} hears of nothing before the end, so nothing is restored early. */
    @Override
    public int encodeInto(ByteBuffer region, Written done) {
        return StateCodec.encode(this, region);
    }

    /** Content equality, device bytes included (a record would compare the arrays by identity). */
    @Override
    public boolean equals(Object o) {
        if (!(o instanceof VmState s) || !vmName.equals(s.vmName) || !vm.equals(s.vm) || !vcpus.equals(s.vcpus)
                || !devices.keySet().equals(s.devices.keySet())) {
            return false;
        }
        return devices.entrySet().stream().allMatch(e -> Arrays.equals(e.getValue(), s.devices.get(e.getKey())));
    }

    @Override
    public int hashCode() {
        int h = Objects.hash(vmName, vm, vcpus);
        for (Map.Entry<String, byte[]> e : devices.entrySet()) {
            h += e.getKey().hashCode() ^ Arrays.hashCode(e.getValue());
        }
        return h;
    }
}
