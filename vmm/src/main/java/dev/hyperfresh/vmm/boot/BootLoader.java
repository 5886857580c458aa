package dev.hyperfresh.vmm.boot;

import dev.hyperfresh.vmm.memory.GuestMemory;

/** Puts a guest image and its boot structures into RAM and says how the boot vCPU starts. */
public interface BootLoader {
    /**
     * Writes the image and boot data into {@code memory} for a VM of {@code vcpus} vCPUs.
     *
     * @return the boot vCPU's initial state; application processors wait for INIT/SIPI unless the loader says
     *     otherwise
     */
    BootState load(GuestMemory memory, int vcpus);
}
