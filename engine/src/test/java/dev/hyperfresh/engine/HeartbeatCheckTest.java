package dev.hyperfresh.engine;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.hyperfresh.sys.Nice;
import dev.hyperfresh.vmm.control.Event;
import dev.hyperfresh.vmm.heartbeat.Heartbeat;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class HeartbeatCheckTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    private static Event hb(int cpu, long seq, long tsc, long ticks, long merr) {
        return new Event("web", Event.HEARTBEAT, JSON.valueToTree(new Heartbeat(cpu, seq, tsc, ticks, 100, merr, 0,
                10, 5000, 0)));
    }

    @Test
    void aGuestThatWentOnFromWhereItWasPasses() {
        HeartbeatCheck check = new HeartbeatCheck(Map.of("web/cpu0", 9L, "web/cpu1", 9L));
        for (int seq = 10; seq < 14; seq++) {
            check.accept(hb(0, seq, 1000L * seq, seq, 0));
            check.accept(hb(1, seq, 1000L * seq + 1, seq, 0));
        }
        assertThat(check.everyCpuHas(2)).isTrue();
        Verification v = check.result(1500, List.of(), null);
        assertThat(v.problems()).isEmpty();
        assertThat(v.ok()).isTrue();
        assertThat(v.heartbeats()).isEqualTo(8);
        assertThat(v.cpus()).isEqualTo(2);
        assertThat(v.guestGapUs()).isNull();
        assertThat(v.guestGaps()).isEmpty();
    }

    @Test
    void gapsRepeatsBackwardsTimeErrorsAndRestartsAreEachNamed() {
        HeartbeatCheck check = new HeartbeatCheck(Map.of("web/cpu0", 50L, "web/cpu1", 3L));
        check.accept(hb(0, 1, 500, 1, 0));
        check.accept(hb(0, 2, 400, 2, 0));
        check.accept(hb(0, 2, 600, 3, 0));
        check.accept(hb(0, 5, 700, 4, 2));
        Verification v = check.result(1000, List.of(), null);
        assertThat(v.ok()).isFalse();
        assertThat(v.seqGaps()).isEqualTo(2);
        assertThat(v.seqDuplicates()).isEqualTo(1);
        assertThat(v.tscBackwards()).isEqualTo(1);
        assertThat(v.memoryErrors()).isEqualTo(2);
        assertThat(v.problems()).anyMatch(p -> p.contains("web/cpu1 sent no heartbeat"))
                .anyMatch(p -> p.contains("restarted its heartbeats at seq 1 after 50"))
                .anyMatch(p -> p.contains("memory errors"));
    }

    @Test
    void droppedEventsLeaveContinuityUnprovenAndNameANicedSessionAsTheLikelyCause() {
        HeartbeatCheck check = new HeartbeatCheck(Map.of("web/cpu0", 9L));
        check.accept(hb(0, 10, 1000, 1, 0));
        check.accept(new Event(null, Event.DROPPED, JSON.createObjectNode().put("count", 1018)));
        check.accept(hb(0, 1029, 2000, 2, 0));
        Verification v = check.result(1000, List.of(), null);
        assertThat(v.ok()).isFalse();
        int nice = Nice.ofAutogroup().orElse(0);
        assertThat(v.problems()).anySatisfy(p -> assertThat(p)
                .startsWith("1018 events dropped by the control socket, so continuity is unproven")
                .contains(nice > 0 ? "runs at autogroup nice " + nice : "unproven"));
    }

    private static Event console(String text) {
        return Event.console("lx", text);
    }

    @Test
    void aLinuxGuestsConsoleHeartbeatsAreOneSequencePerVm() {
        HeartbeatCheck check = new HeartbeatCheck(Map.of("lx/linux", 6L));
        check.accept(console("LINUXHB seq=7 uptime=37.02"));
        check.accept(console("memcheck ok seq=7"));
        check.accept(console("LINUXHB seq=8 uptime=38.05"));
        assertThat(check.everyCpuHas(2)).isTrue();
        Verification v = check.result(2000, List.of(), null);
        assertThat(v.problems()).isEmpty();
        assertThat(v.heartbeats()).isEqualTo(2);

        HeartbeatCheck failing = new HeartbeatCheck(Map.of("lx/linux", 6L));
        failing.accept(console("LINUXHB seq=2 uptime=3.00"));
        failing.accept(console("memcheck FAIL seq=2"));
        failing.accept(console("LINUXHB seq=4 uptime=2.50"));
        Verification bad = failing.result(2000, List.of(), null);
        assertThat(bad.memoryErrors()).isEqualTo(1);
        assertThat(bad.seqGaps()).as("seq 3 garbled on the shared console: not judged").isZero();
        assertThat(bad.tscBackwards()).isEqualTo(1);
        assertThat(bad.problems()).anyMatch(p -> p.contains("lx/linux restarted its heartbeats at seq 2 after 6"));
    }

    @Test
    void aLinuxGuestsFailedDiskOrNetworkCheckIsAnError() {
        HeartbeatCheck check = new HeartbeatCheck(Map.of("lx/linux", 6L));
        check.accept(console("LINUXHB seq=7 uptime=37.02"));
        check.accept(console("diskcheck ok seq=7"));
        check.accept(console("netcheck ok seq=7"));
        check.accept(console("LINUXHB seq=8 uptime=38.05"));
        assertThat(check.result(2000, List.of(), null).problems()).isEmpty();

        HeartbeatCheck failing = new HeartbeatCheck(Map.of("lx/linux", 6L));
        failing.accept(console("LINUXHB seq=7 uptime=37.02"));
        failing.accept(console("diskcheck FAIL seq=7"));
        failing.accept(console("netcheck FAIL seq=7"));
        failing.accept(console("LINUXHB seq=8 uptime=43.05"));
        Verification bad = failing.result(2000, List.of(), null);
        assertThat(bad.memoryErrors()).isEqualTo(2);
        assertThat(bad.ok()).isFalse();
    }

    @Test
    void silenceAndStoppedTicksFail() {
        assertThat(new HeartbeatCheck(Map.of()).result(2000, List.of(), null).problems()).containsExactly(
                "no heartbeat arrived in 2000 ms");
        HeartbeatCheck check = new HeartbeatCheck(Map.of());
        check.accept(hb(0, 1, 1, 7, 0));
        check.accept(hb(0, 2, 2, 7, 0));
        assertThat(check.result(1000, List.of(), null).ticksAdvancing()).isFalse();
    }
}
