package dev.hyperfresh.engine;


import dev.hyperfresh.progress.ProgressListener;
import dev.hyperfresh.testkit.NotOnPvm;
import dev.hyperfresh.testkit.Prerequisite;
import dev.hyperfresh.testkit.RequiresKvm;
import dev.hyperfresh.vmm.boot.linux.LinuxGuestBuild;
import dev.hyperfresh.vmm.control.Event;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * A Linux guest (Debian's kernel with guests/linux's init, 2 vCPUs) replaced live between two hfvisor processes by
 * the engine, as `hyperfresh replace` does but without the shell's JVM starts (minutes each on the nested KVM's
 * emulated CPU), and judged by the guest's console: verify sees its heartbeats carry on from the new instance,
 * none repeated, uptime advancing, memory check ok. COM1, i8042, CMOS and COM1's unfinished line move with it.
 */
@RequiresKvm
@NotOnPvm
@Timeout(value = 20, unit = TimeUnit.MINUTES) // two hfvisor starts and a Linux boot on an emulated CPU
class LinuxReplaceOnKvmTest {
    private static final Path HFVISOR = Path.of("..", "bin", "hfvisor").toAbsolutePath().normalize();

    @TempDir
    Path dir;

    @Test
    void aLinuxVmIsReplacedAndVerifiedByItsConsoleHeartbeats() throws Exception {
        Prerequisite.require(LinuxGuestBuild.standard().missing()); // .ci/run builds it
        HfvisorEngine engine = new HfvisorEngine(new EngineConfig(dir, HFVISOR, Duration.ofMinutes(10)));
        engine.launch(new LaunchRequest("lx", List.of("name=lx,mem=256M,cpus=2,guest=linux")), ProgressListener.NONE);
        try {
            CountDownLatch booted = new CountDownLatch(1);
            try (AutoCloseable events = engine.follow("lx", e -> {
                if (Event.CONSOLE.equals(e.kind()) && e.fields().path("text").asText().contains("LINUXHB")) {
                    booted.countDown();
                }
            })) {
                assertThat(booted.await(10, TimeUnit.MINUTES)).as("Linux reached its heartbeats; log: %s",
                        Files.readString(dir.resolve("lx.log"))).isTrue();
            }
            ReplaceReport report = engine.replacement("lx").replace(HFVISOR, Duration.ofSeconds(3),
                    ProgressListener.NONE);
            System.out.println("linux replaced by the engine: " + report);
            assertThat(report.outcome()).as(report.reason()).isEqualTo("committed");
            Verification v = report.verification();
            assertThat(v.problems()).isEmpty();
            assertThat(v.heartbeats()).isGreaterThanOrEqualTo(2);
            assertThat(v.cpus()).as("one console sequence for the VM").isEqualTo(1);
            assertThat(v.guestGaps()).singleElement().satisfies(g -> {
                assertThat(g.guestGapUs()).as("LINUXHB lines have no TSC stamp to measure with").isNull();
                assertThat(g.note()).contains("no TSC stamp");
            });
            assertThat(report.after().pid()).isNotEqualTo(report.before().pid());
            // reaped by this JVM (it launched the old instance) just after the engine saw it exit: a zombie until then
            for (int waited = 0; waited < 100 && ProcessHandle.of(report.before().pid()).isPresent(); waited++) {
                Thread.sleep(100);
            }
            assertThat(ProcessHandle.of(report.before().pid())).as("old instance gone").isEmpty();
            Instance now = engine.instance("lx");
            assertThat(now.info().pid()).as("the socket leads to the new instance").isEqualTo(report.after().pid());
            assertThat(now.info().vms()).singleElement().satisfies(vm -> assertThat(vm.state()).isEqualTo("running"));
        } finally {
            engine.stop("lx", null);
        }
    }
}
