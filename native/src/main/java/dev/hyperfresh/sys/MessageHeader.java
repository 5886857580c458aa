package dev.hyperfresh.sys;

import java.util.stream.IntStream;
import jnr.ffi.Pointer;

/**
 * A {@code struct msghdr} with one iovec and at most one SCM_RIGHTS control message, laid out for x86-64 Linux.
 *
 * <p>The header holds native pointers to the iovec, data and control memory, which Java only keeps alive through
 * this object: callers must keep it reachable until sendmsg/recvmsg has returned.
 */
final class MessageHeader {
    static final int MSG_CTRUNC = 0x8;
    static final int MSG_NOSIGNAL = 0x4000;
    static final int MSG_CMSG_CLOEXEC = 0x40000000;
    private static final int SOL_SOCKET = 1;
    private static final int SCM_RIGHTS = 1;

    private static final int MSGHDR_BYTES = 56;
    private static final int MSG_IOV = 16;
    private static final int MSG_IOVLEN = 24;
    private static final int MSG_CONTROL = 32;
    private static final int MSG_CONTROLLEN = 40;
    private static final int MSG_FLAGS = 48;

    private static final int IOVEC_BYTES = 16;
    private static final int IOV_BASE = 0;
    private static final int IOV_LEN = 8;

    private static final int CMSG_LEN = 0;
    private static final int CMSG_LEVEL = 8;
    private static final int CMSG_TYPE = 12;
    private static final int CMSG_DATA = 16;
    private static final int FD_BYTES = 4;

    private final Pointer msghdr;
    private final Pointer iovec;
    /** Referenced natively through the iovec only; held so it cannot be freed before the call returns. */
    private final Pointer data;
    private final Pointer control;

    private MessageHeader(Pointer data, int length, Pointer control, long controlLength) {
        this.msghdr = Sys.allocate(MSGHDR_BYTES);
        this.iovec = Sys.allocate(IOVEC_BYTES);
        this.data = data;
        this.control = control;
        iovec.putLongLong(IOV_BASE, data.address());
        iovec.putLongLong(IOV_LEN, length);
        msghdr.putLongLong(MSG_IOV, iovec.address());
        msghdr.putLongLong(MSG_IOVLEN, 1);
        if (control != null) {
            msghdr.putLongLong(MSG_CONTROL, control.address());
            msghdr.putLongLong(MSG_CONTROLLEN, controlLength);
        }
    }

    /** The first {@code length} bytes of {@code data}, with {@code fds} attached when there are any. */
    static MessageHeader sending(Pointer data, int length, int[] fds) {
        if (fds.length == 0) {
            return new MessageHeader(data, length, null, 0);
        }
        Pointer control = Sys.allocate(space(fds.length));
        control.putLongLong(CMSG_LEN, cmsgLength(fds.length));
        control.putInt(CMSG_LEVEL, SOL_SOCKET);
        control.putInt(CMSG_TYPE, SCM_RIGHTS);
        control.put(CMSG_DATA, fds, 0, fds.length);
        return new MessageHeader(data, length, control, space(fds.length));
    }

    /** Room for {@code length} bytes into {@code data} and at most {@code maxFds} file descriptors. */
    static MessageHeader receiving(Pointer data, int length, int maxFds) {
        if (maxFds == 0) {
            return new MessageHeader(data, length, null, 0);
        }
        // The kernel fits (controllen - 16) / 4 descriptors, so the padded CMSG_SPACE would admit one extra fd
        // for odd maxFds; the exact CMSG_LEN makes it truncate (MSG_CTRUNC) at maxFds precisely.
        return new MessageHeader(data, length, Sys.allocate(space(maxFds)), cmsgLength(maxFds));
    }

    Pointer pointer() {
        return msghdr;
    }

    /** Set by recvmsg when the peer sent more descriptors than fitted; the kernel closed the extra ones. */
    boolean controlTruncated() {
        return (msghdr.getInt(MSG_FLAGS) & MSG_CTRUNC) != 0;
    }

    /** The descriptors recvmsg installed in this process; the caller owns them. */
    int[] receivedFds() {
        if (control == null) {
            return new int[0];
        }
        long used = msghdr.getLongLong(MSG_CONTROLLEN);
        IntStream.Builder fds = IntStream.builder();
        for (long offset = 0; offset + CMSG_DATA <= used; ) {
            long length = control.getLongLong(offset + CMSG_LEN);
            if (length < CMSG_DATA) {
                break;
            }
            if (control.getInt(offset + CMSG_LEVEL) == SOL_SOCKET && control.getInt(offset + CMSG_TYPE) == SCM_RIGHTS) {
                for (long at = offset + CMSG_DATA; at + FD_BYTES <= offset + length; at += FD_BYTES) {
                    fds.add(control.getInt(at));
                }
            }
            offset += align8(length);
        }
        return fds.build().toArray();
    }

    private static long cmsgLength(int fdCount) {
        return CMSG_DATA + (long) FD_BYTES * fdCount;
    }

    /** CMSG_SPACE: the header plus the payload padded to 8 bytes. */
    private static int space(int fdCount) {
        return (int) align8(cmsgLength(fdCount));
    }

    private static long align8(long n) {
        return (n + 7) & ~7L;
    }

}
