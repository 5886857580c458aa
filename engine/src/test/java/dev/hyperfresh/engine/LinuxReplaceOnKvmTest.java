package dev.hyperfresh.engine;


import dev.hyperfresh.progress.ProgressListener;
import dev.hyperfresh.testkit.HostCommand;
import dev.hyperfresh.testkit.NotOnPvm;
import dev.hyperfresh.testkit.Prerequisite;
import dev.hyperfresh.testkit.RequiresKvm;
import dev.hyperfresh.vmm.boot.linux.LinuxGuestBuild;
import dev.hyperfresh.vmm.control.ControlClient;
import dev.hyperfresh.vmm.control.Event;
import dev.hyperfresh.vmm.control.InstanceInfo;
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
 * A Linux guest (Debian's kernel with guests/linux's init) replaced live between two hfvisor processes by the engine,
 * as `hyperfresh replace` does but without the shell's JVM starts (minutes each on the nested KVM's emulated CPU),
 * and judged by the guest's console: verify sees its heartbeats carry on from the new instance, none repeated,
 * uptime advancing, memory check ok. COM1, i8042, CMOS and COM1's unfinished line move with it. The 2-vCPU guest has
 * two disks: Linux's own virtio_blk reads the label the test wrote into each image, then writes, flushes and reads
 * back a block of the first every second, on both instances, and the blocks it wrote are in the image file; the
 * second is read-only; on the new instance the operator's `shutdown` presses its ACPI power button, which the guest
 * enabled on the old one, and Linux powers off (ACPI's S5), ending the instance. The 1-vCPU guest has a network interface on the operator's tap: Linux's virtio_net pings the
 * host every second from both instances (guests/linux's netcheck), and the host pings it on the new one. (One vCPU
 * there: two of four runs of a 2-vCPU guest with a NIC froze the emulator under the nested KVM, its CPU left in the
 * guest for 150 s, the known emulator hang of tools/nested-kvm/README.md.) Then the operator resets it on the new
 * instance: Linux boots again there (what it boots moved with it), finds its NIC reset and reaches the host again;
 * last the host ends that instance (SIGTERM), which first asks the guest to shut down by its power button.
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
    void aLinuxVmWithDisksIsReplacedAndVerifiedByItsConsoleHeartbeats() throws Exception {
        String label = "HFDISK lx-" + ProcessHandle.current().pid();
        Path image = labelled(dir.resolve("lx.img"), label, 8 << 20);
        Path base = labelled(dir.resolve("base.img"), "HFDISK base", 1 << 20);
        List<String> console = replaced("lx", "cpus=2,disk=" + image + ",disk-ro=" + base, "diskcheck ok",
                before -> {
                    assertThat(before).as("Linux read each disk's label").anyMatch(l ->
                            l.contains("LINUXDISK dev=vda size_kb=8192 label=" + label)).anyMatch(l ->
                            l.contains("LINUXDISK dev=vdb size_kb=1024 label=HFDISK base"));
                }, (engine, now, lines) -> {
                    // its ACPI registers moved: the power button the guest enabled on the old instance is heard
                    assertThat(now.info().vms()).singleElement().extracting(InstanceInfo.Vm::powerButton)
                            .isEqualTo(InstanceInfo.Vm.POWER_BUTTON_LISTENING);
                    engine.shutdown("lx", null, Duration.ofMinutes(5));
                    assertThat(lines).as("the guest heard it and powered off").anyMatch(l ->
                            l.startsWith("LINUXPOWERBUTTON seq="));
                    assertThat(Files.exists(engine.socket("lx"))).as("its instance ended with it").isFalse();
                });
        assertThat(console).as("no block read back wrong").noneMatch(l -> l.contains("diskcheck FAIL"));
        long last = last(console, "diskcheck ok");
        byte[] written = Files.readAllBytes(image);
        String block = new String(written, (int) (256 + last % 256) * 4096, 64, StandardCharsets.US_ASCII);
        assertThat(block).as("the new instance's write is in the image").startsWith("LINUXDISKHB seq=" + last + "\n");
        assertThat(new String(written, 0, label.length(), StandardCharsets.US_ASCII)).isEqualTo(label);
    }

    @Test
    void aLinuxVmWithANicIsReplacedAndItsNetworkCarriesOn() throws Exception {
        String tap = "hflx" + ProcessHandle.current().pid() % 100000;
        HostCommand.ip("tuntap", "add", tap, "mode", "tap");   // the operator's tap, addressed before the VM uses it
        try {
            HostCommand.ip("addr", "add", HOST + "/24", "dev", tap);
            HostCommand.ip("link", "set", tap, "up");
            List<String> console = replaced("ln", "cpus=1,net=" + tap + "/" + MAC + ",cmdline="
                    + LinuxGuestBuild.CMDLINE_WITH_PCI + " hfnet=" + GUEST + "/24@" + HOST, "netcheck ok", before ->
                    assertThat(before).as("Linux found its NIC").anyMatch(l ->
                            l.contains("LINUXNET dev=eth0 mac=" + MAC + " addr=" + GUEST + "/24 peer=" + HOST)),
                    (engine, now, lines) -> {
                        HostCommand.run("ping", "-c", "3", "-W", "5", GUEST);
                        try (ControlClient c = ControlClient.connect(now.socket())) {
                            c.reset("ln");
                        }
                        String found = "LINUXNET dev=eth0 mac=" + MAC;
                        await(lines, c -> c.stream().filter(l -> l.contains(found)).count() == 2
                                && c.subList(lastIndexOf(c, found), c.size()).stream()
                                        .anyMatch(l -> l.trim().startsWith("netcheck ok")),
                                Duration.ofMinutes(10), dir.resolve("ln.log"));

                        // the host shuts down: SIGTERM, and the guest is asked to shut down before power goes
                        ProcessHandle instance = ProcessHandle.of(now.info().pid()).orElseThrow();
                        instance.destroy();
                        instance.onExit().get(5, TimeUnit.MINUTES);
                        assertThat(lines).as("the guest heard its power button and powered off").anyMatch(l ->
                                l.startsWith("LINUXPOWERBUTTON seq="));
                    });
            assertThat(console).as("the host always answered").noneMatch(l -> l.contains("netcheck FAIL"));
        } finally {
            HostCommand.ip("link", "del", tap);
        }
    }

    /**
     * Launches Linux VM {@code name} with {@code devices} (the spec's keys after the guest's), waits for its first
     * {@code check} line, lets {@code booted} look at the console so far, replaces its instance through the engine
     * and checks the outcome and verification, waits for three more {@code check} lines from the new instance and
     * runs {@code onTheNewInstance} while it runs (which may end it); returns the console of both.
     */
    private List<String> replaced(String name, String devices, String check, Consumer<List<String>> booted,
                                  HostCheck onTheNewInstance) throws Exception {
        Prerequisite.require(LinuxGuestBuild.standard().missing()); // .ci/run builds it
        HfvisorEngine engine = new HfvisorEngine(new EngineConfig(dir, HFVISOR, Duration.ofMinutes(10)));
        engine.launch(new LaunchRequest(name, List.of("name=" + name + ",mem=256M,guest=linux," + devices)),
                ProgressListener.NONE);
        List<String> console = new CopyOnWriteArrayList<>();
        Consumer<Event> keep = e -> {
            if (Event.CONSOLE.equals(e.kind())) {
                console.add(e.fields().path("text").asText());
            }
        };
        try {
            try (AutoCloseable events = engine.follow(name, keep)) {
                await(console, c -> last(c, check) >= 0, Duration.ofMinutes(10), dir.resolve(name + ".log"));
            }
            booted.accept(console);
            long before = last(console, check);
            ReplaceReport report = engine.replacement(name).replace(HFVISOR, Duration.ofSeconds(3),
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
            Instance now = engine.instance(name);
            assertThat(now.info().pid()).as("the socket leads to the new instance").isEqualTo(report.after().pid());
            assertThat(now.info().vms()).singleElement().satisfies(vm -> assertThat(vm.state()).isEqualTo("running"));

            try (AutoCloseable events = engine.follow(name, keep)) {   // the new instance's console
                await(console, c -> last(c, check) >= before + 3, Duration.ofMinutes(3), dir.resolve(name + ".log"));
                onTheNewInstance.check(engine, now, console);
            }
            return console;
        } finally {
            if (Files.exists(engine.socket(name))) {   // unless the check shut it down
                engine.stop(name, null);
            }
        }
    }

    /** What the host checks of a replaced VM while its new instance runs (its console still followed). */
    private interface HostCheck {
        void check(HfvisorEngine engine, Instance now, List<String> console) throws Exception;
    }

    private static int lastIndexOf(List<String> console, String part) {
        for (int i = console.size() - 1; i >= 0; i--) {
            if (console.get(i).contains(part)) {
                return i;
            }
        }
        return -1;
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

    private static void await(List<String> console, Predicate<List<String>> done, Duration limit, Path log)
            throws Exception {
        long end = System.nanoTime() + limit.toNanos();
        while (!done.test(console)) {
            assertThat(System.nanoTime() < end).as("the guest got there in %s; log: %s", limit,
                    Files.readString(log)).isTrue();
            Thread.sleep(200);
        }
    }
}
