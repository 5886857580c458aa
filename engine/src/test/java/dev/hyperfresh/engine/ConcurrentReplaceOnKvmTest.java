package dev.hyperfresh.engine;

import dev.hyperfresh.progress.ProgressListener;
import static dev.hyperfresh.engine.RealInstances.INSTANCE;
import static org.assertj.core.api.Assertions.assertThat;

import dev.hyperfresh.testkit.RequiresKvm;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Replacements that race, end to end with real hfvisor and console processes: two consoles replacing one instance
 * at once, and a launcher that is a wrapper script (hfvisor its child, not exec'd) whose replacement rolls back.
 * Whatever the interleaving, the VM runs on exactly one instance, heartbeats intact, and nothing either console
 * started is left.
 */
@RequiresKvm
@Timeout(value = 20, unit = TimeUnit.MINUTES)
class ConcurrentReplaceOnKvmTest {
    private static final int ROUNDS = Integer.getInteger("hyperfresh.race-rounds", 3);

    private static final String WEB = RealInstances.vmName("web");

    @TempDir
    Path root;

    /**
     * Two `replace` consoles started together: exactly one commits (its verify sees every heartbeat across its
     * cutover) or both are refused; the loser drops only its own standby — per-name locks keep their standbys
     * apart, and a remap goes only to the process its standby was started for.
     */
    @Test
    void twoConsolesReplacingOneInstanceAtOnceLeaveItOnExactlyOneProcess() throws Exception {
        Path dir = RealInstances.directory(root, "race");
        Path hfv = RealInstances.launcher(dir, "hfv", null);
        HfvisorEngine engine = new HfvisorEngine(new EngineConfig(dir, hfv, Duration.ofSeconds(60)));
        engine.launch(new LaunchRequest(INSTANCE, List.of(RealInstances.spec(WEB))), ProgressListener.NONE);
        try {
            RealInstances.awaitHeartbeats(engine, WEB, 2);
            for (int round = 1; round <= ROUNDS; round++) {
                long before = engine.instance(INSTANCE).info().pid();
                Process a = RealInstances.console(dir, hfv, 60_000, null, 0);
                Process b = RealInstances.console(dir, hfv, 60_000, null, 0);
                String saidA = outcome(a);
                String saidB = outcome(b);
                System.out.printf("round %d: console A: %s%nround %d: console B: %s%n", round, saidA, round, saidB);
                List<String> said = List.of(saidA, saidB);
                long committed = said.stream().filter(s -> s.startsWith("REPORT committed")).count();
                assertThat(committed).as("round %d: %s", round, said).isLessThanOrEqualTo(1);
                assertThat(said).as("round %d: the commit is verified, the other refused cleanly", round)
                        .allMatch(s -> s.startsWith("REPORT committed") && s.endsWith("verified=true")
                                || s.startsWith("ERROR PRECONDITION") || s.startsWith("ERROR ROLLED_BACK")
                                || s.startsWith("REPORT rolled-back"));
                List<CaseProcesses.Proc> left = CaseProcesses.of(dir.toString());
                assertThat(left).as("round %d: exactly one hypervisor, no console", round).hasSize(1)
                        .allMatch(CaseProcesses.Proc::hfvisor);
                long now = engine.instance(INSTANCE).info().pid();
                assertThat(now).isEqualTo(left.get(0).pid());
                assertThat(now != before).as("round %d: replaced iff one committed", round).isEqualTo(committed == 1);
                assertThat(engine.instance(INSTANCE).info().state()).isEqualTo("running");
                RealInstances.awaitHeartbeats(engine, WEB, 2);
                RealInstances.assertNothingLeaks(dir, WEB, now);
            }
        } finally {
            engine.stop(INSTANCE, null);
            RealInstances.killLeftovers(dir);
        }
    }

    /**
     * `replace --with` a wrapper script that starts hfvisor as its child and lingers after it: when the replacement
     * rolls back — the standby refusing the VMs, or hanging as it starts — nothing the wrapper started is left, the
     * standby's process group going with it.
     */
    @Test
    void aWrapperLaunchersChildrenGoWithItsRolledBackReplacement() throws Exception {
        Path dir = RealInstances.directory(root, "wrap");
        Path hfv = RealInstances.launcher(dir, "hfv", null);
        HfvisorEngine engine = new HfvisorEngine(new EngineConfig(dir, hfv, Duration.ofSeconds(60)));
        engine.launch(new LaunchRequest(INSTANCE, List.of(RealInstances.spec(WEB))), ProgressListener.NONE);
        try {
            RealInstances.awaitHeartbeats(engine, WEB, 2);
            long old = engine.instance(INSTANCE).info().pid();
            for (String fault : List.of("old-state-reader", "stall-standby-start")) {
                Path group = dir.resolve(fault + ".pgid");
                // The wrapper records its process group (setsid made it the leader), runs hfvisor as a child, then
                // lingers as a wrapper doing its own clean-up might.
                Path wrapper = RealInstances.script(dir, "wrap-" + fault, "echo $$ > " + group + "\n"
                        + RealInstances.hfvisorCommand(fault) + " \"$@\"\nsleep 600");
                Process console = RealInstances.console(dir, wrapper, 20_000, null, 0);
                String said = outcome(console);
                System.out.printf("wrapper, %s: %s%n", fault, said);
                assertThat(said).as(fault).matches("ERROR (PRECONDITION|ROLLED_BACK) .*");
                long pgid = Long.parseLong(Files.readString(group).trim());
                assertThat(CaseProcesses.inGroup(pgid)).as("%s: what the wrapper started", fault).isEmpty();
                assertThat(engine.instance(INSTANCE).info().pid()).isEqualTo(old);
                RealInstances.awaitHeartbeats(engine, WEB, 2);
                RealInstances.assertNothingLeaks(dir, WEB, old);
            }
        } finally {
            engine.stop(INSTANCE, null);
            RealInstances.killLeftovers(dir);
            for (String pgid : RealInstances.list(dir, ".pgid")) {
                RealInstances.signal(-Long.parseLong(Files.readString(dir.resolve(pgid)).trim()), "KILL");
            }
        }
    }

    private static String outcome(Process console) throws Exception {
        assertThat(console.waitFor(RealInstances.PATIENCE.toSeconds(), TimeUnit.SECONDS)).isTrue();
        String out = new String(console.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        return out.lines().filter(l -> l.startsWith("REPORT") || l.startsWith("ERROR")).findFirst()
                .orElse("(no outcome: " + out + ")");
    }
}
