package dev.hyperfresh.vmm.handover;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.hyperfresh.testkit.Prerequisite;
import dev.hyperfresh.testkit.RequiresKvm;
import dev.hyperfresh.vmm.boot.linux.LinuxGuestBuild;
import dev.hyperfresh.vmm.control.ControlClient;
import dev.hyperfresh.vmm.control.InstanceInfo;
import dev.hyperfresh.vmm.control.Json;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * A Linux guest (Debian's kernel with guests/linux's busybox init) replaced live between two hfvisor processes,
 * judged by its own console: heartbeats carry on from the new instance with none repeated, its memory check stays
 * ok and its uptime never goes back. COM1, i8042 and CMOS move with the VM.
 */
@RequiresKvm
@Timeout(value = 20, unit = TimeUnit.MINUTES) // two JVM starts and a Linux boot on an emulated CPU
class LinuxHandoverOnKvmTest {
    private static final Duration PATIENCE = Duration.ofMinutes(4);

    @TempDir
    Path dir;

    @Test
    void linuxGuestRunsOnAfterItsHypervisorIsReplaced() throws Exception {
        Prerequisite.require(LinuxGuestBuild.standard().missing()); // .ci/run builds it
        LinuxConsoleTrail console = new LinuxConsoleTrail("lx");
        try (HfvisorProcess old = HfvisorProcess.start(dir, "lx", "--vm",
                "name=lx,mem=256M,cpus=2,guest=linux,console=none");
             ControlClient oldEvents = ControlClient.connect(old.socket())) {
            oldEvents.subscribe(console);
            console.awaitHeartbeats(2, PATIENCE);
            try (HfvisorProcess next = HfvisorProcess.start(dir, "lx-next", "--standby");
                 ControlClient newEvents = ControlClient.connect(next.socket())) {
                newEvents.subscribe(console);
                JsonNode prepared = request(old.socket(), Json.object().put("op", "handover-prepare")
                        .put("target", next.socket().toString())).get("prepare");
                assertThat(prepared.path("bytesCopied").asLong()).isZero();
                long before = console.lastSeq();
                JsonNode cut = request(old.socket(), Json.object().put("op", "handover-cutover")).get("cutover");
                assertThat(cut.path("outcome").asText()).as(cut.toString()).isEqualTo("committed");
                System.out.printf("linux replaced: blackout %d us, phases %s, state %d bytes%n",
                        cut.path("blackoutUs").asLong(), cut.path("phasesUs"), cut.path("stateBytes").asLong());
                assertThat(old.awaitExit(PATIENCE)).as("old instance exits after the commit").isTrue();
                try (ControlClient c = ControlClient.connect(old.socket())) {
                    InstanceInfo now = c.info();
                    assertThat(now.pid()).as("the socket now leads to the new instance").isEqualTo(next.pid());
                    assertThat(now.vms()).singleElement().satisfies(v -> assertThat(v.state()).isEqualTo("running"));
                }
                console.awaitSeq(before + 3, PATIENCE);
                console.assertIntact();
            }
        }
    }

    private static JsonNode request(Path socket, ObjectNode header) {
        try (ControlClient c = ControlClient.connect(socket)) {
            return c.request(header).header();
        }
    }
}
