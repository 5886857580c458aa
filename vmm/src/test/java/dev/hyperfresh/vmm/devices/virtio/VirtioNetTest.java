package dev.hyperfresh.vmm.devices.virtio;

import static org.assertj.core.api.Assertions.assertThat;

import dev.hyperfresh.sys.TapDevice;
import dev.hyperfresh.testkit.HostCommand;
import dev.hyperfresh.vmm.devices.pci.PciBus;
import dev.hyperfresh.vmm.memory.GuestMemory;
import dev.hyperfresh.vmm.memory.PageRun;
import java.io.IOException;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Predicate;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The virtio network device over a real tap, with the host's own network stack at the other end: the driver (as
 * Linux's virtio_net lays out its buffers) sends an ARP request and the kernel's answer arrives in the receive
 * ring; frames the host sends while a pause is requested wait in the tap and arrive once the VM runs again, on
 * this device or on the one its state moved to. Needs root (a tap); Linux drives the device on KVM in
 * {@code LinuxReplaceOnKvmTest}.
 */
class VirtioNetTest {
    private static final long RAM = 16L << 20, RX_BUF = 0x40000, TX_BUF = 0x80000;
    private static final int RX_BUFFERS = 16, RX_BUF_LEN = 2048;
    private static final byte[] MAC = {0x52, 0x54, 0x00, 0x12, 0x34, 0x56};
    private static final String HOST = "10.0.98.1", GUEST = "10.0.98.2";

    private final String tapName = "hfvn" + ProcessHandle.current().pid() % 100000;
    private final List<Boolean> line = new CopyOnWriteArrayList<>();
    private final List<Runnable> deferred = new CopyOnWriteArrayList<>();
    private volatile boolean pausing;
    private GuestMemory memory;
    private PciBus pci;
    private VirtioNet net;
    private VirtioDriver driver;
    private int seen;

    @BeforeEach
    void setUp() throws Exception {
        memory = GuestMemory.create("vnet", RAM, false);
        pci = new PciBus();
        net = new VirtioNet(memory, TapDevice.open(tapName), MAC, "test", VirtioPciDevice.DEFAULT_BAR, 17,
                line::add, () -> pausing, deferred::add);
        assertThat(pci.add(net)).isEqualTo(1);
        driver = new VirtioDriver(memory, pci, 1, net);
        Files.writeString(Path.of("/proc/sys/net/ipv6/conf", tapName, "disable_ipv6"), "1");   // no chatter
        HostCommand.ip("addr", "add", HOST + "/24", "dev", tapName);
        HostCommand.ip("link", "set", tapName, "up");
    }

    @AfterEach
    void tearDown() {
        net.close();
        memory.close();
    }

    @Test
    void theGuestsArpRequestIsAnsweredByTheHostIntoItsReceiveRing() throws Exception {
        assertThat(driver.config(1, 0x00, 4)).as("virtio 1.x network").isEqualTo(0x10411af4);
        assertThat(driver.config(1, 0x08, 4) >>> 8).as("class: Ethernet").isEqualTo(0x020000);
        driver.initialise(VirtioPciDevice.F_VERSION_1 | VirtioNet.F_MAC, 2);
        assertThat(driver.mmio(0x2000, 4) | driver.mmio(0x2004, 2) << 32).as("MAC").isEqualTo(0x563412005452L);
        postReceiveBuffers();
        memory.logDeviceWrites(true);   // as a copy-mode replacement's dirty logging does

        sendArpRequest();

        assertThat(driver.usedIdx(VirtioNet.TX)).as("sent").isEqualTo(1);
        ByteBuffer reply = awaitFrame(f -> f.getShort(12 + 12) == 0x0806 && f.getShort(12 + 20) == 2);
        assertThat(memory.takeDeviceWrites()).as("a received frame's buffer and the used ring are logged for a pre-copy")
                .contains(new PageRun(VirtioDriver.used(VirtioNet.RX), PageRun.PAGE))
                .anyMatch(p -> p.offset() >= RX_BUF && p.offset() < RX_BUF + (long) RX_BUFFERS * RX_BUF_LEN);
        assertThat(Short.reverseBytes(reply.getShort(10))).as("num_buffers, little-endian").isEqualTo((short) 1);
        assertThat(bytes(reply, 12, 6)).as("to us").isEqualTo(MAC);
        assertThat(bytes(reply, 12 + 28, 4)).as("sender IP").isEqualTo(InetAddress.getByName(HOST).getAddress());
        assertThat(line).contains(true);
        assertThat(driver.mmio(0x1000, 1) & 1).as("ISR: used buffers").isEqualTo(1);
    }

    @Test
    void framesWaitInTheTapWhileAPauseIsRequestedAndArriveOnceTheVmRunsAgain() throws Exception {
        driver.initialise(VirtioPciDevice.F_VERSION_1 | VirtioNet.F_MAC, 2);
        postReceiveBuffers();
        sendArpRequest();   // the host learns our address from it
        awaitFrame(f -> f.getShort(12 + 12) == 0x0806);
        int before = driver.usedIdx(VirtioNet.RX);

        pausing = true;
        net.quiesce();
        sendUdpToGuest("while paused");
        Thread.sleep(300);
        assertThat(driver.usedIdx(VirtioNet.RX)).as("nothing written while paused").isEqualTo(before);
        assertThat(deferred).as("the receiver asked to be woken by the first vCPU to run").hasSize(1);

        pausing = false;
        deferred.remove(0).run();
        awaitFrame(f -> udpPayload(f).equals("while paused"));
    }

    @Test
    void itsStateMovesToADeviceOnTheSameTapWhichReceivesWhatTheOldOneLeft() throws Exception {
        driver.initialise(VirtioPciDevice.F_VERSION_1 | VirtioNet.F_MAC, 2);
        postReceiveBuffers();
        sendArpRequest();
        awaitFrame(f -> f.getShort(12 + 12) == 0x0806);

        pausing = true;   // the old instance pauses for good
        net.quiesce();
        sendUdpToGuest("during the cutover");
        byte[] state = net.saveState();
        List<Runnable> nextDeferred = new ArrayList<>();   // the new instance's VM's
        PciBus nextBus = new PciBus();
        nextBus.restoreState(pci.saveState());
        VirtioNet next = new VirtioNet(memory, TapDevice.adopt(net.tap().fd().dup(), tapName), MAC, "test-next",
                VirtioPciDevice.DEFAULT_BAR, 17, line::add, () -> false, nextDeferred::add);
        try {
            assertThat(nextBus.add(next)).isEqualTo(1);
            next.restoreState(state);
            driver.use(nextBus, next);
            assertThat(nextDeferred).as("transmits left, and the receiver's wake-up").hasSize(2);
            nextDeferred.forEach(Runnable::run);
            awaitFrame(f -> udpPayload(f).equals("during the cutover"));
            sendUdpToGuest("after it");
            awaitFrame(f -> udpPayload(f).equals("after it"));
        } finally {
            next.close();
        }
    }

    @Test
    void aBufferThatIsNotRamStopsTheDeviceNotTheVm() {
        driver.initialise(VirtioPciDevice.F_VERSION_1 | VirtioNet.F_MAC, 2);
        driver.descriptor(VirtioNet.TX, 0, TX_BUF, 0x80000000, 0, 0);   // 2 GiB from TX_BUF: past the 16 MiB of RAM
        driver.publish(VirtioNet.TX, 0);
        driver.notifyQueue(VirtioNet.TX);
        assertThat(driver.mmio(0x14, 1) & VirtioPciDevice.STATUS_NEEDS_RESET).isNotZero();
        assertThat(driver.mmio(0x1000, 1)).as("ISR: configuration changed").isEqualTo(2);
        driver.mmio(0x14, 1, 0);
        assertThat(driver.mmio(0x14, 1)).as("a reset clears it").isZero();
    }

    private void postReceiveBuffers() {
        for (int i = 0; i < RX_BUFFERS; i++) {
            driver.descriptor(VirtioNet.RX, i, RX_BUF + (long) i * RX_BUF_LEN, RX_BUF_LEN, SplitQueue.DESC_WRITE, 0);
            driver.publish(VirtioNet.RX, i);
        }
        driver.notifyQueue(VirtioNet.RX);
    }

    /** Header and frame in one buffer, as virtio_net does with VERSION_1. */
    private void sendArpRequest() throws IOException {
        ByteBuffer f = ByteBuffer.allocate(12 + 42);
        f.position(12);
        f.put(new byte[] {-1, -1, -1, -1, -1, -1}).put(MAC).putShort((short) 0x0806);
        f.putShort((short) 1).putShort((short) 0x0800).put((byte) 6).put((byte) 4).putShort((short) 1);
        f.put(MAC).put(InetAddress.getByName(GUEST).getAddress());
        f.put(new byte[6]).put(InetAddress.getByName(HOST).getAddress());
        memory.write(TX_BUF, f.array());
        driver.descriptor(VirtioNet.TX, 0, TX_BUF, f.capacity(), 0, 0);
        driver.publish(VirtioNet.TX, 0);
        driver.notifyQueue(VirtioNet.TX);
    }

    private static void sendUdpToGuest(String text) throws IOException {
        try (DatagramSocket s = new DatagramSocket()) {
            byte[] b = text.getBytes();
            s.send(new DatagramPacket(b, b.length, InetAddress.getByName(GUEST), 9));
        }
    }

    /** The next received frame (virtio-net header first) that {@code wanted} accepts, within 5 s. */
    private ByteBuffer awaitFrame(Predicate<ByteBuffer> wanted) throws InterruptedException {
        long until = System.nanoTime() + 5_000_000_000L;
        while (System.nanoTime() < until) {
            while (seen < driver.usedIdx(VirtioNet.RX)) {
                int head = driver.usedHead(VirtioNet.RX, seen);
                int length = driver.usedLength(VirtioNet.RX, seen);
                seen++;
                ByteBuffer f = ByteBuffer.wrap(memory.read(RX_BUF + (long) head * RX_BUF_LEN, length));
                if (length > 12 + 14 && wanted.test(f)) {
                    return f;
                }
            }
            Thread.sleep(10);
        }
        throw new AssertionError("no such frame within 5 s; " + seen + " frames received");
    }

    private static String udpPayload(ByteBuffer f) {
        if (f.limit() < 12 + 42 || f.getShort(12 + 12) != 0x0800 || f.get(12 + 14 + 9) != 17) {
            return "";
        }
        return new String(bytes(f, 12 + 42, f.limit() - 12 - 42));
    }

    private static byte[] bytes(ByteBuffer f, int at, int length) {
        byte[] b = new byte[length];
        f.get(at, b);
        return b;
    }
}
