package dev.hyperfresh.vmm.boot.linux;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class SetupHeaderTest {
    @Test
    void parsesTheFieldsOfAMadeUpImage() {
        SetupHeader h = SetupHeader.parse("fake", TestKernels.fakeBzImage(0x020f, 1, 64));
        assertThat(h.protocol()).isEqualTo(0x020f);
        assertThat(h.protectedModeOffset()).isEqualTo(5 * 512);
        assertThat(h.cmdlineSize()).isEqualTo(255);
        assertThat(h.initrdAddrMax()).isEqualTo(0x7fffffffL);
        assertThat(h.prefAddress()).isEqualTo(TestKernels.PREF_ADDRESS);
        assertThat(h.initSize()).isEqualTo(TestKernels.INIT_SIZE);
        assertThat(h.end()).isEqualTo(0x26c);
        assertThat(h.bytes()).hasSize(0x26c - 0x1f1).startsWith((byte) 4);
    }

    @Test
    void zeroSetupSectsMeansFour() {
        byte[] image = TestKernels.fakeBzImage(0x020f, 1, 64);
        image[0x1f1] = 0;
        assertThat(SetupHeader.parse("fake", image).protectedModeOffset()).isEqualTo(5 * 512);
    }

    @Test
    void rejectsWhatIsNotABzImage() {
        assertThatThrownBy(() -> SetupHeader.parse("tiny", new byte[100]))
                .isInstanceOf(LinuxBootException.class).hasMessageContaining("tiny is not a bzImage: only 100 bytes");
        assertThatThrownBy(() -> SetupHeader.parse("zeros", new byte[4096]))
                .isInstanceOf(LinuxBootException.class).hasMessageContaining("no \"HdrS\"");
        byte[] zImage = TestKernels.fakeBzImage(0x020f, 1, 64);
        zImage[0x211] = 0;
        assertThatThrownBy(() -> SetupHeader.parse("z", zImage)).hasMessageContaining("zImage");
    }

    @Test
    void rejectsAnOldProtocolAndA32BitKernel() {
        assertThatThrownBy(() -> SetupHeader.parse("old", TestKernels.fakeBzImage(0x020a, 1, 64)))
                .isInstanceOf(LinuxBootException.class).hasMessageContaining("boot protocol 2.10")
                .hasMessageContaining("2.12");
        assertThatThrownBy(() -> SetupHeader.parse("i386", TestKernels.fakeBzImage(0x020f, 0, 64)))
                .isInstanceOf(LinuxBootException.class).hasMessageContaining("XLF_KERNEL_64");
    }

    @Test
    void parsesDebiansKernel() throws Exception {
        Optional<Path> kernel = TestKernels.debianKernel();
        assumeTrue(kernel.isPresent(), TestKernels.NO_DEBIAN_KERNEL);
        byte[] start;
        try (InputStream in = Files.newInputStream(kernel.get())) {
            start = in.readNBytes(SetupHeader.PARSE_BYTES);
        }
        SetupHeader h = SetupHeader.parse(kernel.get().toString(), start);
        assertThat(h.protocol()).isGreaterThanOrEqualTo(0x020f);
        assertThat(h.xloadFlags() & SetupHeader.XLF_KERNEL_64).isEqualTo(1);
        assertThat(h.cmdlineSize()).isGreaterThanOrEqualTo(2047);
        assertThat(h.prefAddress()).isEqualTo(0x1000000);
        assertThat(h.initSize()).isGreaterThan(Files.size(kernel.get()));
        assertThat(h.bytes()).isEqualTo(Arrays.copyOfRange(start, 0x1f1, h.end()));
    }
}
