package dev.hyperfresh.vmm.boot.linux;

/** A kernel, initrd, command line or VM size that cannot boot this way; the message says which and why. */
public final class LinuxBootException extends IllegalArgumentException {
    public LinuxBootException(String message) {
        super(message);
    }
}
