package dev.hyperfresh.qemu.replace;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** Pure logic: the host forwards read from QEMU 7.2's {@code info usernet}, and user-mode networks without them. */
class HostForwardsTest {
    /** As QEMU 7.2 printed it for -netdev user,id=n0 with three forwards and a -nic user with one. */
    private static final String USERNET = """
            Hub -1 (n0):\r
              Protocol[State]    FD  Source Address  Port   Dest. Address  Port RecvQ SendQ\r
              TCP[HOST_FORWARD]  11               *  2222       10.0.2.15    22     0     0\r
              TCP[HOST_FORWARD]   8       127.0.0.1  8080       10.0.2.15    80     0     0\r
              UDP[HOST_FORWARD]   9       127.0.0.1  5353       10.0.2.15    53     0     0\r
              TCP[ESTABLISHED]   14       10.0.2.15 41234       10.0.2.2     80     0     0\r
            Hub -1 (#net061):\r
              Protocol[State]    FD  Source Address  Port   Dest. Address  Port RecvQ SendQ\r
            Hub -1 (u2):\r
              Protocol[State]    FD  Source Address  Port   Dest. Address  Port RecvQ SendQ\r
              TCP[HOST_FORWARD]  12               *  2223       10.0.2.15    22     0     0\r
            """;

    @Test
    void eachUserModeNetworksForwardsInOrderAsHostfwdWritesThem() {
        HostForwards f = HostForwards.parse(USERNET);
        assertThat(f.rules()).containsExactly(
                List.of("tcp::2222-10.0.2.15:22", "tcp:127.0.0.1:8080-10.0.2.15:80", "udp:127.0.0.1:5353-10.0.2.15:53"),
                List.of(), List.of("tcp::2223-10.0.2.15:22"));
        assertThat(f.isEmpty()).isFalse();
        assertThat(HostForwards.parse("").isEmpty()).isTrue();
        assertThat(HostForwards.parse("Hub -1 (n0):\n  Protocol[State] ...\n").isEmpty()).isTrue();
    }

    @Test
    void aUserModeNetworkStartsWithoutItsForwardsAndTheGuardIsToldThem() {
        assertThat(HostForwards.withoutForwards("user,id=n0,hostfwd=tcp::2222-:22,net=10.1.0.0/24,"
                + "hostfwd=udp:127.0.0.1:5353-:53,smb=/srv/a,,b")).isEqualTo("user,id=n0,net=10.1.0.0/24,smb=/srv/a,,b");
        assertThat(HostForwards.withoutForwards("type=user,model=e1000,hostfwd=tcp::2223-:22"))
                .isEqualTo("type=user,model=e1000");
        assertThat(HostForwards.withoutForwards("tap,id=n1,ifname=tap0")).isEqualTo("tap,id=n1,ifname=tap0");
        HostForwards f = HostForwards.parse(USERNET);
        GuardOrders orders = new GuardOrders(7, Path.of("/run/web.qmp"), true, List.of(8L), Path.of("/run/web.qmp.next-7"),
                Path.of("/run/web.qmp.migrate"), List.of(), Optional.empty(), Optional.empty(), f,
                Optional.of("qemu@web.service"));
        GuardOrders parsed = GuardOrders.parse(orders.toArgs().toArray(String[]::new));
        assertThat(parsed.forwards()).isEqualTo(f);
        assertThat(parsed.service()).contains("qemu@web.service");
    }
}
