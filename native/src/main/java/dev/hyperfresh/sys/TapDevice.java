package dev.hyperfresh.sys;

import java.lang.ref.Reference;
import java.nio.charset.StandardCharsets;
import java.util.regex.Pattern;
import jnr.ffi.Pointer;

/**
 * A tap network interface's queue, opened on /dev/net/tun: the host side of a VM's NIC, each read or write one
 * Ethernet frame. The descriptor is what a handover passes to the next instance, and it is the whole claim on the
 * interface: a tap without IFF_MULTI_QUEUE is attached to one open file at a time, so any other opener gets EBUSY
 * while that file's descriptors, in whichever process, share the one attachment: one owner, as with an image's lock.
 */
public final class TapDevice implements AutoCloseable {
    /** struct virtio_net_hdr_v1 (with num_buffers): what precedes each frame on this fd. */
    public static final int VNET_HDR = 12;

    private static final String TUN = "/dev/net/tun";
    private static final Pattern NAME = Pattern.compile("[A-Za-z0-9_.-]{1,15}");
    private static final int O_RDWR = 02, O_NONBLOCK = 04000, O_CLOEXEC = 02000000;
    private static final int EPERM = 1, ENOENT = 2, EBUSY = 16, ENODEV = 19, ENOTTY = 25, EBADFD = 77;
    private static final long TUNSETIFF = 0x400454caL;
    private static final long TUNGETIFF = 0x800454d2L;
    private static final long TUNSETOFFLOAD = 0x400454d0L;
    private static final long TUNGETVNETHDRSZ = 0x800454d7L;
    private static final long TUNSETVNETHDRSZ = 0x400454d8L;
    private static final int IFF_TAP = 0x0002, IFF_NO_PI = 0x1000, IFF_VNET_HDR = 0x4000;
    private static final int FLAGS = IFF_TAP | IFF_NO_PI | IFF_VNET_HDR;
    /** struct ifreq: char ifr_name[IFNAMSIZ], then a union whose ifr_flags is a short. */
    private static final int IFREQ_BYTES = 40, IFNAMSIZ = 16, IFR_FLAGS = 16;

    private final Fd fd;
    private final String name;

    private TapDevice(Fd fd, String name) {
        this.fd = fd;
        this.name = name;
    }

    /**
     * Attaches to tap {@code name}: an existing persistent one ({@code ip tuntap add NAME mode tap}, which can set
     * its owner and addresses beforehand), else a new one that goes away with the last descriptor. No offloads:
     * the kernel hands over only whole, checksummed frames.
     */
    public static TapDevice open(String name) {
        if (!NAME.matcher(name).matches()) {
            throw new IllegalArgumentException("tap interface name '" + name
                    + "' is not valid (1-15 letters, digits, '_', '.', '-')");
        }
        Fd fd = openTun("tap " + name);
        try {
            Pointer ifr = Sys.allocate(IFREQ_BYTES);
            ifr.put(0, name.getBytes(StandardCharsets.US_ASCII), 0, name.length());
            ifr.putShort(IFR_FLAGS, (short) FLAGS);
            if (Sys.C.ioctl(fd.get(), TUNSETIFF, ifr) < 0) {
                int errno = Sys.errno();
                throw new SysException("ioctl(" + fd.what() + ", TUNSETIFF)", errno,
                        errno == EBUSY ? "tap " + name + " is in use by another process"
                        : errno == EPERM ? "opening tap " + name + " needs CAP_NET_ADMIN (run as root)" : null);
            }
            Pointer size = Sys.allocate(Integer.BYTES);
            size.putInt(0, VNET_HDR);
            Sys.check(Sys.C.ioctl(fd.get(), TUNSETVNETHDRSZ, size), "ioctl(" + fd.what() + ", TUNSETVNETHDRSZ)");
            Sys.check(Sys.C.ioctl(fd.get(), TUNSETOFFLOAD, 0L), "ioctl(" + fd.what() + ", TUNSETOFFLOAD)");
            return new TapDevice(fd, name);
        } catch (RuntimeException e) {
            fd.close();
            throw e;
        }
    }

    /**
     * A queue attached to no interface: no host side effect and no privilege, every read and write fails (EBADFD)
     * and a poll reports an error at once. For exercising a NIC's code where no frame is to pass: the cutover
     * warm-up's VM.
     */
    public static TapDevice detached() {
        return new TapDevice(openTun("tap queue (detached)"), "");
    }

    private static Fd openTun(String what) {
        int r = Sys.C.open(TUN, O_RDWR | O_NONBLOCK | O_CLOEXEC);
        if (r < 0) {
            int errno = Sys.errno();
            throw new SysException("open(" + TUN + ")", errno, errno == ENOENT || errno == ENODEV
                    ? "no /dev/net/tun: load the tun module (modprobe tun)" : null);
        }
        return new Fd(r, what);
    }

    /**
     * Tap {@code name}'s queue another instance opened, its descriptor received over a socket; takes ownership of
     * {@code fd}, closing it if it is not a queue as {@link #open} makes them (whose frames this class could not read
     * right) or belongs to another tap. A queue whose interface is gone (deleted on the host while a VM had it) is
     * taken as it is, {@link #gone()}: refusing it would leave its VM on an instance that can never be replaced.
     */
    public static TapDevice adopt(Fd fd, String name) {
        try {
            Pointer ifr = Sys.allocate(IFREQ_BYTES);
            if (Sys.C.ioctl(fd.get(), TUNGETIFF, ifr) < 0) {
                int errno = Sys.errno();
                if (errno == EBADFD) {
                    return new TapDevice(fd, name);
                }
                throw new SysException("ioctl(" + fd.what() + ", TUNGETIFF)", errno,
                        errno == ENOTTY ? fd.what() + " is not a tap device's queue" : null);
            }
            String attached = ifr.getString(0, IFNAMSIZ, StandardCharsets.US_ASCII);
            int flags = ifr.getShort(IFR_FLAGS) & FLAGS;
            Pointer size = Sys.allocate(Integer.BYTES);
            Sys.check(Sys.C.ioctl(fd.get(), TUNGETVNETHDRSZ, size), "ioctl(" + fd.what() + ", TUNGETVNETHDRSZ)");
            if (!attached.equals(name)) {
                throw new IllegalArgumentException(fd.what() + " is tap " + attached + "'s queue, not " + name + "'s");
            }
            if (flags != FLAGS || size.getInt(0) != VNET_HDR) {
                throw new IllegalArgumentException(fd.what() + " is interface " + name + " with flags 0x"
                        + Integer.toHexString(flags) + " and a " + size.getInt(0) + "-byte vnet header, not a tap "
                        + "with IFF_NO_PI and IFF_VNET_HDR of " + VNET_HDR + " bytes");
            }
            return new TapDevice(fd, name);
        } catch (RuntimeException e) {
            fd.close();
            throw e;
        }
    }

    public String name() {
        return name;
    }

    public Fd fd() {
        return fd;
    }

    /** Whether this queue is attached to no interface now (detached, or its interface deleted): no frame passes. */
    public boolean gone() {
        Pointer ifr = Sys.allocate(IFREQ_BYTES);
        return Sys.C.ioctl(fd.get(), TUNGETIFF, ifr) < 0 && Sys.errno() == EBADFD;
    }

    /**
     * Reads one frame, its {@link #VNET_HDR} header first, into {@code buffers}; returns its length, or -1 when none
     * is waiting. The header's num_buffers is the device's to fill, not the kernel's. A frame longer than the
     * buffers is cut to fit, its rest lost.
     */
    public long read(IoVectors buffers) {
        long r = Sys.C.readv(fd.get(), buffers.pointer(), buffers.count());
        Reference.reachabilityFence(buffers);
        return result(r, "readv");
    }

    /**
     * Writes one frame, its {@link #VNET_HDR} header first, gathered from {@code buffers}; returns the bytes written,
     * or -1 when the kernel has no room for it now.
     */
    public long write(IoVectors buffers) {
        long r = Sys.C.writev(fd.get(), buffers.pointer(), buffers.count());
        Reference.reachabilityFence(buffers);
        return result(r, "writev");
    }

    private long result(long r, String call) {
        if (r >= 0) {
            return r;
        }
        int errno = Sys.errno();
        if (errno == Sys.EAGAIN) {
            return -1;
        }
        throw new SysException(call + "(" + fd.what() + ")", errno);
    }

    @Override
    public void close() {
        fd.close();
    }
}
