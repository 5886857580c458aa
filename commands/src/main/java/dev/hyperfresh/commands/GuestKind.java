package dev.hyperfresh.commands;

/** What a launched VM boots: the embedded self-checking hfguest, or a Linux kernel. */
public enum GuestKind {
    hfguest, linux
}
