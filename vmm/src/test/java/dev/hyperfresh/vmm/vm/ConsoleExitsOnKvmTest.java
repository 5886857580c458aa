package dev.hyperfresh.vmm.vm;

import static org.assertj.core.api.Assertions.assertThat;

import dev.hyperfresh.kvm.Kvm;
import dev.hyperfresh.testkit.RequiresKvm;
import dev.hyperfresh.vmm.boot.MultibootLoader;
import dev.hyperfresh.vmm.devices.DebugConsole;
import dev.hyperfresh.vmm.heartbeat.GuestLine;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Measures what hfguest's console costs in exits per heartbeat: with the byte-wise console on 0xe9 (cmdline
 * {@code linecon=0}) and with hfguest's default, which uses the line console on 0xeb where hfvisor offers it. Exit
 * counts do not depend on the host's speed, so the nested KVM measures them as a PVM host would (except that a
 * KVM may take a {@code rep outsb} in fewer exits than bytes: the figures say how many bytes each 0xe9 exit took).
 * Prints one line per console; checks only what must hold whatever the figures are.
 */
@RequiresKvm
class ConsoleExitsOnKvmTest {
    private static final int WARM_UP = 5, WINDOW = 20;
    private static final Duration PATIENCE = Duration.ofMinutes(3);
    /**
     * How long no console line must come once the VM is paused: a line the publisher had not handed on at the pause
     * was counted in the window (13 line exits for 20 heartbeats, CI 2026-12-07).
     */
    private static final Duration QUIET = Duration.ofMillis(300);

    @Test
    void exitsPerHeartbeatWithTheByteConsoleAndWithTheLineConsole() throws Exception {
        Window bytewise = measure("linecon=0");
        Window preferred = measure("");
        System.out.println(bytewise.describe("byte console (linecon=0)"));
        System.out.println(preferred.describe("hfguest's default console"));

        assertThat(bytewise.lineExits).as("linecon=0 keeps hfguest off port 0xeb").isZero();
        assertThat(bytewise.byteExits).as("every console byte reaches 0xe9").isPositive();
        if (preferred.lineExits > 0) {
            assertThat(preferred.byteExits).as("a guest on the line console writes no console bytes").isZero();
            assertThat(preferred.lineExits).as("at least one record per heartbeat").isGreaterThanOrEqualTo(WINDOW);
        }
    }

    private static Window measure(String console) throws Exception {
        GuestWatch watch = new GuestWatch();
        String cmdline = "cpus=1 mem_pct=5 " + console;
        try (Kvm kvm = Kvm.open(); VirtualMachine vm = VirtualMachine.create(kvm, new VmConfig("exits", 64 << 20, 1,
                false, new MultibootLoader(MultibootLoader.embeddedGuest(), cmdline), VmConfig.HFGUEST))) {
            vm.onGuestLine(watch);
            vm.start();
            watch.awaitHeartbeats(1, WARM_UP, PATIENCE);
            // the window runs from one heartbeat to the WINDOW-th after it, so it holds exactly WINDOW heartbeats
            vm.pause();
            watch.awaitQuiet(QUIET);   // the lines written before the pause, published: not the window's
            ExitCounts c = vm.exitCounts();
            long total = c.total(), io = c.ofPort(DebugConsole.PORT), line = c.ofPort(DebugConsole.LINE_PORT);
            int firstLine = watch.lines().size();
            vm.resume();
            watch.awaitHeartbeats(1, WINDOW, PATIENCE);
            vm.pause();
            watch.awaitQuiet(QUIET);
            watch.assertHealthy(1);
            List<GuestLine> lines = watch.lines();
            long consoleBytes = lines.subList(firstLine, lines.size()).stream()
                    .mapToLong(l -> l.text().length() + 1).sum();
            int heartbeats = (int) lines.subList(firstLine, lines.size()).stream()
                    .filter(l -> l.is(GuestLine.HEARTBEAT)).count();
            return new Window(heartbeats, c.total() - total, c.ofPort(DebugConsole.PORT) - io,
                    c.ofPort(DebugConsole.LINE_PORT) - line, consoleBytes);
        }
    }

    private record Window(int heartbeats, long exits, long byteExits, long lineExits, long consoleBytes) {
        String describe(String what) {
            return String.format("EXITS-PER-HEARTBEAT %s: %d heartbeats, %.1f exits/heartbeat (0xe9: %.1f, 0xeb: %.1f,"
                    + " other: %.1f), %.1f console bytes/heartbeat, %.2f bytes per 0xe9 exit", what, heartbeats,
                    per(exits), per(byteExits), per(lineExits), per(exits - byteExits - lineExits),
                    per(consoleBytes), byteExits == 0 ? 0.0 : (double) consoleBytes / byteExits);
        }

        private double per(long n) {
            return (double) n / heartbeats;
        }
    }
}
