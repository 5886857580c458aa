package dev.hyperfresh.engine;


import dev.hyperfresh.progress.ProgressListener;
import dev.hyperfresh.testkit.HostCommand;
import dev.hyperfresh.testkit.NotOnPvm;
import dev.hyperfresh.testkit.Prerequisite;
import dev.hyperfresh.testkit.RequiresKvm;
import dev.hyperfresh.vmm.boot.linux.LinuxGuestBuild;
import dev.hyperfresh.vmm.control.Event;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.function.Predicate;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * A Linux guest (Debian's kernel with guests/linux's init, 2 vCPUs, a disk) replaced live between two hfvisor
 * processes by the engine, as `hyperfresh replace` does but without the shell's JVM starts (minutes each on the
 * nested KVM's emulated CPU), and judged by the guest's console: verify sees its heartbeats carry on from the new
 * instance, none repeated, uptime advancing, memory check ok. COM1, i8042, CMOS and COM1's unfinished line move
 * with it, and so do its two disks: Linux's own virtio_blk reads the label the test wrote into each image, then
 * writes, flushes and reads back a block of the first every second, on both instances, and the blocks it wrote are in
 * the image file; the second is read-only. And its network interface, on a host tap: Linux's virtio_net pings the
 * host every second from both instances (guests/linux's netcheck), and the host pings it on the new one.
 */
@RequiresKvm
@NotOnPvm
@Timeout(value = 20, unit = TimeUnit.MINUTES) // two hfvisor starts and a Linux boot on an emulated CPU
class LinuxReplaceOnKvmTest {
    private static final Path HFVISOR = Path.of("..", "bin", "hfvisor").toAbsolutePath().normalize();
    private static final String HOST = "10.0.77.1", GUEST = "10.0.77.2", MAC = "52:54:00:77:00:02";

    @TempDir
    Path dir;

    @Test
    void aLinuxVmIsReplacedAndVerifiedByItsConsoleHeartbeats() throws Exception {
        Prerequisite.require(LinuxGuestBuild.standard().missing()); // .ci/run builds it
        String label = "HFDISK lx-" + ProcessHandle.current().pid();
        Path image = labelled(dir.resolve("lx.img"), label, 8 << 20);
        Path base = labelled(dir.resolve("base.img"), "HFDISK base", 1 << 20);
        String tap = "hflx" + ProcessHandle.current().pid() % 100000;
        HostCommand.ip("tuntap", "add", tap, "mode", "tap");   // the operator's tap, addressed before the VM uses it
        HostCommand.ip("addr", "add", HOST + "/24", "dev", tap);
        HostCommand.ip("link", "set", tap, "up");
        HfvisorEngine engine = new HfvisorEngine(new EngineConfig(dir, HFVISOR, Duration.ofMinutes(10)));
        engine.launch(new LaunchRequest("lx", List.of("name=lx,mem=256M,cpus=2,guest=linux,disk=" + image
                + ",disk-ro=" + base + ",net=" + tap + "/" + MAC + ",cmdline=" + LinuxGuestBuild.CMDLINE_WITH_PCI
                + " hfnet=" + GUEST + "/24@" + HOST)), ProgressListener.NONE);
        List<String> console = new CopyOnWriteArrayList<>();
        Consumer<Event> keep = e -> {
            if (Event.CONSOLE.equals(e.kind())) {
                console.add(e.fields().path("text").asText());
            }
        };
        try {
            try (AutoCloseable events = engine.follow("lx", keep)) {
                await(console, c -> last(c, "netcheck ok") >= 0, Duration.ofMinutes(10), dir);
            }
            assertThat(console).as("Linux read each disk's label").anyMatch(l ->
                    l.contains("LINUXDISK dev=vda size_kb=8192 label=" + label)).anyMatch(l ->
                    l.contains("LINUXDISK dev=vdb size_kb=1024 label=HFDISK base"));
            assertThat(console).as("Linux found its NIC").anyMatch(l ->
                    l.contains("LINUXNET dev=eth0 mac=" + MAC + " addr=" + GUEST + "/24 peer=" + HOST));
            long before = last(console, "diskcheck ok");
            long netBefore = last(console, "netcheck ok");
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

            try (AutoCloseable events = engine.follow("lx", keep)) {   // the new instance's console
                await(console, c -> last(c, "diskcheck ok") >= before + 3
                        && last(c, "netcheck ok") >= netBefore + 3, Duration.ofMinutes(3), dir);
            }
            assertThat(console).as("no block read back wrong").noneMatch(l -> l.contains("diskcheck FAIL"));
            assertThat(console).as("the host always answered").noneMatch(l -> l.contains("netcheck FAIL"));
            HostCommand.run("ping", "-c", "3", "-W", "5", GUEST);
            long last = last(console, "diskcheck ok");
            byte[] written = Files.readAllBytes(image);
            String block = new String(written, (int) (256 + last % 256) * 4096, 64, StandardCharsets.US_ASCII);
            assertThat(block).as("the new instance's write is in the image").startsWith("LINUXDISKHB seq=" + last + "\n");
            assertThat(new String(written, 0, label.length(), StandardCharsets.US_ASCII)).isEqualTo(label);
        } finally {
            try {
                engine.stop("lx", null);
            } finally {
                HostCommand.ip("link", "del", tap);
            }
        }
    }

    /** An image of {@code bytes} zeros but for {@code label} and a newline at its start. */
    private static Path labelled(Path image, String label, int bytes) throws IOException {
        byte[] content = new byte[bytes];
        byte[] line = (label + "\n").getBytes(StandardCharsets.US_ASCII);
        System.arraycopy(line, 0, content, 0, line.length);
        return Files.write(image, content);
    }

    /** The highest sequence number of a {@code CHECK seq=N} line so far, -1 before the first. */
    private static long last(List<String> console, String check) {
        String prefix = check + " seq=";
        return console.stream().map(String::trim).filter(l -> l.startsWith(prefix))
                .mapToLong(l -> Long.parseLong(l.substring(prefix.length()))).max().orElse(-1);
    }

    private static void await(List<String> console, Predicate<List<String>> done, Duration limit, Path dir)
            throws Exception {
        long end = System.nanoTime() + limit.toNanos();
        while (!done.test(console)) {
            assertThat(System.nanoTime() < end).as("the guest got there in %s; log: %s", limit,
                    Files.readString(dir.resolve("lx.log"))).isTrue();
            Thread.sleep(200);
        }
    }
}
