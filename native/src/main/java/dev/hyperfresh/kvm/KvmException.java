package dev.hyperfresh.kvm;

import dev.hyperfresh.sys.SysException;

/** A failed KVM ioctl; the message names the ioctl (e.g. {@code KVM_SET_SREGS}) and the errno text. */
public class KvmException extends SysException {
    public KvmException(String ioctl, int errno) {
        super(ioctl, errno);
    }

    public KvmException(String ioctl, int errno, String detail) {
        super(ioctl, errno, detail);
    }
}
