package dev.hyperfresh.vmm.devices.virtio;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.hyperfresh.sys.ImageFile;
import dev.hyperfresh.vmm.devices.pci.PciBus;
import dev.hyperfresh.vmm.memory.GuestMemory;
import dev.hyperfresh.vmm.memory.PageRun;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The virtio block device driven as Linux's virtio_pci and virtio_blk drive it — PCI configuration cycles through
 * 0xcf8/0xcfc, BAR sizing, the capability list, the modern common configuration, a split queue in guest memory —
 * over a real memfd and a real image file; no KVM is needed for any of it. Linux itself drives it on KVM in
 * {@code LinuxReplaceOnKvmTest}.
 */
class VirtioBlockTest {
    private static final long RAM = 16L << 20, BUF = 0x20000;
    private static final long BAR = VirtioDriver.BAR, DESC = VirtioDriver.desc(0);
    private static final int QUEUE = VirtioDriver.QUEUE;

    @TempDir
    Path dir;
    private GuestMemory memory;
    private Path imagePath;
    private final List<Boolean> line = new ArrayList<>();
    private final List<Runnable> deferred = new ArrayList<>();
    private boolean pausing;
    private PciBus pci;
    private VirtioBlock block;
    private VirtioDriver driver;
    private int nextDesc, requests;

    @BeforeEach
    void setUp() throws Exception {
        memory = GuestMemory.create("vblk", RAM, false);
        imagePath = dir.resolve("disk.img");
        byte[] image = new byte[1 << 20];
        for (int i = 0; i < image.length; i++) {
            image[i] = (byte) (i / 512);
        }
        Files.write(imagePath, image);
        block = device(false);
    }

    @AfterEach
    void tearDown() {
        block.image().close();
        memory.close();
    }

    private VirtioBlock device(boolean readOnly) {
        pci = new PciBus();
        VirtioBlock b = new VirtioBlock(memory, ImageFile.open(imagePath, readOnly), readOnly, "hfvisor-test",
                VirtioBlock.DEFAULT_BAR, 16, line::add, () -> pausing, deferred::add);
        assertThat(pci.add(b)).isEqualTo(1);
        if (driver == null) {
            driver = new VirtioDriver(memory, pci, 1, b);
        } else {
            driver.use(pci, b);
        }
        return b;
    }

    @Test
    void linuxFindsItOnPciBusZeroAndSizesItsBar() {
        assertThat(config(0, 0x00, 4)).as("host bridge: Intel 440FX").isEqualTo(0x12378086);
        assertThat(config(1, 0x00, 4)).as("virtio 1.x block").isEqualTo(0x10421af4);
        assertThat(config(1, 0x08, 4) >>> 8).as("class").isEqualTo(0x010000);
        assertThat(config(2, 0x00, 4)).as("empty slot").isEqualTo(0xffffffff);
        assertThat(config(1, 0x3c, 2)).as("line 16, pin A").isEqualTo(0x0110);
        writeConfig(0x10, 4, 0xffffffff);
        assertThat(config(1, 0x10, 4)).as("16 KiB BAR").isEqualTo(0xffffc000);
        writeConfig(0x10, 4, (int) BAR);
        assertThat(block.claims(BAR)).as("memory decoding off").isFalse();
        writeConfig(0x04, 2, 0x6);
        assertThat(block.claims(BAR + 0x3000)).isTrue();
        assertThat(block.claims(BAR + 0x4000)).isFalse();
        List<Integer> types = new ArrayList<>();
        for (int cap = config(1, 0x34, 1); cap != 0; cap = config(1, cap + 1, 1)) {
            assertThat(config(1, cap, 1)).as("vendor capability").isEqualTo(0x09);
            types.add(config(1, cap + 3, 1));
        }
        assertThat(types).containsExactly(1, 2, 3, 4);
    }

    @Test
    void requestsAreServedFromTheQueueAndInterruptTheGuest() throws Exception {
        initialise(VirtioBlock.F_VERSION_1 | VirtioBlock.F_FLUSH | VirtioBlock.F_SEG_MAX);
        assertThat(mmio(0x2000, 8)).as("capacity in sectors").isEqualTo((1 << 20) / 512);
        byte[] written = "written by the guest".getBytes(StandardCharsets.US_ASCII);
        memory.write(BUF + 0x1000, Arrays.copyOf(written, 1024));
        request(VirtioBlock.T_OUT, 2, BUF + 0x1000, 1024, false);
        request(VirtioBlock.T_IN, 0, BUF + 0x2000, 512, true);
        request(VirtioBlock.T_FLUSH, 0, 0, 0, false);
        request(VirtioBlock.T_GET_ID, 0, BUF + 0x3000, 20, true);
        request(VirtioBlock.T_IN, 2047, BUF + 0x4000, 1024, true);   // runs past the end
        request(99, 0, 0, 0, false);
        notifyQueue();

        assertThat(usedIdx()).isEqualTo(6);
        assertThat(statuses()).containsExactly(0, 0, 0, 0, 1, 2);
        assertThat(usedLength(1)).as("512 bytes and the status").isEqualTo(513);
        assertThat(Arrays.copyOfRange(Files.readAllBytes(imagePath), 1024, 1024 + written.length)).isEqualTo(written);
        assertThat(memory.read(BUF + 0x2000, 512)).containsOnly(0);
        assertThat(new String(memory.read(BUF + 0x3000, 12), StandardCharsets.US_ASCII)).isEqualTo("hfvisor-test");
        assertThat(line).containsExactly(true);
        assertThat(mmio(0x1000, 1)).as("ISR: a used buffer").isEqualTo(1);
        assertThat(line).containsExactly(true, false);
        assertThat(mmio(0x1000, 1)).isZero();
    }

    @Test
    void itsStateMovesToAnotherDeviceOnTheSameMemoryAndImage() throws Exception {
        initialise(VirtioBlock.F_VERSION_1);
        request(VirtioBlock.T_IN, 1, BUF, 512, true);
        notifyQueue();
        pci.write(PciBus.ADDRESS_PORT, 4, 0x80000800);   // the guest is between two halves of a config cycle
        byte[] state = block.saveState();
        byte[] bus = pci.saveState();
        block.image().close();   // a handover passes the open image; here the new device opens it again
        block = device(false);
        pci.restoreState(bus);
        block.restoreState(state);
        assertThat(pci.read(0xcfc, 4)).isEqualTo(0x10421af4);
        assertThat(line).as("the line is driven again as the ISR says").containsExactly(true, true);
        assertThat(deferred).as("the new device looks at the ring once it runs").hasSize(1);
        deferred.remove(0).run();
        assertThat(usedIdx()).isEqualTo(1);
        request(VirtioBlock.T_IN, 3, BUF + 0x1000, 512, true);
        notifyQueue();
        assertThat(usedIdx()).isEqualTo(2);
        assertThat(statuses()).containsExactly(0, 0);
        assertThat(memory.read(BUF + 0x1000, 512)).containsOnly(3);
        assertThatThrownBy(() -> block.restoreState(Arrays.copyOf(state, state.length - 1)))
                .hasMessageContaining("truncated");
    }

    @Test
    void aPauseLeavesTheRestOfTheQueueToTheFirstVcpuThatRunsAgain() {
        initialise(VirtioBlock.F_VERSION_1);
        request(VirtioBlock.T_IN, 1, BUF, 512, true);
        request(VirtioBlock.T_IN, 2, BUF + 0x1000, 512, true);
        pausing = true;
        notifyQueue();
        assertThat(usedIdx()).as("nothing served while a pause waits").isZero();
        assertThat(line).isEmpty();
        pausing = false;
        assertThat(deferred).hasSize(1);
        deferred.remove(0).run();
        assertThat(usedIdx()).isEqualTo(2);
        assertThat(statuses()).containsExactly(0, 0);
        assertThat(line).containsExactly(true);
    }

    @Test
    void thePagesARequestWritesAreLoggedForAPreCopy() {
        initialise(VirtioBlock.F_VERSION_1);
        memory.logDeviceWrites(true);   // as a copy-mode replacement's dirty logging does
        request(VirtioBlock.T_IN, 1, BUF + 0x2000, 512, true);
        notifyQueue();
        assertThat(memory.takeDeviceWrites()).as("the data, the status byte, the used ring (below 3 GiB: gpa = offset)")
                .containsExactly(new PageRun(VirtioDriver.used(0), PageRun.PAGE), new PageRun(BUF + 0x2000, PageRun.PAGE),
                        new PageRun(BUF + 0x8000, PageRun.PAGE));
        memory.logDeviceWrites(false);
    }

    @Test
    void aReadOnlyDiskSaysSoAndRefusesWrites() {
        block.image().close();
        block = device(true);
        initialise(VirtioBlock.F_VERSION_1 | VirtioBlock.F_RO);
        request(VirtioBlock.T_OUT, 0, BUF, 512, false);
        notifyQueue();
        assertThat(statuses()).containsExactly(1);
    }

    @Test
    void aRingOutsideRamStopsTheDeviceNotTheVm() {
        initialise(VirtioBlock.F_VERSION_1);
        descriptor(0, RAM + 0x1000, 16, SplitQueue.DESC_NEXT, 1);   // the header is not RAM
        descriptor(1, BUF, 1, SplitQueue.DESC_WRITE, 0);
        publish(0);
        notifyQueue();
        assertThat(mmio(0x14, 1) & VirtioBlock.STATUS_NEEDS_RESET).isNotZero();
        assertThat(mmio(0x1000, 1)).as("ISR: configuration changed").isEqualTo(2);
        mmio(0x14, 1, 0);
        assertThat(mmio(0x14, 1)).as("a reset clears it").isZero();
    }

    private void initialise(long features) {
        driver.initialise(features, 1);
    }

    /** A request as virtio_blk lays it out: header, data (if any), status, each its own descriptor. */
    private void request(int type, long sector, long data, int length, boolean deviceWrites) {
        long header = BUF + 0x8000 + 32L * requests;
        var h = memory.at(header, 16);
        h.putInt(0, type);
        h.putInt(4, 0);
        h.putLong(8, sector);
        int head = nextDesc;
        descriptor(nextDesc, header, 16, SplitQueue.DESC_NEXT, nextDesc + 1);
        nextDesc++;
        if (length > 0) {
            descriptor(nextDesc, data, length, SplitQueue.DESC_NEXT | (deviceWrites ? SplitQueue.DESC_WRITE : 0),
                    nextDesc + 1);
            nextDesc++;
        }
        descriptor(nextDesc, header + 16, 1, SplitQueue.DESC_WRITE, 0);
        memory.at(header + 16, 1).putByte(0, (byte) 0xff);
        nextDesc = (nextDesc + 1) % QUEUE;
        publish(head);
    }

    private void descriptor(int i, long addr, int len, int flags, int next) {
        driver.descriptor(0, i, addr, len, flags, next);
    }

    private void publish(int head) {
        driver.publish(0, head);
        requests++;
    }

    private void notifyQueue() {
        driver.notifyQueue(0);
    }

    private int usedIdx() {
        return driver.usedIdx(0);
    }

    private int usedLength(int i) {
        return driver.usedLength(0, i);
    }

    private List<Integer> statuses() {
        List<Integer> out = new ArrayList<>();
        for (int i = 0; i < usedIdx(); i++) {
            int d = driver.usedHead(0, i);
            while ((memory.at(DESC + 16L * d + 12, 2).getShort(0) & SplitQueue.DESC_NEXT) != 0) {
                d = memory.at(DESC + 16L * d + 14, 2).getShort(0);
            }
            out.add(memory.at(memory.at(DESC + 16L * d, 8).getLong(0), 1).getByte(0) & 0xff);
        }
        return out;
    }

    private int config(int slot, int offset, int size) {
        return driver.config(slot, offset, size);
    }

    private void writeConfig(int offset, int size, int value) {
        driver.writeConfig(offset, size, value);
    }

    private long mmio(int offset, int size) {
        return driver.mmio(offset, size);
    }

    private void mmio(int offset, int size, long value) {
        driver.mmio(offset, size, value);
    }
}
