package dev.hyperfresh.sys;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class MemfdTest {
    @Test
    void sizeReportsTheTruncatedLength() {
        try (Fd memfd = Memfd.create("sized", 3 << 20, false)) {
            assertThat(Memfd.size(memfd)).isEqualTo(3 << 20);
        }
    }

    @Test
    void negativeSizeNamesFtruncate() {
        assertThatThrownBy(() -> Memfd.create("negative", -1, false))
                .isInstanceOf(SysException.class)
                .hasMessageContaining("ftruncate(negative)")
                .hasMessageContaining("EINVAL")
                .hasMessageContaining("-1 bytes");
    }

    @Test
    void mappingZeroBytesIsRejected() {
        try (Fd memfd = Memfd.create("empty", 4096, false)) {
            assertThatThrownBy(() -> Mapping.shared(memfd, 0))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("mmap(memfd empty)")
                    .hasMessageContaining("size must be positive");
        }
    }

    @Test
    void usingAClosedFdIsAClearError() {
        Fd memfd = Memfd.create("closed", 4096, false);
        memfd.close();
        memfd.close();

        assertThat(memfd.isOpen()).isFalse();
        assertThatThrownBy(memfd::get)
                .isInstanceOf(IllegalStateException.class)
                .hasMessage("memfd closed is closed");
        assertThatThrownBy(() -> Mapping.shared(memfd, 4096)).isInstanceOf(IllegalStateException.class);
    }
}
