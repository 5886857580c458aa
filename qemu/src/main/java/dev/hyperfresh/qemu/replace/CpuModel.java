package dev.hyperfresh.qemu.replace;

import dev.hyperfresh.qemu.Qom;
import dev.hyperfresh.qemu.qmp.QmpClient;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The guest's CPU pinned for another QEMU release, as its machine type is ({@link MachineType}). {@code -cpu host} and
 * {@code -cpu max} are whatever the running release makes of them (10.0's {@code max} has sha-ni, rdseed, rdpid and
 * more than 7.2's; its {@code host} had erms and fsrm on a PVM host where 7.2's had not), so the new QEMU's
 * {@code -cpu} names every CPUID flag it knows, on or off as the old QEMU's vCPU has it: the guest's CPU stays the one
 * it booted with — also once it boots again on the new release, and on the way back. A named model is versioned by the
 * machine type already, and the same program file makes the same CPU: both are left as they are. What the new QEMU
 * still cannot give is a warning ({@link CpuFeatures}).
 */
final class CpuModel {
    /** The models each release makes its own: the host's CPU as KVM reports it, everything the emulator has. */
    private static final Set<String> RELEASE_DEFINED = Set.of("host", "max");
    private static final String FLAGS_HEADER = "Recognized CPUID flags:";

    private CpuModel() {
    }

    /**
     * {@code running} with its {@code -cpu} pinned to the old vCPU's flags where its model is {@code host} or
     * {@code max}: each flag {@code newBinary -cpu help} lists and the command line does not name, written as
     * {@code flag=on|off} (off where the old QEMU, pid {@code oldPid}, has no such flag); a flag the command line names
     * that only the old QEMU knows (an earlier pin's, on the way back) left out. As it is where the model is another,
     * or {@code newBinary} does not list its flags.
     */
    static QemuArgs pin(QemuArgs running, QmpClient old, long oldPid, Path newBinary) {
        int at = lastCpu(running);
        if (at < 0) {
            return running;   // QEMU's default model, versioned by the machine type
        }
        QemuArgs.Option cpu = running.options().get(at);
        String[] parts = cpu.value().split(",");
        if (!RELEASE_DEFINED.contains(parts[0])) {
            return running;
        }
        Set<String> flags = flagsOf(newBinary);
        if (flags.isEmpty()) {
            return running;
        }
        Set<String> oldFlags = parts.length == 1 ? Set.of()   // names no flag: none to leave out
                : flagsOf(Path.of("/proc", Long.toString(oldPid), "exe"));   // its file may be gone
        String pinned = pinned(cpu.value(), oldFlags, values(old, flags));
        List<QemuArgs.Option> options = new ArrayList<>(running.options());
        options.set(at, new QemuArgs.Option(cpu.name(), pinned));
        return new QemuArgs(running.binary(), options, running.directory());
    }

    /**
     * A {@code -cpu} value with every flag of {@code values} (the new QEMU's, as the old vCPU has them) the value does
     * not name written after it, and those of its flags only the old QEMU knows ({@code oldFlags} but not
     * {@code values}) left out; what is no flag ({@code pmu=off}, {@code model-id=...}) stays.
     */
    static String pinned(String cpu, Set<String> oldFlags, Map<String, Boolean> values) {
        String[] parts = cpu.split(",");
        Set<String> named = new HashSet<>();
        StringBuilder pinned = new StringBuilder(parts[0]);
        for (int i = 1; i < parts.length; i++) {
            String name = parts[i].replaceFirst("^[+-]", "").split("=", 2)[0];
            if (!oldFlags.contains(name) || values.containsKey(name)) {
                named.add(name);
                pinned.append(',').append(parts[i]);
            }
        }
        values.forEach((flag, on) -> {
            if (!named.contains(flag)) {
                pinned.append(',').append(flag).append(on ? "=on" : "=off");
            }
        });
        return pinned.toString();
    }

    /** The CPUID flags {@code binary -cpu help} lists; empty where it does not say. */
    static Set<String> flagsOf(Path binary) {
        Set<String> flags = new LinkedHashSet<>();
        boolean inFlags = false;
        for (String line : QemuHelp.lines(binary, "-cpu", "help")) {
            if (line.strip().equals(FLAGS_HEADER)) {
                inFlags = true;
            } else if (inFlags && (line.isBlank() || !Character.isWhitespace(line.charAt(0)))) {
                break;   // the list ends: a blank line, or the next section's heading
            } else if (inFlags) {
                flags.addAll(List.of(line.strip().split("\\s+")));
            }
        }
        return flags;
    }

    /** Each of {@code flags} as the old QEMU's first vCPU has it: QOM's boolean of that name, false where it has none. */
    static Map<String, Boolean> values(QmpClient old, Set<String> flags) {
        Map<String, Boolean> has = Qom.booleans(old, Qom.firstCpu(old), flags::contains);
        Map<String, Boolean> values = new LinkedHashMap<>();
        flags.forEach(flag -> values.put(flag, has.getOrDefault(flag, false)));
        return values;
    }

    private static int lastCpu(QemuArgs running) {
        int at = -1;
        for (int i = 0; i < running.options().size(); i++) {
            QemuArgs.Option o = running.options().get(i);
            if (o.name().equals("cpu") && o.value() != null) {
                at = i;   // QEMU takes the last -cpu
            }
        }
        return at;
    }
}
