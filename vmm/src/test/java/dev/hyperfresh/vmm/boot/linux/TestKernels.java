package dev.hyperfresh.vmm.boot.linux;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.Optional;
import java.util.stream.Stream;

/** Kernel images for loader tests: a made-up bzImage with chosen header fields, and Debian's, when installed. */
final class TestKernels {
    static final int SETUP_SECTS = 4;
    static final long PREF_ADDRESS = 0x1000000;
    static final long INIT_SIZE = 0x800000;

    private TestKernels() {
    }

    /** A bzImage-shaped file: boot sector + setup, then {@code kernelBytes} of recognisable payload. */
    static byte[] fakeBzImage(int protocol, int xloadFlags, int kernelBytes) {
        ByteBuffer b = ByteBuffer.allocate((SETUP_SECTS + 1) * 512 + kernelBytes).order(ByteOrder.LITTLE_ENDIAN);
        b.put(0x1f1, (byte) SETUP_SECTS);
        b.putShort(0x1fe, (short) 0xaa55);
        b.put(0x200, (byte) 0xeb).put(0x201, (byte) 0x6a);
        b.putInt(0x202, 0x53726448);
        b.putShort(0x206, (short) protocol);
        b.put(0x211, (byte) SetupHeader.LOADED_HIGH);
        b.putInt(0x22c, 0x7fffffff);
        b.putInt(0x230, 0x200000);
        b.put(0x234, (byte) 1);
        b.putShort(0x236, (short) xloadFlags);
        b.putInt(0x238, 255);
        b.putLong(0x258, PREF_ADDRESS);
        b.putInt(0x260, (int) INIT_SIZE);
        for (int i = 0; i < kernelBytes; i++) {
            b.put((SETUP_SECTS + 1) * 512 + i, (byte) (i * 7 + 3));
        }
        return b.array();
    }

    static Path write(Path dir, String name, byte[] bytes) throws IOException {
        return Files.write(dir.resolve(name), bytes);
    }

    /** The newest readable /boot/vmlinuz-*, as `apt-get install linux-image-amd64` leaves it. */
    static Optional<Path> debianKernel() {
        try (Stream<Path> files = Files.list(Path.of("/boot"))) {
            return files.filter(p -> p.getFileName().toString().startsWith("vmlinuz-")).filter(Files::isReadable)
                    .max(Comparator.naturalOrder());
        } catch (IOException e) {
            return Optional.empty();
        }
    }

    static final String NO_DEBIAN_KERNEL = "no readable /boot/vmlinuz-* (apt-get install linux-image-amd64; CI does)";
}
