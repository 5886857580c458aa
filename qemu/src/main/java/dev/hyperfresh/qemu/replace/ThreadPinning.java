package dev.hyperfresh.qemu.replace;

import com.fasterxml.jackson.databind.JsonNode;
import dev.hyperfresh.qemu.qmp.QmpClient;
import dev.hyperfresh.sys.CpuAffinity;
import dev.hyperfresh.sys.ProcStat;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The CPUs the old QEMU's threads may run on, given to the new QEMU's: each vCPU's to the vCPU of the same index
 * (libvirt's {@code vcpupin}, an operator's {@code taskset} on a vCPU thread), the main thread's to every other
 * thread (emulator pinning). A thread QEMU starts later inherits its creator's set. Without it the new QEMU ran
 * where the console that started it may run, a pinned guest's vCPUs loose on every CPU.
 */
final class ThreadPinning {
    private ThreadPinning() {
    }

    /** Pins process {@code pid}, answering on {@code target}, as {@code sourcePid} on {@code source} is; what failed. */
    static List<String> copy(QmpClient source, long sourcePid, QmpClient target, long pid) {
        Map<Integer, Long> oldVcpus = vcpuThreads(source);
        Map<Long, Integer> newVcpus = new HashMap<>();
        vcpuThreads(target).forEach((index, tid) -> newVcpus.put(tid, index));
        Optional<BitSet> main = CpuAffinity.ofThread((int) sourcePid);
        List<String> problems = new ArrayList<>();
        for (int tid : ProcStat.threadsOf(pid)) {
            Integer vcpu = newVcpus.get((long) tid);
            Optional<BitSet> wanted = vcpu != null && oldVcpus.containsKey(vcpu)
                    ? CpuAffinity.ofThread(oldVcpus.get(vcpu).intValue()) : main;
            if (wanted.isEmpty() || wanted.equals(CpuAffinity.ofThread(tid))) {
                continue;
            }
            if (!CpuAffinity.setThread(tid, wanted.get())) {
                problems.add("the new QEMU's " + (vcpu != null ? "vCPU " + vcpu : "thread " + tid)
                        + " could not be pinned to CPUs " + wanted.get() + " as the old one's was");
            }
        }
        return problems;
    }

    private static Map<Integer, Long> vcpuThreads(QmpClient qmp) {
        Map<Integer, Long> threads = new HashMap<>();
        for (JsonNode cpu : qmp.execute("query-cpus-fast")) {
            threads.put(cpu.path("cpu-index").asInt(), cpu.path("thread-id").asLong());
        }
        return threads;
    }
}
