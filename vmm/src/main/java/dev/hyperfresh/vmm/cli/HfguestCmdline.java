package dev.hyperfresh.vmm.cli;

import dev.hyperfresh.kvm.KvmFlavor;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * hfguest's command line as hfvisor launches it: its defaults for this VM and this KVM (and that its machine has
 * ACPI's power management registers, which hfguest then polls for the power button), then the user's words,
 * which win over a default of the same key. On PVM every timer tick costs ~60 µs of emulated ring 0, so the tick
 * drops from hfguest's 1 kHz to 100 Hz there (the arithmetic: hfvisor(1), "PVM"); elsewhere hfguest's own
 * defaults stand.
 */
final class HfguestCmdline {
    /** LAPIC timer count for 100 Hz at the 1 GHz KVM APIC timer clock (hfguest's default 1000000 is 1 kHz). */
    static final String PVM_TICK_COUNT = "10000000";

    private HfguestCmdline() {
    }

    static String of(int vcpus, KvmFlavor kvm, String user) {
        Map<String, String> defaults = new LinkedHashMap<>();
        defaults.put("cpus", String.valueOf(vcpus));
        defaults.put("acpi", "1");   // the machine's ACPI power button (hfvisor(1), ACPI)
        if (kvm == KvmFlavor.PVM) {
            defaults.put("tick_count", PVM_TICK_COUNT);
        }
        List<String> userWords = user.isBlank() ? List.of() : List.of(user.trim().split("\\s+"));
        for (String word : userWords) {
            defaults.remove(word.split("=", 2)[0]);
        }
        List<String> out = new ArrayList<>();
        defaults.forEach((key, value) -> out.add(key + "=" + value));
        out.addAll(userWords);
        return String.join(" ", out);
    }
}
