package dev.hyperfresh.shell;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.hyperfresh.shell.HyperfreshProcess.Result;
import dev.hyperfresh.testkit.RequiresKvm;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * bin/hyperfresh on real hfvisor processes and KVM, as a script would use it: launch, replace one-shot with
 * --json, stop. Exit codes and JSON are checked, timings are not (the nested KVM is emulated). Few steps: every
 * JVM start takes minutes in the nested KVM; the other steps are covered on the host against a stub.
 */
@RequiresKvm
// three JVMs start per replace, minutes apiece on an emulated CPU; the guest has one vCPU so that its busy loop
// leaves them half of it
@Timeout(value = 40, unit = TimeUnit.MINUTES)
class ShellOnKvmTest {
    // a JVM start takes about a minute on the nested KVM's one emulated CPU, and a replace starts two of them
    private static final Duration SLOW = Duration.ofMinutes(10);
    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path dir;

    private Result run(String... args) throws Exception {
        Result r = HyperfreshProcess.run(dir, SLOW, args);
        System.out.println("$ hyperfresh " + String.join(" ", args) + "  -> exit " + r.exitCode() + "\n" + r.out()
                + r.err());
        return r;
    }

    @Test
    void launchReplaceAndStop() throws Exception {
        Result launched = run("launch", "--name", "kvm", "--mem", "64M", "--cpus", "1", "--json");
        assertThat(launched.exitCode()).isZero();
        JsonNode instance = JSON.readTree(launched.out());
        assertThat(instance.path("role").asText()).isEqualTo("active");
        assertThat(instance.path("kvm").asText()).as("the KVM backend, end to end").isIn("VMX", "SVM", "PVM");
        long firstPid = instance.path("pid").asLong();
        try {
            Result replaced = run("replace", "kvm", "--json", "--seconds", "3");
            assertThat(replaced.exitCode()).as(replaced.err()).isZero();
            JsonNode r = JSON.readTree(replaced.out());
            assertThat(r.path("outcome").asText()).isEqualTo("committed");
            assertThat(r.path("verified").asBoolean()).as(r.path("verification").toString()).isTrue();
            assertThat(r.path("blackout_us").asLong()).isPositive();
            assertThat(r.path("bytes_copied").asLong()).isZero();
            assertThat(r.path("phases_us").has("pause")).isTrue();
            assertThat(r.path("before").path("pid").asLong()).isEqualTo(firstPid);
            assertThat(r.path("after").path("pid").asLong()).isNotEqualTo(firstPid);
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

            Result stopped = run("stop", "kvm");
            assertThat(stopped.exitCode()).as(stopped.err()).isZero();
            try (var left = Files.list(dir)) {
                assertThat(left.map(p -> p.getFileName().toString()).filter(n -> n.endsWith(".sock")))
                        .as("no instance or standby left behind").isEmpty();
            }
        } finally {
            if (Files.exists(dir.resolve("kvm.sock"))) {
                run("stop", "kvm");
            }
        }
    }
}
