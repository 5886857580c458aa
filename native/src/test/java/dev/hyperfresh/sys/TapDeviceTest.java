package dev.hyperfresh.sys;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.hyperfresh.testkit.HostCommand;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import jnr.ffi.Pointer;
import org.junit.jupiter.api.Test;

class TapDeviceTest {
    private static final String PREFIX = "hft" + ProcessHandle.current().pid();
    private static final byte[] OUR_MAC = {0x52, 0x54, 0x00, 0x12, 0x34, 0x56};
    private static final byte[] HOST_IP = {10, 0, 99, 1};
    private static final byte[] OUR_IP = {10, 0, 99, 2};
    private static final int ETHERTYPE_ARP = 0x0806;

    @Test
    void openCreatesAnInterfaceThatOnlyOneOpenFileHoldsAndThatGoesWithIt() {
        String name = PREFIX + "a";
        try (TapDevice tap = TapDevice.open(name)) {
            assertThat(tap.name()).isEqualTo(name);
            assertThat(Path.of("/sys/class/net", name)).exists();
            assertThatThrownBy(() -> TapDevice.open(name))
                    .isInstanceOf(SysException.class)
                    .hasMessageContaining("tap " + name + " is in use by another process");
        }
        assertThat(Path.of("/sys/class/net", name)).doesNotExist();
        try (TapDevice again = TapDevice.open(name)) {
            assertThat(Path.of("/sys/class/net", name)).exists();
        }
    }

    @Test
    void adoptReadsTheNameOfTheInterfaceBehindADescriptor() {
        String name = PREFIX + "b";
        try (TapDevice tap = TapDevice.open(name); TapDevice adopted = TapDevice.adopt(tap.fd().dup(), name)) {
            assertThat(adopted.name()).isEqualTo(name);
            assertThat(adopted.gone()).isFalse();
            Fd dup = tap.fd().dup();
            assertThatThrownBy(() -> TapDevice.adopt(dup, "other0")).hasMessageContaining("not other0's");
            assertThat(dup.isOpen()).isFalse();
        }
        Fd memfd = Memfd.create("not a tap", 4096, false);
        assertThatThrownBy(() -> TapDevice.adopt(memfd, "tap0"))
                .isInstanceOf(SysException.class)
                .hasMessageContaining("TUNGETIFF")
                .hasMessageContaining("is not a tap device's queue");
        assertThat(memfd.isOpen()).as("adopt owns the descriptor it refused").isFalse();
    }

    @Test
    void aQueueWhoseInterfaceWasDeletedIsAdoptedAsGone() throws Exception {
        String name = PREFIX + "d";
        try (TapDevice tap = TapDevice.open(name)) {
            Fd kept = tap.fd().dup();
            HostCommand.ip("link", "del", name);
            try (TapDevice adopted = TapDevice.adopt(kept, name)) {
                assertThat(adopted.name()).isEqualTo(name);
                assertThat(adopted.gone()).as("its VM stays replaceable, without a link").isTrue();
            }
        }
    }

    @Test
    void aDetachedQueueMakesNoInterfaceAndPassesNoFrame() throws Exception {
        long before;
        try (var links = Files.list(Path.of("/sys/class/net"))) {
            before = links.count();
        }
        try (TapDevice detached = TapDevice.detached()) {
            IoVectors buffers = new IoVectors(1).add(Sys.allocate(64), 64);
            assertThatThrownBy(() -> detached.read(buffers)).isInstanceOf(SysException.class);
            assertThatThrownBy(() -> detached.write(buffers)).isInstanceOf(SysException.class);
            assertThat(Poll.readable(1000, detached.fd())).as("an error at once, not a wait").isZero();
            try (var links = Files.list(Path.of("/sys/class/net"))) {
                assertThat(links.count()).isEqualTo(before);
            }
        }
    }

    @Test
    void badNamesAreRefused() {
        for (String name : new String[] {"", "sixteen-chars-xx", "tap 0", "tap%d", "tap/0"}) {
            assertThatThrownBy(() -> TapDevice.open(name))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("tap interface name '" + name + "'")
                    .hasMessageContaining("(1-15 letters, digits, '_', '.', '-')");
        }
    }

    /** An ARP request for the host's address goes in through write(); the kernel's reply comes out of read(). */
    @Test
    void theHostAnswersAnArpRequestWrittenToTheTap() throws Exception {
        String name = PREFIX + "c";
        try (TapDevice tap = TapDevice.open(name)) {
            HostCommand.ip("addr", "add", "10.0.99.1/24", "dev", name);
            HostCommand.ip("link", "set", name, "up");

            Pointer header = Sys.allocate(TapDevice.VNET_HDR);
            Pointer frame = Sys.allocate(1514);
            frame.put(0, arpRequest(), 0, 42);
            IoVectors buffers = new IoVectors(2).add(header, TapDevice.VNET_HDR).add(frame, 42);
            assertThat(buffers.count()).isEqualTo(2);
            assertThat(buffers.totalLength()).isEqualTo(TapDevice.VNET_HDR + 42);
            assertThatThrownBy(() -> buffers.add(frame, 1)).isInstanceOf(IllegalStateException.class);
            assertThat(tap.write(buffers)).isEqualTo(TapDevice.VNET_HDR + 42);

            buffers.clear();
            buffers.add(header, TapDevice.VNET_HDR).add(frame, 1514);
            long deadline = System.nanoTime() + 5_000_000_000L;
            while (true) {
                int left = (int) ((deadline - System.nanoTime()) / 1_000_000);
                assertThat(left).as("an ARP reply within 5 s").isPositive();
                if (Poll.readable(left, tap.fd()) != 0) {
                    continue;
                }
                long n = tap.read(buffers);
                if (n < TapDevice.VNET_HDR + 42 || Short.toUnsignedInt(frame.getShort(12)) != swap(ETHERTYPE_ARP)
                        || Short.toUnsignedInt(frame.getShort(20)) != swap(2)) {
                    continue;   // the host's own traffic on a new link: IPv6 router solicitations, MLD reports
                }
                assertThat(bytes(frame, 0, 6)).as("to").containsExactly(OUR_MAC);
                assertThat(bytes(frame, 28, 4)).as("sender IP").containsExactly(HOST_IP);
                assertThat(bytes(frame, 32, 6)).as("target MAC").containsExactly(OUR_MAC);
                assertThat(bytes(frame, 38, 4)).as("target IP").containsExactly(OUR_IP);
                return;
            }
        }
    }

    /** Ethernet broadcast of "who has 10.0.99.1? tell 10.0.99.2" from our MAC. */
    private static byte[] arpRequest() {
        byte[] f = new byte[42];
        Arrays.fill(f, 0, 6, (byte) 0xff);
        System.arraycopy(OUR_MAC, 0, f, 6, 6);
        f[12] = 0x08;
        f[13] = 0x06;
        f[15] = 1;      // hardware type Ethernet
        f[16] = 0x08;   // protocol IPv4
        f[18] = 6;
        f[19] = 4;
        f[21] = 1;      // request
        System.arraycopy(OUR_MAC, 0, f, 22, 6);
        System.arraycopy(OUR_IP, 0, f, 28, 4);
        System.arraycopy(HOST_IP, 0, f, 38, 4);
        return f;
    }

    /** Frames are big-endian, jnr reads little-endian. */
    private static int swap(int networkShort) {
        return Short.toUnsignedInt(Short.reverseBytes((short) networkShort));
    }

    private static byte[] bytes(Pointer p, long offset, int length) {
        byte[] b = new byte[length];
        p.get(offset, b, 0, length);
        return b;
    }
}
