package dev.hyperfresh.kvm;

import dev.hyperfresh.sys.Fd;
import dev.hyperfresh.sys.Sys;
import jnr.ffi.Pointer;

/** Issues one ioctl and turns a failure into a {@link KvmException} naming it. */
final class Ioctl {
    private Ioctl() {
    }

    static int call(Fd fd, String name, long request, Pointer arg) {
        int r = Sys.C.ioctl(fd.get(), request, arg);
        if (r < 0) {
            throw new KvmException(name, Sys.errno());
        }
        return r;
    }

    static int call(Fd fd, String name, long request, long arg) {
        int r = Sys.C.ioctl(fd.get(), request, arg);
        if (r < 0) {
            throw new KvmException(name, Sys.errno());
        }
        return r;
    }
}
