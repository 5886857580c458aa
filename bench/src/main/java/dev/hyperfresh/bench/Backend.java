package dev.hyperfresh.bench;

import dev.hyperfresh.qemu.replace.ReplacementMode;
import dev.hyperfresh.vmm.control.MemoryMode;
import java.util.Arrays;
import java.util.stream.Collectors;

/**
 * What replaces the running process: hfvisor handing its VMs over with the guest RAM remapped or copied, or QEMU
 * migrating into a new QEMU with the RAM shared (x-ignore-shared) or copied (an ordinary live migration). qemu-own is
 * the reference for qemu-shared: the same migration into a new QEMU that resumes by itself as soon as it has loaded
 * the state (QEMU's own switch, no commit point of ours).
 */
enum Backend {
    HFVISOR_REMAP("hfvisor-remap", MemoryMode.REMAP, null),
    HFVISOR_COPY("hfvisor-copy", MemoryMode.COPY, null),
    QEMU_SHARED("qemu-shared", null, ReplacementMode.SHARED),
    QEMU_COPY("qemu-copy", null, ReplacementMode.COPY),
    QEMU_OWN("qemu-own", null, ReplacementMode.SHARED);

    private final String cliName;
    private final MemoryMode hfvisorMode;
    private final ReplacementMode qemuMode;

    Backend(String cliName, MemoryMode hfvisorMode, ReplacementMode qemuMode) {
        this.cliName = cliName;
        this.hfvisorMode = hfvisorMode;
        this.qemuMode = qemuMode;
    }

    String cliName() {
        return cliName;
    }

    boolean isQemu() {
        return qemuMode != null;
    }

    MemoryMode hfvisorMode() {
        return hfvisorMode;
    }

    ReplacementMode qemuMode() {
        return qemuMode;
    }

    /** The QEMU row this one is the reference for, if any. */
    boolean isQemuReference() {
        return this == QEMU_OWN;
    }

    /** The old {@code --modes remap,copy} spelling: hfvisor with that memory mode. */
    static Backend ofHfvisorMode(String wireName) {
        return parse("hfvisor-" + MemoryMode.of(wireName).wireName());
    }

    static Backend parse(String name) {
        return Arrays.stream(values()).filter(b -> b.cliName.equals(name)).findFirst()
                .orElseThrow(() -> new IllegalArgumentException("unknown backend \"" + name + "\": use "
                        + Arrays.stream(values()).map(Backend::cliName).collect(Collectors.joining(", "))));
    }
}
