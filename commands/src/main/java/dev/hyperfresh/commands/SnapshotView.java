package dev.hyperfresh.commands;

/** What {@code snapshot --show} prints besides the sizes. */
public enum SnapshotView {
    summary, regs, devices
}
