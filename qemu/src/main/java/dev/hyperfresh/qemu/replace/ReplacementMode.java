package dev.hyperfresh.qemu.replace;

/**
 * SHARED: the new QEMU maps the very same guest RAM and migration skips it (x-ignore-shared): only device and
 * vCPU state moves. COPY: an ordinary live migration into fresh RAM, the baseline (and the only way for a VM
 * whose RAM is private to its QEMU).
 */
public enum ReplacementMode {
    SHARED, COPY
}
