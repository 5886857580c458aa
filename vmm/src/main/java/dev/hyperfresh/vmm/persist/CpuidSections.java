package dev.hyperfresh.vmm.persist;

import dev.hyperfresh.kvm.Cpuid;
import dev.hyperfresh.kvm.Vcpu;
import java.util.List;

/**
 * A VM's vCPUs' CPUID tables as a saved state holds them, encoded when the tables are given rather than inside a
 * cutover: the in-place save then writes each with one copy, and the in-place restore compares each with one
 * mismatch (written entry by entry, ~80 entries of 7 fields, a table took the save 8-13 µs on a PVM host).
 */
public final class CpuidSections {
    private final Cpuid[] encodedFrom;
    private final byte[][] sections;

    /** Encodes the tables {@code vcpus} have now. */
    public CpuidSections(List<Vcpu> vcpus) {
        encodedFrom = new Cpuid[vcpus.size()];
        sections = new byte[vcpus.size()][];
        refresh(vcpus);
    }

    /** Encodes again the tables of vCPUs given another since (a restore through objects may give one). */
    public void refresh(List<Vcpu> vcpus) {
        for (int i = 0; i < vcpus.size(); i++) {
            of(i, vcpus.get(i));
        }
    }

    /** vCPU {@code index}'s table, encoded; null before it was given one. */
    byte[] of(int index, Vcpu vcpu) {
        Cpuid given = vcpu.givenCpuid();
        if (given != encodedFrom[index]) {
            sections[index] = given == null ? null : VcpuSnapshotCodec.cpuidSection(given);
            encodedFrom[index] = given;
        }
        return sections[index];
    }
}
