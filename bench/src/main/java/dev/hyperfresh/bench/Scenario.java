package dev.hyperfresh.bench;

/** What is replaced, and by what: guest RAM per VM, vCPUs per VM, VMs per instance, a busy or an idle guest. */
record Scenario(Backend backend, long memoryBytes, int vcpus, int vms, boolean busy) {
    String label() {
        return backend.cliName() + " " + size(memoryBytes) + " " + vcpus + "vcpu " + vms + "vm "
                + (busy ? "busy" : "idle");
    }

    /** hfguest's command line: the same for every backend, so that all rows replace the same guest doing the same. */
    String guestArgs() {
        return "cpus=" + vcpus + " mem_pct=" + (busy ? 60 : 0);
    }

    static String size(long bytes) {
        return bytes % (1L << 30) == 0 ? (bytes >> 30) + "G" : (bytes >> 20) + "M";
    }
}
