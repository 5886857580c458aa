package dev.hyperfresh.qemu.testing;

import dev.hyperfresh.sys.Fd;
import dev.hyperfresh.sys.Sys;
import dev.hyperfresh.sys.UnixSocket;
import java.nio.charset.StandardCharsets;
import jnr.ffi.Pointer;

/**
 * A bridge helper as QEMU runs one ({@code -netdev bridge,helper=...}: {@code --use-vnet --fd=N --br=BR}): opens
 * a new tap and sends it to QEMU over socket N, as qemu-bridge-helper does, without the bridge (whose ACL file the
 * real helper reads from /etc). Prints the tap's name.
 */
public final class FakeBridgeHelperMain {
    private static final long TUNSETIFF = 0x400454caL;
    private static final short IFF_TAP = 0x0002;
    private static final short IFF_NO_PI = 0x1000;
    private static final short IFF_VNET_HDR = 0x4000;
    private static final int IFREQ_BYTES = 40;
    private static final int IFNAMSIZ = 16;
    private static final int O_RDWR = 2;

    private FakeBridgeHelperMain() {
    }

    public static void main(String[] args) {
        int socket = -1;
        short flags = IFF_TAP | IFF_NO_PI;
        for (String a : args) {
            if (a.startsWith("--fd=")) {
                socket = Integer.parseInt(a.substring(5));
            } else if (a.equals("--use-vnet")) {
                flags |= IFF_VNET_HDR;
            }
        }
        String name = "hfb" + ProcessHandle.current().pid() % 100_000;
        try (Fd tun = new Fd(Sys.check(Sys.C.open("/dev/net/tun", O_RDWR), "open(/dev/net/tun)"), "tun");
             UnixSocket toQemu = UnixSocket.adopt(new Fd(socket, "QEMU's helper socket"))) {
            Pointer ifreq = Sys.allocate(IFREQ_BYTES);
            byte[] bytes = name.getBytes(StandardCharsets.US_ASCII);
            ifreq.put(0, bytes, 0, bytes.length);
            ifreq.putShort(IFNAMSIZ, flags);
            Sys.check(Sys.C.ioctl(tun.get(), TUNSETIFF, ifreq), "ioctl(TUNSETIFF " + name + ")");
            toQemu.send(new byte[] {0}, tun);
        }
        System.out.println(name);
    }
}
