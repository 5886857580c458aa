package dev.hyperfresh.shell;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.hyperfresh.shell.HyperfreshProcess.Result;
import dev.hyperfresh.testkit.RequiresKvm;
import java.io.IOException;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * bin/hyperfresh on real hfvisor processes and KVM, as a script would use it: launch, replace one-shot with
 * --json (a standby killed while it starts, one that dies while restoring, then one that works), stop. Exit codes
 * and the one JSON object per command are checked, failures included, timings are not (the nested KVM is
 * emulated). Few steps: every JVM start takes minutes in the nested KVM; the other steps are covered on the host
 * against a stub.
 */
@RequiresKvm
// three JVMs start per replace, minutes apiece on an emulated CPU; the guest has one vCPU so that its busy loop
// leaves them half of it
@Timeout(value = 40, unit = TimeUnit.MINUTES)
class ShellOnKvmTest {
    // a JVM start takes about a minute on the nested KVM's one emulated CPU, and a replace starts two of them
    private static final Duration SLOW = Duration.ofMinutes(10);
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Path HFVISOR = HyperfreshProcess.ROOT.resolve("bin/hfvisor");

    @TempDir
    Path dir;

    private Result run(String... args) throws Exception {
        return run(Map.of(), args);
    }

    private Result run(Map<String, String> env, String... args) throws Exception {
        Result r = HyperfreshProcess.run(dir, SLOW, env, args);
        System.out.println("$ hyperfresh " + String.join(" ", args) + "  -> exit " + r.exitCode() + "\n" + r.out()
                + r.err());
        return r;
    }

    /** The one JSON object a --json run prints, failures included: one line on stdout, nothing else there. */
    private static JsonNode oneObject(Result r) throws Exception {
        assertThat(r.out().lines().toList()).as(r.out() + r.err()).hasSize(1);
        JsonNode object = JSON.readTree(r.out());
        assertThat(object.isObject()).isTrue();
        return object;
    }

    private Path launcher(String name, String body) throws Exception {
        Path p = dir.resolve(name);
        Files.writeString(p, "#!/bin/sh\n" + body + "\n");
        Files.setPosixFilePermissions(p, PosixFilePermissions.fromString("rwx------"));
        return p;
    }

    private static boolean answers(Path socket) {
        try (SocketChannel ignored = SocketChannel.open(UnixDomainSocketAddress.of(socket))) {
            return true;
        } catch (IOException stale) {
            return false;
        }
    }

    /** The README's main job as bin/demo runs it: the tour's every step on a real hfvisor, summed up in JSON. */
    @Test
    void theTourReplacesTheHypervisorUnderItsRunningGuestAndCleansUp() throws Exception {
        Result tour = run("demo", "--json", "--name", "tour", "--cpus", "1", "--mem", "64M");
        assertThat(tour.exitCode()).as(tour.err()).isZero();
        JsonNode summary = oneObject(tour);
        assertThat(summary.path("verified").asBoolean()).as(summary.toString()).isTrue();
        assertThat(summary.path("blackout_us").asLong()).isPositive();
        assertThat(summary.path("memory_bytes").asLong()).isEqualTo(64L << 20);
        assertThat(summary.path("bytes_copied").asLong()).as("the guest's memory stayed where it was").isZero();
        assertThat(summary.path("state_bytes").asLong()).isPositive().isLessThan(64L << 10);
        assertThat(summary.path("phases_us").has("resume")).as(summary.toString()).isTrue();
        assertThat(summary.path("guest_gap_us").isIntegralNumber()).as(summary.toString()).isTrue();
        assertThat(summary.path("kept").asBoolean()).isFalse();
        assertThat(dir.resolve("tour.sock")).as("the tour's instance stopped").doesNotExist();
    }

    @Test
    void launchReplaceAndStop() throws Exception {
        // The first instance dies right after it offers its VMs at its first cutover (hfvisor --fault after-offer):
        // the standby takes them over, and the cutover's reply is lost.
        Path diesAfterOffer = launcher("dies-after-offer", "exec " + HFVISOR + " --fault after-offer \"$@\"");
        Result launched = run(Map.of("HYPERFRESH_HFVISOR", diesAfterOffer.toString()), "launch", "--name", "kvm",
                "--mem", "64M", "--cpus", "1", "--json");
        assertThat(launched.exitCode()).isZero();
        JsonNode instance = JSON.readTree(launched.out());
        assertThat(instance.path("role").asText()).isEqualTo("active");
        assertThat(instance.path("kvm").asText()).as("the KVM backend, end to end").isIn("VMX", "SVM", "PVM");
        long firstPid = instance.path("pid").asLong();
        try {
            // A batch prints one object per line, the failing line's too, and exits with that line's code.
            Path batch = Files.writeString(dir.resolve("batch.hf"), "list --json\ninfo nosuch --json\nlist\n");
            Result script = run("--script", batch.toString());
            assertThat(script.exitCode()).as(script.err()).isEqualTo(3);
            assertThat(script.out().lines().toList()).hasSize(2);
            JsonNode listed = JSON.readTree(script.out().lines().toList().get(0));
            assertThat(listed.path("outcome").asText()).isEqualTo("ok");
            assertThat(listed.path("instances").get(0).path("pid").asLong()).isEqualTo(firstPid);
            JsonNode unknown = JSON.readTree(script.out().lines().toList().get(1));
            assertThat(unknown.path("outcome").asText()).isEqualTo("refused");
            assertThat(unknown.path("reason").asText()).contains("no instance named nosuch");
            assertThat(unknown.get("vms_on").isNull()).isTrue();
            assertThat(script.err()).contains("batch.hf:2: stopped at `info nosuch --json`");

            // A standby killed while it starts: nothing happened, the VMs run on the old instance, and it says so.
            Path killed = launcher("killed-while-starting", "kill -9 $$");
            Result refused = run("replace", "kvm", "--with", killed.toString(), "--json");
            assertThat(refused.exitCode()).as(refused.err()).isEqualTo(3);
            JsonNode nothing = oneObject(refused);
            assertThat(nothing.path("outcome").asText()).isEqualTo("refused");
            assertThat(nothing.path("reason").asText()).contains("status 137").contains("nothing was changed");
            assertThat(nothing.path("vms_on").path("name").asText()).isEqualTo("kvm");
            assertThat(nothing.path("vms_on").path("pid").asLong()).isEqualTo(firstPid);

            // The old instance dies after offering: its reply is lost, the standby took the VMs and says so.
            Result lost = run("replace", "kvm", "--json");
            assertThat(lost.exitCode()).as(lost.err()).isEqualTo(5);
            JsonNode moved = oneObject(lost);
            assertThat(moved.path("outcome").asText()).isEqualTo("committed");
            assertThat(moved.path("reason").asText()).contains("reply was lost").contains("run `verify`");
            assertThat(moved.path("vms_on").path("name").asText()).isEqualTo("kvm");
            long movedPid = moved.path("vms_on").path("pid").asLong();
            assertThat(movedPid).isNotEqualTo(firstPid);

            // A standby that dies while restoring: the cutover rolls back, the VMs run on the old instance. The
            // history cannot be written meanwhile (a directory in its place): a warning, the outcome unchanged.
            Path dies = launcher("dies-while-restoring", "exec " + HFVISOR + " --fault during-restore \"$@\"");
            Path history = dir.resolve("history.jsonl");
            Path kept = Files.createDirectories(dir.resolve("kept"));
            if (Files.exists(history)) {
                Files.move(history, kept.resolve("history.jsonl"));
            }
            Files.createDirectory(history);
            Result rolledBack = run("replace", "kvm", "--with", dies.toString(), "--json");
            Files.delete(history);
            if (Files.exists(kept.resolve("history.jsonl"))) {
                Files.move(kept.resolve("history.jsonl"), history);
            }
            assertThat(rolledBack.exitCode()).as(rolledBack.err()).isEqualTo(4);
            JsonNode back = oneObject(rolledBack);
            assertThat(back.path("outcome").asText()).isEqualTo("rolled-back");
            assertThat(back.path("reason").asText()).startsWith("replacement rolled back: ");
            assertThat(back.path("vms_on").path("pid").asLong()).isEqualTo(movedPid);
            assertThat(back.path("after").path("pid").asLong()).as("the report still shows").isEqualTo(movedPid);
            assertThat(back.path("warnings").toString()).contains("not recorded in the replacement history")
                    .contains("Is a directory");

            Result replaced = run("replace", "kvm", "--json", "--seconds", "3");
            assertThat(replaced.exitCode()).as(replaced.err()).isZero();
            JsonNode r = oneObject(replaced);
            assertThat(r.path("outcome").asText()).isEqualTo("committed");
            assertThat(r.path("vms_on").path("pid").asLong()).isEqualTo(r.path("after").path("pid").asLong());
            assertThat(r.path("verified").asBoolean()).as(r.path("verification").toString()).isTrue();
            assertThat(r.path("blackout_us").asLong()).isPositive();
            assertThat(r.path("bytes_copied").asLong()).isZero();
            assertThat(r.path("phases_us").has("pause")).isTrue();
            assertThat(r.path("before").path("pid").asLong()).isEqualTo(movedPid);
            assertThat(r.path("after").path("pid").asLong()).isNotEqualTo(movedPid);
            assertThat(r.path("after").path("name").asText()).isEqualTo("kvm");
            // The guest's own view: the cutover window holds the pause (its TSC advanced by it), the control window
            // before it does not; both measured, per VM as well.
            JsonNode gaps = r.path("verification").path("guest_gaps");
            assertThat(gaps.size()).as(gaps.toString()).isEqualTo(1);
            assertThat(gaps.get(0).path("note").isNull()).as(gaps.toString()).isTrue();
            assertThat(r.path("guest_gap_us").isIntegralNumber()).as(r.toString()).isTrue();
            assertThat(r.path("control_gap_us").isIntegralNumber()).as(r.toString()).isTrue();
            assertThat(r.path("guest_gap_us").asLong()).isGreaterThanOrEqualTo(r.path("blackout_us").asLong() / 2);
            assertThat(r.path("control_gap_us").asLong()).isPositive();
            // and the guest's memory as it was: the pages it had touched, not all of its RAM
            JsonNode vm = oneObject(run("info", "kvm", "--json")).path("vms").get(0);
            assertThat(vm.path("resident_bytes").asLong()).as(vm.toString()).isPositive()
                    .isLessThan(vm.path("memory_bytes").asLong());

            // The host's upgrade: every instance not on the new build, one after another; run again, none is.
            Path next = launcher("next", "[ \"$1\" = --version ] && { echo 'hfvisor 9.9 (build next)'; exit 0; }\n"
                    + "exec " + HFVISOR + " \"$@\"");
            Result check = run("replace", "--all", "--check", "--with", next.toString(), "--json");
            assertThat(check.exitCode()).as(check.err()).isZero();
            JsonNode plan = oneObject(check);
            assertThat(plan.path("dry_run").asBoolean()).isTrue();
            assertThat(plan.path("instances").get(0).path("result").asText()).isEqualTo("would-replace");
            Result all = run("replace", "--all", "--with", next.toString(), "--seconds", "1", "--json");
            assertThat(all.exitCode()).as(all.err()).isZero();
            JsonNode upgrade = oneObject(all);
            assertThat(upgrade.path("outcome").asText()).isEqualTo("committed");
            assertThat(upgrade.path("build").path("build_id").asText()).isEqualTo("next");
            assertThat(upgrade.path("committed").asInt()).isOne();
            JsonNode kvm = upgrade.path("instances").get(0);
            assertThat(kvm.path("instance").asText()).isEqualTo("kvm");
            assertThat(kvm.path("result").asText()).isEqualTo("committed");
            assertThat(kvm.path("replace").path("verified").asBoolean()).as(kvm.toString()).isTrue();
            String runningBuild = kvm.path("replace").path("after").path("build_id").asText();
            Result none = run("replace", "--all", "--json");
            assertThat(none.exitCode()).as(none.err()).isZero();
            JsonNode skipped = oneObject(none);
            assertThat(skipped.path("outcome").asText()).isEqualTo("ok");
            assertThat(skipped.path("instances").get(0).path("why").asText())
                    .isEqualTo("it already runs build " + runningBuild);

            Result stopped = run("stop", "kvm");
            assertThat(stopped.exitCode()).as(stopped.err()).isZero();
            try (var left = Files.list(dir)) {
                // the standby killed by its fault point leaves its socket file, stale
                assertThat(left.filter(p -> p.getFileName().toString().endsWith(".sock"))
                        .filter(ShellOnKvmTest::answers)).as("no instance or standby left behind").isEmpty();
            }
        } finally {
            if (Files.exists(dir.resolve("kvm.sock"))) {
                run("stop", "kvm");
            }
        }
    }
}
