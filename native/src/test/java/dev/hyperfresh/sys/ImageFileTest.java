package dev.hyperfresh.sys;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import jnr.ffi.Pointer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ImageFileTest {
    @TempDir
    Path dir;

    @Test
    void readsAndWritesWholeRangesAtOffsets() throws Exception {
        Path path = Files.write(dir.resolve("a.img"), new byte[4096]);
        try (ImageFile image = ImageFile.open(path, false)) {
            assertThat(image.size()).isEqualTo(4096);
            Pointer buf = Sys.allocate(1024);
            buf.put(0, "hello".getBytes(), 0, 5);
            image.write(buf, 1024, 1000);
            image.flush();
            Pointer back = Sys.allocate(8);
            assertThat(image.read(back, 5, 1000)).isTrue();
            byte[] b = new byte[5];
            back.get(0, b, 0, 5);
            assertThat(new String(b)).isEqualTo("hello");
            assertThat(image.read(back, 8, 4092)).as("past the end").isFalse();
        }
        assertThat(new String(Files.readAllBytes(path), 1000, 5)).isEqualTo("hello");
    }

    @Test
    void anImageInUseIsRefusedAndReadOnlyUsersShare() throws Exception {
        Path path = Files.write(dir.resolve("b.img"), new byte[512]);
        try (ImageFile first = ImageFile.open(path, false)) {
            assertThatThrownBy(() -> ImageFile.open(path, false)).hasMessageContaining("in use by another process");
            assertThatThrownBy(() -> ImageFile.open(path, true)).hasMessageContaining("in use by another process");
        }
        try (ImageFile a = ImageFile.open(path, true); ImageFile b = ImageFile.open(path, true)) {
            assertThat(a.size()).isEqualTo(b.size());
            assertThatThrownBy(() -> ImageFile.open(path, false)).hasMessageContaining("in use");
        }
    }

    @Test
    void anImageThatIsNotWholeSectorsIsRefused() throws Exception {
        Path odd = Files.write(dir.resolve("c.img"), new byte[700]);
        assertThatThrownBy(() -> ImageFile.open(odd, false)).hasMessageContaining("multiple of 512 bytes, is 700");
        assertThatThrownBy(() -> ImageFile.open(dir.resolve("none.img"), false)).hasMessageContaining("open(");
    }
}
