package dev.hyperfresh.qemu.replace;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** Pure logic: how a running QEMU's command line becomes its replacement's. */
class StandbyCommandLineTest {
    private static final Path QMP = Path.of("/run/hyperfresh/web.qmp");
    private static final Path NEW = Path.of("/opt/qemu-new/bin/qemu-system-x86_64");

    private static StandbyCommandLine derive(ReplacementMode mode, Map<String, Path> mem, String... argv) {
        return StandbyCommandLine.derive(QemuArgs.parse(List.of(argv), null), 42, NEW, mode, mem, QMP, List.of(),
                Optional.empty(), OpenFiles.none(), HostForwards.none(), HotPlugged.none());
    }

    @Test
    void sharedModeMapsTheHeldMemoryAndWaitsPausedForTheMigration() {
        StandbyCommandLine c = derive(ReplacementMode.SHARED, Map.of("ram0", Path.of("/proc/7/fd/33")),
                "/usr/bin/qemu-system-x86_64", "-enable-kvm", "-m", "1G",
                "-object", "memory-backend-memfd,id=ram0,size=1G,share=on,seal=on,prealloc=on",
                "-machine", "q35,memory-backend=ram0", "-S", "-daemonize", "-pidfile", "/run/web.pid",
                "-qmp", "unix:/run/hyperfresh/web.qmp,server=on,wait=off",
                "-chardev", "file,id=log,path=/var/log/web,,1.log",
                "-serial", "file:/var/log/web-serial.log");
        assertThat(c.argv()).containsExactly(NEW.toString(), "-enable-kvm", "-m", "1G",
                "-object", "memory-backend-file,id=ram0,size=1G,share=on,mem-path=/proc/7/fd/33",
                "-machine", "q35,memory-backend=ram0",
                "-qmp", "unix:/run/hyperfresh/web.qmp.next-42,server=on,wait=off",
                "-chardev", "file,id=log,path=/var/log/web,,1.log,append=on",
                "-chardev", "file,id=hf-file0,path=/var/log/web-serial.log,append=on", "-serial", "chardev:hf-file0",
                "-S", "-incoming", "defer");
        assertThat(c.qmpSocket()).isEqualTo(Path.of("/run/hyperfresh/web.qmp.next-42"));
        assertThat(c.socketMoves()).containsExactly(new SocketMove(c.qmpSocket(), QMP));
        assertThat(c.pidfile()).contains(Path.of("/run/web.pid"));
    }

    @Test
    void jsonObjectsAndChardevSocketsAreRewrittenToo() {
        StandbyCommandLine c = derive(ReplacementMode.SHARED, Map.of("mem", Path.of("/proc/7/fd/9")),
                "qemu", "-object", "{\"qom-type\":\"memory-backend-file\",\"id\":\"mem\",\"size\":1073741824,"
                        + "\"mem-path\":\"/dev/shm/web\",\"share\":true,\"prealloc\":true}",
                "-chardev", "socket,id=mon,path=/run/hyperfresh/web.qmp.next-41,server=on,wait=off",
                "-mon", "chardev=mon,mode=control", "-incoming", "unix:/tmp/in");
        assertThat(c.argv()).containsExactly(NEW.toString(),
                "-object", "{\"qom-type\":\"memory-backend-file\",\"id\":\"mem\",\"size\":1073741824,\"share\":true,"
                        + "\"mem-path\":\"/proc/7/fd/9\"}",
                "-chardev", "socket,id=mon,path=/run/hyperfresh/web.qmp.next-42,server=on,wait=off",
                "-mon", "chardev=mon,mode=control", "-S", "-incoming", "defer");
        assertThat(c.socketMoves()).containsExactly(new SocketMove(Path.of("/run/hyperfresh/web.qmp.next-42"), QMP));
    }

    @Test
    void copyModeGivesTheNewQemuFreshMemory() {
        StandbyCommandLine c = derive(ReplacementMode.COPY, Map.of(), "qemu",
                "-object", "memory-backend-file,id=ram0,size=1G,mem-path=/dev/shm/web,share=on,align=2M",
                "-object", "memory-backend-memfd,id=ram1,size=1G,share=on",
                "-object", "iothread,id=io0");
        assertThat(c.argv()).containsExactly(NEW.toString(),
                "-object", "memory-backend-memfd,id=ram0,size=1G,share=on",
                "-object", "memory-backend-memfd,id=ram1,size=1G,share=on",
                "-object", "iothread,id=io0",
                "-qmp", "unix:/run/hyperfresh/web.qmp.next-42,server=on,wait=off", "-S", "-incoming", "defer");
    }

    @Test
    void relativePathsStayForTheNewQemuAndAreResolvedInItsDirectoryForUs() {
        Path home = Path.of("/srv/vms/web");
        StandbyCommandLine c = StandbyCommandLine.derive(QemuArgs.parse(List.of("qemu", "-drive",
                "file=web.qcow2,if=virtio", "-pidfile", "web.pid", "-chardev", "socket,id=c,path=web.sock,server=on",
                "-qmp", "unix:/run/hyperfresh/web.qmp,server=on,wait=off"), home), 42, NEW, ReplacementMode.COPY,
                Map.of(), QMP, List.of(), Optional.empty(), OpenFiles.none(), HostForwards.none(), HotPlugged.none());
        assertThat(c.argv()).containsSubsequence("-drive", "file=web.qcow2,if=virtio", "-chardev",
                "socket,id=c,path=/srv/vms/web/web.sock.next-42,server=on,wait=off");   // its VM runs already
        assertThat(c.directory()).contains(home);
        assertThat(c.pidfile()).contains(home.resolve("web.pid"));
        assertThat(c.socketMoves())
                .contains(new SocketMove(home.resolve("web.sock.next-42"), home.resolve("web.sock")));
    }

    @Test
    void aVncDisplayOnTcpListensOnAUnixSocketUntilTheOldQemuHasGone() {
        List<VncListener.Address> bound = List.of(new VncListener.Address("127.0.0.1", "5907"));
        StandbyCommandLine c = StandbyCommandLine.derive(QemuArgs.parse(List.of("qemu", "-vnc",
                "127.0.0.1:7,password=on,to=9"), null), 42, NEW, ReplacementMode.SHARED, Map.of(), QMP, bound,
                Optional.empty(), OpenFiles.none(), HostForwards.none(), HotPlugged.none());
        assertThat(c.argv()).containsSubsequence("-vnc", "unix:/run/hyperfresh/web.qmp.vnc.next-42,password=on");
        assertThat(c.vnc()).contains(new VncListener(Path.of("/run/hyperfresh/web.qmp.vnc.next-42"), bound));
        StandbyCommandLine again = StandbyCommandLine.derive(QemuArgs.parse(List.of("qemu", "-vnc",
                "unix:/run/hyperfresh/web.qmp.vnc.next-41,password=on"), null), 42, NEW, ReplacementMode.SHARED,
                Map.of(), QMP, bound, Optional.empty(), OpenFiles.none(), HostForwards.none(), HotPlugged.none());
        assertThat(again.argv()).as("a QEMU that took the port back after a replacement")
                .containsSubsequence("-vnc", "unix:/run/hyperfresh/web.qmp.vnc.next-42,password=on");
        assertThat(again.vnc()).isPresent();
        Map<String, List<VncListener.Address>> keptWith = Map.of("unix:/run/web.vnc", List.of(), "none", List.of(),
                ":1,websocket=5701", bound, ":1,reverse=on", bound);
        for (String kept : keptWith.keySet()) {
            StandbyCommandLine k = StandbyCommandLine.derive(QemuArgs.parse(List.of("qemu", "-vnc", kept), null), 42,
                    NEW, ReplacementMode.SHARED, Map.of(), QMP, keptWith.get(kept), Optional.empty(),
                    OpenFiles.none(), HostForwards.none(), HotPlugged.none());
            assertThat(k.argv()).as(kept).containsSubsequence("-vnc", kept);
            assertThat(k.vnc()).as(kept).isEmpty();
        }
    }

    @Test
    void shortFormFlagsAreReadAsQemuReadsThem() {
        StandbyCommandLine c = derive(ReplacementMode.COPY, Map.of(), "qemu",
                "-monitor", "unix:/run/web.mon,server,nowait", "-qmp", "unix:/run/hyperfresh/web.qmp,server,nowait");
        assertThat(c.argv()).containsExactly(NEW.toString(),
                "-monitor", "unix:/run/web.mon.next-42,server=on,wait=off",
                "-qmp", "unix:/run/hyperfresh/web.qmp.next-42,server=on,wait=off", "-S", "-incoming", "defer");
    }

    @Test
    void tapsAndTcpListenersAreHandedOverByNumberInTheOrderTheyAppear() {
        OpenFiles old = new OpenFiles(Map.of("tap0", List.of(21), "mq0", List.of(30, 31, 32)),
                Map.of(4444, List.of(v4(17)), 1234, List.of(v6(20), v4(18)), 5555, List.of(v4(19))));
        StandbyCommandLine c = StandbyCommandLine.derive(QemuArgs.parse(List.of("qemu",
                "-netdev", "tap,id=n0,ifname=tap0,script=/etc/qemu-ifup,downscript=no,vhost=on",
                "-netdev", "tap,id=n1,ifname=mq0,queues=3,vnet_hdr=on",
                "-nic", "tap,fd=9,model=e1000",
                "-netdev", "{\"type\":\"tap\",\"id\":\"n2\",\"fds\":\"5:6\"}",
                "-chardev", "socket,id=mon,host=127.0.0.1,port=4444,server=on,wait=off,telnet=on",
                "-serial", "tcp::5555,server,nowait",
                "-gdb", "tcp::1234",
                "-chardev", "socket,id=hf-monitor1,server=on,wait=off,fd=4,telnet=on"), null), 42, NEW,
                ReplacementMode.COPY, Map.of(), QMP, List.of(), Optional.empty(), old, HostForwards.none(), HotPlugged.none());
        assertThat(c.handed().oldFds()).containsExactly(21, 30, 31, 32, 9, 5, 6, 17, 19, 18, 4);
        assertThat(c.argv()).containsSubsequence(
                "-netdev", "tap,id=n0,vhost=on,fd=3",
                "-netdev", "tap,id=n1,fds=4:5:6",
                "-nic", "tap,model=e1000,fd=7",
                "-netdev", "{\"type\":\"tap\",\"id\":\"n2\",\"fds\":\"8:9\"}",
                "-chardev", "socket,id=mon,server=on,wait=off,telnet=on,fd=10",
                "-chardev", "socket,id=hf-serial8,server=on,wait=off,fd=11", "-serial", "chardev:hf-serial8",
                "-chardev", "socket,id=hf-gdb9,fd=12,wait=off,server=on", "-gdb", "chardev:hf-gdb9",
                "-chardev", "socket,id=hf-monitor1,server=on,wait=off,fd=13,telnet=on");
        assertThat(c.handed().descriptions()).startsWith("the tap tap0: the old QEMU's fd 21, the new one's fd 3",
                "the tap mq0: the old QEMU's fd 30, the new one's fd 4").contains("the tap of -nic tap,fd=9,model=e1000: the old"
                + " QEMU's fd 9, the new one's fd 7", "the socket -gdb tcp::1234 listens on: the old QEMU's fd 18, the new one's fd 12");
        assertThat(c.handed().warnings()).containsExactly("-gdb tcp::1234 listened on IPv4 and IPv6; the new QEMU keeps the IPv4"
                + " socket only (a character device takes one): clients reach port 1234 over IPv4 (127.0.0.1), not over"
                + " IPv6 (::1)");
    }

    private static OpenFiles.Listener v4(int fd) {
        return new OpenFiles.Listener(fd, false);
    }

    private static OpenFiles.Listener v6(int fd) {
        return new OpenFiles.Listener(fd, true);
    }

    @Test
    void theOneNetworkABridgeHelperOpenedGetsTheOneTapNoOtherNetworkNames() {
        OpenFiles old = new OpenFiles(Map.of("tap0", List.of(21), "tap7", List.of(11)), Map.of());
        OpenFiles three = new OpenFiles(Map.of("tap0", List.of(21), "tap7", List.of(11), "tap9", List.of(5)), Map.of());
        StandbyCommandLine c = StandbyCommandLine.derive(QemuArgs.parse(List.of("qemu",
                "-nic", "bridge,br=br0,model=virtio-net-pci,mac=52:54:00:12:34:56",
                "-netdev", "tap,id=n0,ifname=tap0", "-netdev", "tap,id=n1,fd=5"), null), 42, NEW, ReplacementMode.COPY,
                Map.of(), QMP, List.of(), Optional.empty(), three, HostForwards.none(), HotPlugged.none());
        assertThat(c.handed().oldFds()).containsExactly(11, 21, 5);
        assertThat(c.argv()).containsSubsequence("-nic", "tap,model=virtio-net-pci,mac=52:54:00:12:34:56,fd=3",
                "-netdev", "tap,id=n0,fd=4", "-netdev", "tap,id=n1,fd=5");
        for (List<String> uncertain : List.of(
                List.of("-netdev", "bridge,id=b0,br=br0", "-netdev", "tap,id=b1,helper=/usr/lib/qemu/qemu-bridge-helper"),
                List.of("-netdev", "bridge,id=b0,br=br0"))) {   // two helpers' taps; two taps left for one helper
            List<String> argv = new ArrayList<>(List.of("qemu"));
            argv.addAll(uncertain);
            StandbyCommandLine k = StandbyCommandLine.derive(QemuArgs.parse(argv, null), 42, NEW, ReplacementMode.COPY,
                    Map.of(), QMP, List.of(), Optional.empty(), old, HostForwards.none(), HotPlugged.none());
            assertThat(k.handed().oldFds()).as(uncertain.toString()).isEmpty();
            assertThat(k.argv()).containsSubsequence(uncertain);
        }
    }

    @Test
    void whatTheOldQemuDoesNotHoldIsLeftAsWritten() {
        List<String> kept = List.of(
                "-netdev", "tap,id=n0,ifname=gone0",                                // not attached (any more)
                "-netdev", "tap,id=n2,fd=tapfd",                                   // a monitor's fd name
                "-netdev", "user,id=n3,net=10.1.0.0/24",
                "-chardev", "socket,id=c0,host=::1,port=6000,server=on",         // two IPv6 sockets on the port
                "-chardev", "socket,id=c1,host=example.org,port=7000",            // a client
                "-serial", "telnet:127.0.0.1:7001,server=on");                     // not listening
        List<String> argv = new ArrayList<>(List.of("qemu"));
        argv.addAll(kept);
        StandbyCommandLine c = StandbyCommandLine.derive(QemuArgs.parse(argv, null), 42, NEW, ReplacementMode.COPY,
                Map.of(), QMP, List.of(), Optional.empty(),
                new OpenFiles(Map.of("tap9", List.of(3)), Map.of(6000, List.of(v6(7), v6(8)))), HostForwards.none(), HotPlugged.none());
        assertThat(c.handed().oldFds()).isEmpty();
        assertThat(c.handed().warnings()).isEmpty();
        assertThat(c.argv()).containsSubsequence(kept);
    }

    @Test
    void flagsWithoutValuesDoNotSwallowTheNextOption() {
        QemuArgs a = QemuArgs.parse(List.of("qemu", "--nodefaults", "-no-reboot", "-name", "web", "disk.img"), null);
        assertThat(a.options()).containsExactly(new QemuArgs.Option("nodefaults", null),
                new QemuArgs.Option("no-reboot", null), new QemuArgs.Option("name", "web"),
                new QemuArgs.Option("hda", "disk.img"));
    }
}
