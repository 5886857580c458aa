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
    void dataExtentsAreWhereSomethingWroteOrPopulated() {
        long page = 4096;
        try (Fd memfd = Memfd.create("touched", 64 * page, false);
             Mapping mapping = Mapping.shared(memfd, 64 * page)) {
            assertThat(Memfd.dataExtents(memfd)).as("fresh: no pages at all").isEmpty();
            assertThat(Memfd.allocatedBytes(memfd)).isZero();

            mapping.pointer().putByte(3 * page + 7, (byte) 1);
            mapping.pointer().putByte(4 * page, (byte) 1);
            mapping.populateWrite(40 * page, 2 * page);
            mapping.pointer().putByte(63 * page + 4095, (byte) 1);

            assertThat(Memfd.dataExtents(memfd)).containsExactly(new Memfd.Extent(3 * page, 2 * page),
                    new Memfd.Extent(40 * page, 2 * page), new Memfd.Extent(63 * page, page));
            assertThat(Memfd.allocatedBytes(memfd)).isEqualTo(5 * page);
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
    void moreHugePagesThanTheHostHasIsAnErrorAtOnceNotASigbusLater() {
        // 1 TiB of 2 MiB pages: no host of ours has that many free (a host without hugetlb fails memfd_create).
        assertThatThrownBy(() -> Memfd.create("huge", 1L << 40, true))
                .isInstanceOf(SysException.class)
                .satisfies(e -> {
                    if (e.getMessage().startsWith("fallocate")) {
                        assertThat(e).hasMessageContaining("fewer than 524288 free 2 MiB huge pages");
                    }
                });
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
