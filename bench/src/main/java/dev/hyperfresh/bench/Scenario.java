package dev.hyperfresh.bench;

/** What is replaced: guest RAM per VM, vCPUs per VM, VMs per instance, a busy or an idle guest. */
record Scenario(String mode, long memoryBytes, int vcpus, int vms, boolean busy) {
    String label() {
        return mode + " " + size(memoryBytes) + " " + vcpus + "vcpu " + vms + "vm " + (busy ? "busy" : "idle");
    }

    static String size(long bytes) {
        return bytes % (1L << 30) == 0 ? (bytes >> 30) + "G" : (bytes >> 20) + "M";
    }
}
