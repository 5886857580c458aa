package dev.hyperfresh.vmm.boot.linux;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.hyperfresh.kvm.Regs;
import dev.hyperfresh.vmm.boot.BootState;
import dev.hyperfresh.vmm.memory.GuestMemory;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class LinuxLoaderTest {
    private static final long MIB = 1L << 20;
    private static final String CMDLINE = "console=ttyS0 panic=-1";

    @TempDir
    Path dir;

    @Test
    void placesKernelInitrdCmdlineAndZeroPage() throws Exception {
        byte[] image = TestKernels.fakeBzImage(0x020f, 1, 100_000);
        byte[] initrd = new byte[3 * 4096 + 17];
        Arrays.fill(initrd, (byte) 0x5a);
        LinuxLoader loader = new LinuxLoader(TestKernels.write(dir, "bz", image),
                TestKernels.write(dir, "initrd", initrd), CMDLINE);
        try (GuestMemory memory = GuestMemory.create("linux-loader-test", 64 * MIB, false)) {
            BootState state = loader.load(memory, 2);

            assertThat(state.regs().rip()).isEqualTo(MIB + 0x200);
            assertThat(state.regs().u64(Regs.RSI)).isEqualTo(LinuxLoader.ZERO_PAGE_ADDRESS);
            assertThat(state.regs().rflags()).isEqualTo(2);
            assertThat(state.msrs().count()).isZero();
            assertThat(memory.read(MIB, 100_000)).isEqualTo(Arrays.copyOfRange(image, 5 * 512, image.length));

            ByteBuffer zp = zeroPage(memory);
            assertThat(zp.get(0x210)).as("type_of_loader").isEqualTo((byte) 0xff);
            assertThat(zp.getShort(0x1fe)).as("boot_flag").isEqualTo((short) 0xaa55);
            assertThat(zp.getInt(0x202)).as("header copied").isEqualTo(0x53726448);
            assertThat(cString(memory, zp.getInt(0x228))).isEqualTo(CMDLINE);

            long initrdAt = Integer.toUnsignedLong(zp.getInt(0x218));
            assertThat(zp.getInt(0x21c)).isEqualTo(initrd.length);
            assertThat(initrdAt % 4096).isZero();
            assertThat(initrdAt + initrd.length).isLessThanOrEqualTo(64 * MIB).isGreaterThan(64 * MIB - 4096);
            assertThat(memory.read(initrdAt, initrd.length)).isEqualTo(initrd);

            assertThat(zp.get(0x1e8)).as("e820 entries").isEqualTo((byte) 3);
            assertThat(zp.getLong(0x2d0 + 40)).isEqualTo(MIB);
            assertThat(zp.getLong(0x2d0 + 48)).isEqualTo(63 * MIB);
            assertThat(zp.getInt(0x2d0 + 56)).isEqualTo(E820Entry.RAM);

            assertThat(memory.read(LinuxLoader.MP_TABLE_ADDRESS, 4)).asString(StandardCharsets.US_ASCII)
                    .isEqualTo("_MP_");
            assertThat(memory.read(LinuxLoader.GDT_ADDRESS, BootGdt.SIZE)).isEqualTo(BootGdt.build());
            assertThat(memory.read(LinuxLoader.PAGE_TABLES_ADDRESS, 8))
                    .isEqualTo(Arrays.copyOf(IdentityPageTables.build(LinuxLoader.PAGE_TABLES_ADDRESS), 8));
        }
    }

    @Test
    void withoutInitrdTheRamdiskFieldsStayZero() throws Exception {
        LinuxLoader loader = new LinuxLoader(TestKernels.write(dir, "bz", TestKernels.fakeBzImage(0x020c, 1, 4096)),
                CMDLINE);
        try (GuestMemory memory = GuestMemory.create("linux-loader-test", 32 * MIB, false)) {
            loader.load(memory, 1);
            ByteBuffer zp = zeroPage(memory);
            assertThat(zp.getInt(0x218)).isZero();
            assertThat(zp.getInt(0x21c)).isZero();
        }
    }

    @Test
    void initrdStaysBelowInitrdAddrMaxAndThreeGib() throws Exception {
        byte[] image = TestKernels.fakeBzImage(0x020f, 1, 4096);
        ByteBuffer.wrap(image).order(ByteOrder.LITTLE_ENDIAN).putInt(0x22c, (int) (40 * MIB - 1));
        LinuxLoader loader = new LinuxLoader(TestKernels.write(dir, "bz", image),
                TestKernels.write(dir, "initrd", new byte[5000]), CMDLINE);
        try (GuestMemory memory = GuestMemory.create("linux-loader-test", 64 * MIB, false)) {
            loader.load(memory, 1);
            assertThat(Integer.toUnsignedLong(zeroPage(memory).getInt(0x218))).isEqualTo(40 * MIB - 8192);
        }
    }

    @Test
    void refusesACommandLineLongerThanTheKernelTakes() throws Exception {
        Path bz = TestKernels.write(dir, "bz", TestKernels.fakeBzImage(0x020f, 1, 4096));
        new LinuxLoader(bz, "x".repeat(255));
        assertThatThrownBy(() -> new LinuxLoader(bz, "x".repeat(256))).isInstanceOf(LinuxBootException.class)
                .hasMessageContaining("256 bytes").hasMessageContaining("at most 255");
    }

    @Test
    void refusesANonKernelAndAMissingInitrd() throws Exception {
        Path text = TestKernels.write(dir, "notes.txt", "hello".repeat(200).getBytes(StandardCharsets.US_ASCII));
        assertThatThrownBy(() -> new LinuxLoader(text, CMDLINE)).isInstanceOf(LinuxBootException.class)
                .hasMessageContaining("notes.txt is not a bzImage");
        Path bz = TestKernels.write(dir, "bz", TestKernels.fakeBzImage(0x020f, 1, 4096));
        assertThatThrownBy(() -> new LinuxLoader(bz, dir.resolve("absent"), CMDLINE))
                .isInstanceOf(LinuxBootException.class).hasMessageContaining("absent is not a readable file");
    }

    @Test
    void refusesAVmTooSmallForTheKernelOrTheInitrd() throws Exception {
        Path bz = TestKernels.write(dir, "bz", TestKernels.fakeBzImage(0x020f, 1, 4096));
        try (GuestMemory memory = GuestMemory.create("linux-loader-test", 16 * MIB, false)) {
            assertThatThrownBy(() -> new LinuxLoader(bz, CMDLINE).load(memory, 1))
                    .isInstanceOf(LinuxBootException.class).hasMessageContaining("needs RAM up to 0x1800000");
        }
        Path initrd = TestKernels.write(dir, "initrd", new byte[(int) (9 * MIB)]);
        try (GuestMemory memory = GuestMemory.create("linux-loader-test", 32 * MIB, false)) {
            assertThatThrownBy(() -> new LinuxLoader(bz, initrd, CMDLINE).load(memory, 1))
                    .isInstanceOf(LinuxBootException.class).hasMessageContaining("does not fit")
                    .hasMessageContaining("more memory");
        }
    }

    @Test
    void loadsDebiansKernel() throws Exception {
        Optional<Path> kernel = TestKernels.debianKernel();
        assumeTrue(kernel.isPresent(), TestKernels.NO_DEBIAN_KERNEL);
        byte[] image = Files.readAllBytes(kernel.get());
        LinuxLoader loader = new LinuxLoader(kernel.get(), TestKernels.write(dir, "initrd", new byte[8192]),
                CMDLINE);
        try (GuestMemory memory = GuestMemory.create("linux-loader-test", 256 * MIB, false)) {
            loader.load(memory, 2);
            int offset = (int) loader.header().protectedModeOffset();
            assertThat(memory.read(MIB, image.length - offset))
                    .isEqualTo(Arrays.copyOfRange(image, offset, image.length));
            ByteBuffer zp = zeroPage(memory);
            assertThat(zp.getShort(0x206) & 0xffff).isGreaterThanOrEqualTo(0x020c);
            assertThat(Integer.toUnsignedLong(zp.getInt(0x218)) + 8192).isEqualTo(256 * MIB);
        }
    }

    private static ByteBuffer zeroPage(GuestMemory memory) {
        return ByteBuffer.wrap(memory.read(LinuxLoader.ZERO_PAGE_ADDRESS, ZeroPage.SIZE)).order(ByteOrder.LITTLE_ENDIAN);
    }

    private static String cString(GuestMemory memory, long address) {
        byte[] b = memory.read(address, 4096);
        int n = 0;
        while (b[n] != 0) {
            n++;
        }
        return new String(b, 0, n, StandardCharsets.US_ASCII);
    }
}
