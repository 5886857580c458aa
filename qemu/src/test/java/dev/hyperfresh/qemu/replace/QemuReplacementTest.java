package dev.hyperfresh.qemu.replace;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowable;
import static org.assertj.core.api.Assumptions.assumeThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.hyperfresh.progress.Progress;
import dev.hyperfresh.progress.ProgressListener;
import dev.hyperfresh.qemu.Accelerator;
import dev.hyperfresh.qemu.QemuInstance;
import dev.hyperfresh.qemu.launch.HfguestVm;
import dev.hyperfresh.qemu.launch.QemuProcess;
import dev.hyperfresh.qemu.qmp.QmpClient;
import dev.hyperfresh.qemu.qmp.QmpIoException;
import dev.hyperfresh.qemu.testing.FakeBridgeHelperMain;
import dev.hyperfresh.qemu.testing.ForeignClient;
import dev.hyperfresh.qemu.testing.HeartbeatLog;
import dev.hyperfresh.qemu.testing.LibvirtDomain;
import dev.hyperfresh.qemu.testing.RunningVm;
import dev.hyperfresh.qemu.testing.TestQemu;
import dev.hyperfresh.qemu.testing.Vnc;
import dev.hyperfresh.sys.CpuAffinity;
import dev.hyperfresh.sys.Fd;
import dev.hyperfresh.sys.Pidfd;
import dev.hyperfresh.sys.ProcStat;
import dev.hyperfresh.sys.ProcStatus;
import dev.hyperfresh.sys.Sys;
import dev.hyperfresh.testkit.Prerequisite;
import dev.hyperfresh.testkit.SystemdSandbox;
import dev.hyperfresh.testkit.TestCgroup;
import dev.hyperfresh.vmm.heartbeat.GuestLine;
import java.io.IOException;
import java.io.InputStream;
import java.io.RandomAccessFile;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.BitSet;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.Consumer;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import java.util.stream.StreamSupport;
import org.assertj.core.api.ThrowableAssert.ThrowingCallable;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** QEMU → QEMU replacement on the real QEMU (TCG here), hfguest's heartbeats as the oracle. */
class QemuReplacementTest {
    private static final String GUEST = "cpus=2 mem_pct=10 hb_ms=50";
    private static final Duration GUEST_PROGRESS = Duration.ofSeconds(30);
    private static final int LAST_CPU = Runtime.getRuntime().availableProcessors() - 1;
    private static final String FORKING_UNIT = "qemu-vm.service";

    @TempDir
    Path dir;

    private ReplacementOptions options(ReplacementMode mode) {
        return ReplacementOptions.of(TestQemu.binary(), mode).withAccelerator(Accelerator.TCG);
    }

    @Test
    void twentyConsecutiveSharedReplacementsKeepEveryHeartbeat() {
        RunningVm vm = RunningVm.start(TestQemu.vm(dir, "vm", Accelerator.TCG, true, GUEST), dir);
        HeartbeatLog log = new HeartbeatLog(vm.spec().debugLog(), 2);
        List<Long> pids = new ArrayList<>(List.of(vm.process().pid()));
        try {
            log.awaitProgress(2, GUEST_PROGRESS);
            for (int i = 0; i < 20; i++) {
                ReplacementResult r;
                try (QemuInstance qemu = QemuInstance.attach(vm.spec().qmpSocket());
                     Fd old = Pidfd.open(pids.get(i).intValue())) {
                    StringBuilder phases = new StringBuilder();
                    r = QemuReplacement.replace(qemu, options(ReplacementMode.SHARED),
                            p -> phases.append(' ').append(p.phase()).append('@').append(p.elapsedUs() / 1000));
                    System.out.println("phases (ms):" + phases);
                    assertThat(Pidfd.awaitExit(old, 10_000)).as("old QEMU gone").isTrue();
                }
                pids.add(r.newPid());
                assertThat(r.oldPid()).isEqualTo(pids.get(i));
                assertThat(r.qmpSocket()).isEqualTo(vm.spec().qmpSocket());
                System.out.printf("replacement %2d: pid %d -> %d, QEMU downtime %d ms, ours %d us, total %d us,"
                        + " %d bytes%n", i + 1, r.oldPid(), r.newPid(), r.qemuDowntimeMs(), r.blackoutUs(), r.totalUs(),
                        r.transferredBytes());
                log.awaitProgress(2, GUEST_PROGRESS);
            }
            try (QemuInstance last = QemuInstance.attach(vm.spec().qmpSocket())) {
                assertThat(last.pid()).isEqualTo(pids.get(20));
                assertThat(last.info().status()).isEqualTo("running");
            }
        } finally {
            TestQemu.killAllIn(dir);
        }
        log.assertClean();
        assertThat(pids).doesNotHaveDuplicates();
    }

    /**
     * A QEMU upgraded to a newer release and back: hfguest on the host's QEMU (Debian 12's 7.2, its command line's
     * machine the alias q35; -no-hpet, which QEMU 10 has no more (-machine hpet=off); a disk, a NIC, a USB tablet, and
     * a USB stick plugged in at run time) is replaced by
     * backports' QEMU (10.x), by that QEMU again (its RAM a named file now, which QEMU 10 leaves in place), and then by
     * the host's again. Each new QEMU runs the versioned machine the guest was
     * started on, pc-q35-7.2, where a newer QEMU given the alias would run its own newest one and refuse the
     * migration ("Machine type received is 'pc-q35-7.2' and local is 'pc-q35-10.0'"). The way back keeps the -L
     * options the test's wrapper gave the newer QEMU (any option on a command line carries over), so 7.2 then reads
     * the newer firmware files; a QEMU installed by its package has none.
     */
    @Test
    void aQemuIsUpgradedToANewerReleaseAndBackOnTheMachineItsGuestRuns() throws IOException {
        Path newer = TestQemu.newer();
        Path disk = Files.write(dir.resolve("disk.raw"), new byte[1 << 20]);
        RunningVm vm = RunningVm.start(TestQemu.vm(dir, "vm", Accelerator.TCG, true, GUEST), dir, List.of(
                "-drive", "file=" + disk + ",format=raw,if=none,id=d0", "-device", "virtio-blk-pci,drive=d0,id=vd0",
                "-netdev", "user,id=n0", "-device", "virtio-net-pci,netdev=n0,id=nic0",
                "-device", "qemu-xhci,id=xhci", "-device", "usb-tablet,id=tab", "-no-hpet"));
        HeartbeatLog log = new HeartbeatLog(vm.spec().debugLog(), 2);
        try {
            log.awaitProgress(2, GUEST_PROGRESS);
            String machine;
            String release;
            try (QemuInstance qemu = QemuInstance.attach(vm.spec().qmpSocket())) {
                qemu.qmp().execute("blockdev-add", Map.of("driver", "null-co", "node-name", "stick0", "size", 1 << 20));
                qemu.qmp().execute("device_add", Map.of("driver", "usb-storage", "id", "stick", "drive", "stick0"));
                machine = MachineType.of(qemu.qmp());
                release = qemu.info().version();
                assertThat(QemuArgs.ofProcess(qemu.pid()).options()).as("started on the alias")
                        .contains(new QemuArgs.Option("machine", "q35,memory-backend=ram0"));
                ReplacementPlan plan = QemuReplacement.check(qemu, ReplacementOptions.of(newer, ReplacementMode.SHARED)
                        .withAccelerator(Accelerator.TCG));
                assertThat(plan.commandLine()).containsSequence("-machine", machine + ",memory-backend=ram0")
                        .as("QEMU 10 has no -no-hpet").containsSequence("-machine", "hpet=off").doesNotContain("-no-hpet");
            }
            assertThat(machine).startsWith("pc-q35-");
            // -cpu max: 10.0's has sha-ni, rdseed, ... 7.2's has not, and lacks 7.2's pcommit (CPUID 7.0 EBX bit 22)
            Map<Path, String> fewerFeatures = new LinkedHashMap<>();
            Map<CpuFeatures.Word, Long> booted;
            try (QemuInstance qemu = QemuInstance.attach(vm.spec().qmpSocket())) {
                booted = CpuFeatures.of(qemu.qmp());
            }
            for (Path binary : List.of(newer, newer, TestQemu.binary())) {
                try (QemuInstance qemu = QemuInstance.attach(vm.spec().qmpSocket())) {
                    String from = qemu.info().version();
                    ReplacementResult r = QemuReplacement.replace(qemu, ReplacementOptions.of(binary,
                            ReplacementMode.SHARED).withAccelerator(Accelerator.TCG), ProgressListener.NONE);
                    System.out.printf("QEMU %s -> %s: blackout %d us%n", from, binary, r.blackoutUs());
                    r.warnings().stream().filter(w -> w.contains("fewer CPU features")).forEach(w -> {
                        System.out.println("  warning: " + w);
                        fewerFeatures.merge(binary, w, (a, b) -> a + " | " + b);
                    });
                }
                try (QemuInstance now = QemuInstance.attach(vm.spec().qmpSocket())) {
                    assertThat(now.info().status()).isEqualTo("running");
                    assertThat(now.info().version()).as("the release %s runs", binary).satisfies(v -> {
                        if (binary.equals(newer)) {
                            assertThat(v).isNotEqualTo(release);
                        } else {
                            assertThat(v).isEqualTo(release);
                        }
                    });
                    assertThat(MachineType.of(now.qmp())).isEqualTo(machine);
                    assertThat(CpuFeatures.lost(CpuFeatures.of(now.qmp()), booted)).as("the guest's CPU as it booted:"
                            + " nothing added").isEmpty();
                    Map<CpuFeatures.Word, Long> lostSinceBoot = CpuFeatures.lost(booted, CpuFeatures.of(now.qmp()));
                    if (binary.equals(newer)) {
                        assertThat(lostSinceBoot).as("10.0 has no pcommit")
                                .containsExactly(Map.entry(new CpuFeatures.Word(7, 0L, "EBX"), 0x400000L));
                    } else {
                        assertThat(lostSinceBoot).as("back on 7.2: the CPU it booted with").isEmpty();
                    }
                    assertThat(now.qmp().execute("qom-get", Map.of("path", "/machine", "property", "hpet")).asBoolean())
                            .as("no HPET").isFalse();
                    assertThat(now.children("/machine/peripheral")).containsEntry("vd0", "virtio-blk-pci")
                            .containsEntry("nic0", "virtio-net-pci").containsEntry("tab", "usb-tablet")
                            .containsEntry("stick", "usb-storage");
                }
                log.awaitProgress(2, GUEST_PROGRESS);
            }
            assertThat(fewerFeatures).as("only the upgrade loses a flag").containsOnlyKeys(newer);
            assertThat(fewerFeatures.get(newer)).contains("pcommit: CPUID 0x7.0 EBX 0x400000");
        } finally {
            TestQemu.killAllIn(dir);
        }
        log.assertCleanBut(QemuReplacementTest::resumeFlagOfQemu10);
    }

    /**
     * QEMU 10's TCG now and then pushes RF in the flags of the #BP an int3 raises (a trap, which pushes the flags as
     * they were: RF clear), which hfguest's check of the frame reports (seen with QEMU 10 alone, a guest it booted
     * and nothing migrated: once in 25 s); that and nothing else is excused.
     */
    private static boolean resumeFlagOfQemu10(GuestLine line) {
        Matcher m = Pattern.compile("kind=canary what=bp_rflags want=0x(\\p{XDigit}+) got=0x(\\p{XDigit}+)")
                .matcher(line.text());
        return m.find() && Long.parseLong(m.group(2), 16) == (Long.parseLong(m.group(1), 16) | RESUME_FLAG);
    }

    private static final long RESUME_FLAG = 1L << 16;

    /**
     * A VM a QEMU of 8.1 or later runs on a named file, as the refusal below advises, with an rng device and a DIMM
     * (on a file too) plugged in at run time: replaced again and again (each new QEMU maps the files through
     * descriptors of the console that replaced it, gone after; the next replacement finds them among the files QEMU
     * maps shared), the devices carried each time (QEMU 10 lists a PCI device's addr as str, and a read-only busnr);
     * then refused a way back to 7.2, which lacks the machine it started on.
     */
    @Test
    void aNewerQemusVmOnANamedFileIsReplacedAgainAndAgain() {
        Path newer = TestQemu.newer();
        HfguestVm spec = new HfguestVm(newer, Accelerator.TCG, 1, 128, true, TestQemu.hfguest(dir),
                "cpus=1 mem_pct=10 hb_ms=50", dir.resolve("vm.hb"), dir.resolve("vm.qmp"));
        RunningVm.startOnFile(spec, dir, dir.resolve("vm.ram"), List.of("-m", "slots=1,maxmem=1G",
                "-device", "pcie-root-port,id=rp1,bus=pcie.0,chassis=1"));
        HeartbeatLog log = new HeartbeatLog(spec.debugLog(), 1);
        try {
            try (QemuInstance qemu = QemuInstance.attach(spec.qmpSocket())) {
                qemu.qmp().execute("device_add", Map.of("driver", "virtio-rng-pci", "id", "rng0", "bus", "rp1"));
                qemu.qmp().execute("object-add", Map.of("qom-type", "memory-backend-file", "id", "mem1", "size",
                        DIMM_BYTES, "share", true, "mem-path", dir.resolve("dimm.ram").toString()));
                qemu.qmp().execute("device_add", Map.of("driver", "pc-dimm", "id", "dimm1", "memdev", "mem1"));
            }
            log.awaitProgress(2, GUEST_PROGRESS);
            for (int i = 0; i < 3; i++) {
                try (QemuInstance qemu = QemuInstance.attach(spec.qmpSocket())) {
                    QemuReplacement.replace(qemu, ReplacementOptions.of(newer, ReplacementMode.SHARED)
                            .withAccelerator(Accelerator.TCG), ProgressListener.NONE);
                }
                try (QemuInstance now = QemuInstance.attach(spec.qmpSocket())) {
                    assertThat(now.children("/machine/peripheral")).containsEntry("rng0", "virtio-rng-pci")
                            .containsEntry("dimm1", "pc-dimm");
                }
                log.awaitProgress(2, GUEST_PROGRESS);
            }
            // started on 10.0's q35, the VM cannot go back to 7.2: refused before anything starts
            try (QemuInstance qemu = QemuInstance.attach(spec.qmpSocket())) {
                assertThatThrownBy(() -> QemuReplacement.check(qemu, ReplacementOptions.of(TestQemu.binary(),
                        ReplacementMode.SHARED).withAccelerator(Accelerator.TCG)))
                        .isInstanceOf(NotReplaceableException.class)
                        .hasMessageContaining(" runs the machine type pc-q35-10.0, which " + TestQemu.binary()
                                + " does not emulate");
                assertThat(qemu.info().status()).isEqualTo("running");
            }
            log.awaitProgress(2, GUEST_PROGRESS);
        } finally {
            TestQemu.killAllIn(dir);
        }
        log.assertCleanBut(QemuReplacementTest::resumeFlagOfQemu10);
    }

    /**
     * A VM a QEMU of 8.1 or later runs on a memfd: that QEMU would send its RAM despite x-ignore-shared (a new QEMU
     * mapping it already refuses it: "block ram0 should not be migrated"), so pre-flight refuses it, offering copy
     * mode and a named file.
     */
    @Test
    void aNewerQemusMemfdRamIsRefusedForWhatItWouldMigrate() {
        Path newer = TestQemu.newer();
        HfguestVm spec = new HfguestVm(newer, Accelerator.TCG, 1, 128, true, TestQemu.hfguest(dir),
                "cpus=1 mem_pct=10 hb_ms=50", dir.resolve("vm.hb"), dir.resolve("vm.qmp"));
        try (RunningVm vm = RunningVm.start(spec, dir); QemuInstance qemu = QemuInstance.attach(spec.qmpSocket())) {
            assertThatThrownBy(() -> QemuReplacement.check(qemu, ReplacementOptions.of(newer, ReplacementMode.SHARED)
                    .withAccelerator(Accelerator.TCG)))
                    .isInstanceOfSatisfying(NotReplaceableException.class,
                            e -> assertThat(e.remedy()).isEqualTo(NotReplaceableException.Remedy.COPY_MODE))
                    .hasMessageContaining("its guest RAM 'ram0' is a memory-backend-memfd, which QEMU 10.")
                    .hasMessageContaining("memory-backend-file,id=ram0,size=...,mem-path=/dev/shm/NAME,share=on");
            assertThat(qemu.info().status()).isEqualTo("running");
        }
    }

    @Test
    void privateRamIsRefusedWithCopyModeOffered() throws IOException {
        RunningVm vm = RunningVm.start(TestQemu.vm(dir, "private", Accelerator.TCG, false, GUEST), dir);
        HeartbeatLog log = new HeartbeatLog(vm.spec().debugLog(), 2);
        try (vm; QemuInstance qemu = QemuInstance.attach(vm.spec().qmpSocket())) {
            assertThatThrownBy(() -> QemuReplacement.replace(qemu, options(ReplacementMode.SHARED), ProgressListener.NONE))
                    .isInstanceOfSatisfying(NotReplaceableException.class, e -> assertThat(e.remedy()).isEqualTo(NotReplaceableException.Remedy.COPY_MODE))
                    .hasMessage("QEMU pid " + vm.process().pid() + " cannot be replaced in place: its guest RAM"
                            + " 'pc.ram' is a memory-backend-ram without share=on, private to that process; only"
                            + " memory-backend-memfd or memory-backend-file with share=on can be mapped by a new QEMU."
                            + " Use copy mode (an ordinary live migration that copies the RAM) instead, or start such"
                            + " VMs with -object memory-backend-file,id=ram0,size=...,mem-path=/dev/shm/NAME,share=on"
                            + " -machine memory-backend=ram0");
            assertThat(qemu.info().status()).isEqualTo("running");
            log.awaitProgress(2, GUEST_PROGRESS);
            try (var files = Files.list(dir)) {
                assertThat(files.map(p -> p.getFileName().toString())).noneMatch(n -> n.contains("standby"));
            }
        }
        log.assertClean();
    }

    @Test
    void aStandbyThatFailsToStartLeavesTheSourceRunning() throws IOException {
        Path broken = dir.resolve("broken-qemu");
        Files.writeString(broken, "#!/bin/sh\necho 'qemu-system-x86_64: simulated start failure' >&2\nexit 1\n");
        Files.setPosixFilePermissions(broken, PosixFilePermissions.fromString("rwx------"));
        RunningVm vm = RunningVm.start(TestQemu.vm(dir, "vm", Accelerator.TCG, true, GUEST), dir);
        ReplacementOptions o = ReplacementOptions.of(broken, ReplacementMode.SHARED).withAccelerator(Accelerator.TCG);
        assertThat(rollsBack(vm, o, qemu -> { }))
                .contains("the new QEMU did not start")
                .contains("exited with status 1 before opening its QMP socket")
                .contains("simulated start failure");
    }

    /**
     * A VM as operators start them: a disk, a NIC, a VNC display on TCP, and paths relative to the directory QEMU
     * was started in (its kernel, disk, console log and QMP socket). The new QEMU starts in that directory, so they
     * name the same files; the disk keeps what the old QEMU wrote and takes the new one's writes (it was handed over,
     * not left inactive); the VNC port answers again, from the new QEMU.
     */
    @Test
    void aVmWithADiskANicAndRelativePathsIsReplacedInItsOwnDirectory() throws IOException {
        TestQemu.hfguest(dir);
        Path disk = dir.resolve("disk.raw");
        try (RandomAccessFile file = new RandomAccessFile(disk.toFile(), "rw")) {
            file.setLength(1 << 20);
        }
        HfguestVm spec = TestQemu.vm(dir, "vm", Accelerator.TCG, true, GUEST);
        List<String> argv = new ArrayList<>();
        for (String word : spec.commandLine()) {
            argv.add(word.replace(dir + "/", ""));   // relative to the QEMU's directory
        }
        argv.addAll(List.of("-drive", "file=disk.raw,format=raw,if=none,id=d0", "-device", "virtio-blk-pci,drive=d0",
                "-netdev", "user,id=n0", "-device", "virtio-net-pci,netdev=n0"));
        List<String> vnc = Vnc.freeDisplayOption();   // a TCP port the new QEMU can take only once the old has gone
        argv.addAll(vnc);
        assertThat(argv).contains("hfguest.bin").noneMatch(w -> w.contains(dir.toString()));
        QemuProcess old = QemuProcess.start(argv, Optional.of(dir), dir.resolve("vm.qmp.log"), List.of());
        old.awaitQmp(spec.qmpSocket(), Duration.ofSeconds(30)).close();
        HeartbeatLog log = new HeartbeatLog(spec.debugLog(), 2);
        try (RunningVm vm = new RunningVm(spec, old); QemuInstance qemu = QemuInstance.attach(spec.qmpSocket())) {
            log.awaitProgress(2, GUEST_PROGRESS);
            qemuIo(qemu, "write -P 0xab 0 4k");
            ReplacementResult r = QemuReplacement.replace(qemu, options(ReplacementMode.SHARED), ProgressListener.NONE);
            assertThat(r.warnings()).isEmpty();
            assertThat(r.traceUs()).containsKey("vnc-listening");
            assertThat(Vnc.greeting(Vnc.port(vnc))).startsWith("RFB");
            try (QemuInstance second = QemuInstance.attach(spec.qmpSocket())) {   // its -vnc names a unix socket now
                r = QemuReplacement.replace(second, options(ReplacementMode.SHARED), ProgressListener.NONE);
            }
            assertThat(r.traceUs()).containsKey("vnc-listening");
            assertThat(Vnc.greeting(Vnc.port(vnc))).startsWith("RFB");
            try (QemuInstance now = QemuInstance.attach(spec.qmpSocket())) {
                assertThat(now.pid()).isEqualTo(r.newPid());
                assertThat(now.info().status()).isEqualTo("running");
                qemuIo(now, "write -P 0xcd 4096 4k");
                qemuIo(now, "flush");
                assertThat(hmp(now, "info network")).contains("virtio-net-pci");
            }
            log.awaitProgress(2, GUEST_PROGRESS);
        } finally {
            TestQemu.killAllIn(dir);
        }
        byte[] written = Arrays.copyOf(Files.readAllBytes(disk), 8192);
        byte[] expected = new byte[8192];
        Arrays.fill(expected, 0, 4096, (byte) 0xab);
        Arrays.fill(expected, 4096, 8192, (byte) 0xcd);
        assertThat(written).as("the old QEMU's write, then the new one's").isEqualTo(expected);
        log.assertClean();
    }

    /** A new QEMU that exits after opening its QMP socket: the rollback's reason is what it said, not the socket. */
    @Test
    void aNewQemuThatExitsOnItsOwnIsQuotedInTheRollback() throws IOException {
        Path wrapper = dir.resolve("qemu-without-kernel");
        Files.writeString(wrapper, "#!/bin/sh\nexec " + TestQemu.binary()
                + " \"$@\" -kernel /nonexistent/hfguest.bin\n");
        Files.setPosixFilePermissions(wrapper, PosixFilePermissions.fromString("rwx------"));
        RunningVm vm = RunningVm.start(TestQemu.vm(dir, "vm", Accelerator.TCG, true, GUEST), dir);
        ReplacementOptions o = ReplacementOptions.of(wrapper, ReplacementMode.SHARED).withAccelerator(Accelerator.TCG);
        assertThat(rollsBack(vm, o, qemu -> { }))
                .contains("exited with status 1")
                .contains("could not open kernel file '/nonexistent/hfguest.bin'");
    }

    /**
     * Devices hot-plugged into the old QEMU are not on its command line: the new QEMU is given them over QMP before
     * the migration, their backends made again — a raw disk added with blockdev-add, a drive added with drive_add
     * and limited with block_set_io_throttle, a vCPU (plugged in by its place, its number kept), a DIMM on memory
     * added with object-add (its memory mapped as the rest
     * of the guest's RAM: what was written there reads back from each new QEMU), a user-mode network with a forward added at run time, a tap by name —
     * an rng backend and an iothread added with object-add, character devices added with chardev-add (on the new
     * QEMU's command line: a unix socket for a guest agent, moved; a telnet console's TCP port, handed over; a null
     * sink), and each device with its id, bus, address and properties
     * (a serial number, a MAC), a bridge before the device behind it, USB devices (a tablet; a stick, whose disk
     * QEMU keeps on the stick's own SCSI disk, its drive read from there). Twice: the second time
     * from a QEMU that got them so. `replace --check` lists the commands. Creating the tap needs root (as CI runs).
     */
    @Test
    void hotPluggedDevicesFollowTheVmToTheNewQemu() throws IOException {
        assumeThat(Sys.C.geteuid()).as("root, to create a tap").isZero();
        String tap = "hfh" + ProcessHandle.current().pid() % 100_000;
        int sshPort = freePort();
        int consolePort = freePort();
        Path agent = dir.resolve("qga.sock");
        Path disk = Files.write(dir.resolve("disk.raw"), new byte[1 << 20]);
        Path drive = Files.write(dir.resolve("drive.raw"), new byte[1 << 20]);
        HfguestVm spec = TestQemu.vm(dir, "vm", Accelerator.TCG, true, GUEST);
        HeartbeatLog log = new HeartbeatLog(spec.debugLog(), 2);
        List<String> ports = new ArrayList<>();
        for (int i = 1; i <= 7; i++) {
            ports.addAll(List.of("-device", "pcie-root-port,id=rp" + i + ",bus=pcie.0,chassis=" + i));
        }
        // merged into the -m and -smp before: room for a DIMM and a vCPU
        ports.addAll(List.of("-m", "slots=2,maxmem=1G", "-smp", "maxcpus=3", "-device", "qemu-xhci,id=xhci"));
        try (RunningVm vm = RunningVm.start(spec, dir, ports)) {
            JsonNode free;   // the place of the vCPU plugged in
            try (QemuInstance qemu = QemuInstance.attach(spec.qmpSocket())) {
                QmpClient q = qemu.qmp();
                q.execute("device_add", Map.of("driver", "virtio-rng-pci", "id", "rng0", "bus", "rp1"));
                q.execute("device_add", Map.of("driver", "pcie-pci-bridge", "id", "br1", "bus", "rp6"));
                q.execute("object-add", Map.of("qom-type", "rng-random", "id", "rand0", "filename", "/dev/urandom"));
                q.execute("device_add", Map.of("driver", "virtio-rng-pci", "id", "aa", "bus", "br1", "addr", "1",
                        "rng", "rand0"));
                q.execute("object-add", Map.of("qom-type", "iothread", "id", "io1", "poll-max-ns", 1000));
                q.execute("blockdev-add", Map.of("driver", "raw", "node-name", "disk1", "file",
                        Map.of("driver", "file", "filename", disk.toString())));
                q.execute("device_add", Map.of("driver", "virtio-blk-pci", "id", "vd1", "bus", "rp2", "drive", "disk1",
                        "serial", "HF123", "iothread", "io1"));
                assertThat(hmp(qemu, "drive_add 0 if=none,id=drv2,format=raw,file=" + drive)).contains("OK");
                q.execute("device_add", Map.of("driver", "virtio-blk-pci", "id", "vd2", "bus", "rp3", "drive", "drv2"));
                q.execute("block_set_io_throttle", Map.of("device", "drv2", "bps", 4_000_000, "bps_rd", 0, "bps_wr", 0,
                        "iops", 0, "iops_rd", 0, "iops_wr", 0));
                q.execute("netdev_add", Map.of("type", "user", "id", "n1"));
                q.execute("device_add", Map.of("driver", "virtio-net-pci", "id", "nic1", "bus", "rp4", "netdev", "n1",
                        "mac", "52:54:00:aa:bb:01"));
                assertThat(hmp(qemu, "hostfwd_add n1 tcp:127.0.0.1:" + sshPort + "-:22")).isBlank();
                q.execute("netdev_add", Map.of("type", "tap", "id", "t1", "ifname", tap, "script", "no",
                        "downscript", "no"));
                q.execute("device_add", Map.of("driver", "virtio-net-pci", "id", "nic2", "bus", "rp5", "netdev", "t1"));
                q.execute("object-add", Map.of("qom-type", "memory-backend-memfd", "id", "mem1", "size", DIMM_BYTES,
                        "share", true));
                q.execute("device_add", Map.of("driver", "pc-dimm", "id", "dimm1", "memdev", "mem1"));
                writeDimm(vm.process().pid(), DIMM_MARK);
                q.execute("device_add", Map.of("driver", "virtio-serial-pci", "id", "vs0", "bus", "rp7"));
                q.execute("chardev-add", Map.of("id", "qga0", "backend", Map.of("type", "socket", "data", Map.of(
                        "addr", Map.of("type", "unix", "data", Map.of("path", agent.toString())), "server", true,
                        "wait", false))));
                q.execute("device_add", Map.of("driver", "virtserialport", "id", "qga", "bus", "vs0.0", "chardev",
                        "qga0", "name", "org.qemu.guest_agent.0"));
                q.execute("chardev-add", Map.of("id", "con0", "backend", Map.of("type", "socket", "data", Map.of(
                        "addr", Map.of("type", "inet", "data", Map.of("host", "127.0.0.1", "port",
                                Integer.toString(consolePort))), "server", true, "wait", false, "telnet", true))));
                q.execute("device_add", Map.of("driver", "virtconsole", "id", "con", "bus", "vs0.0", "chardev", "con0"));
                q.execute("chardev-add", Map.of("id", "nul0", "backend", Map.of("type", "null", "data", Map.of())));
                q.execute("device_add", Map.of("driver", "virtserialport", "id", "sink", "bus", "vs0.0", "chardev",
                        "nul0"));
                q.execute("device_add", Map.of("driver", "usb-tablet", "id", "tab"));
                q.execute("blockdev-add", Map.of("driver", "null-co", "node-name", "stick0", "size", 1 << 20));
                q.execute("device_add", Map.of("driver", "usb-storage", "id", "stick", "drive", "stick0"));
                free = StreamSupport.stream(q.execute("query-hotpluggable-cpus").spliterator(), false)
                        .filter(c -> !c.has("qom-path")).findFirst().orElseThrow();
                Map<String, Object> cpu = new LinkedHashMap<>(Map.of("driver", free.path("type").asText(), "id", "cpu2"));
                free.path("props").properties().forEach(e -> cpu.put(e.getKey(), e.getValue().asInt()));
                q.execute("device_add", cpu);
                ReplacementPlan plan = QemuReplacement.check(qemu, options(ReplacementMode.SHARED));
                assertThat(plan.plugged()).hasSize(24).anyMatch(c -> c.startsWith("blockdev-add") && c.contains("disk1"))
                        .anyMatch(c -> c.contains("drive_add 0 if=none,id=drv2"))
                        .anyMatch(c -> c.startsWith("device_add") && c.contains("\"id\":\"stick\"")
                                && c.contains("\"drive\":\"stick0\""))
                        .anyMatch(c -> c.startsWith("netdev_add") && c.contains("\"type\":\"tap\",\"id\":\"t1\",\"fd\":"));
                assertThat(plan.commandLine()).contains("null,id=nul0")
                        .anyMatch(a -> a.startsWith("socket,id=qga0,path=" + agent + ".next-"))
                        .anyMatch(a -> a.startsWith("socket,id=con0,telnet=on,server=on,fd="));
                assertThat(plan.handedOver()).anyMatch(h -> h.startsWith("the tap " + tap));
            }
            log.awaitProgress(2, GUEST_PROGRESS);
            for (int i = 0; i < 2; i++) {
                ReplacementResult r;
                try (QemuInstance qemu = QemuInstance.attach(spec.qmpSocket())) {
                    r = QemuReplacement.replace(qemu, options(ReplacementMode.SHARED), ProgressListener.NONE);
                }
                assertThat(r.traceUs()).as("replacement %d", i).containsKeys("devices-plugged", "host-forwards-added");
                assertThat(r.warnings()).anyMatch(w -> w.contains("the disk disk1 of vd1"))
                        .anyMatch(w -> w.contains("the user-mode network n1 of nic1"));
                try (QemuInstance qemu = QemuInstance.attach(spec.qmpSocket())) {
                    assertThat(qemu.pid()).isEqualTo(r.newPid());
                    assertThat(qemu.children("/machine/peripheral")).containsEntry("rng0", "virtio-rng-pci")
                            .containsEntry("br1", "pcie-pci-bridge").containsEntry("aa", "virtio-rng-pci")
                            .containsEntry("vd1", "virtio-blk-pci").containsEntry("vd2", "virtio-blk-pci")
                            .containsEntry("nic1", "virtio-net-pci").containsEntry("nic2", "virtio-net-pci")
                            .containsEntry("tab", "usb-tablet").containsEntry("stick", "usb-storage");
                    assertThat(qemu.qmp().execute("qom-get", Map.of("path", "/machine/peripheral/vd1", "property",
                            "serial")).asText()).isEqualTo("HF123");
                    assertThat(qemu.qmp().execute("qom-get", Map.of("path", "/machine/peripheral/vd1", "property",
                            "iothread")).asText()).isEqualTo("/objects/io1");
                    assertThat(qemu.qmp().execute("qom-get", Map.of("path", "/objects/io1", "property",
                            "poll-max-ns")).asInt()).isEqualTo(1000);
                    assertThat(qemu.qmp().execute("qom-get", Map.of("path", "/machine/peripheral/aa", "property",
                            "rng")).asText()).isEqualTo("/objects/rand0");
                    String blocks = qemu.qmp().execute("query-block").toString();
                    assertThat(blocks).contains("\"node-name\":\"disk1\"", "\"device\":\"drv2\"", "\"bps\":4000000",
                            "\"node-name\":\"stick0\"");
                    assertThat(dimm(qemu, dir.resolve("dimm" + i))).as("the DIMM's memory, the same").isEqualTo(DIMM_MARK);
                    JsonNode vcpus = qemu.qmp().execute("query-cpus-fast");
                    assertThat(vcpus).hasSize(3);
                    assertThat(vcpus.get(2).path("qom-path").asText()).isEqualTo("/machine/peripheral/cpu2");
                    assertThat(vcpus.get(2).path("props")).isEqualTo(free.path("props"));
                    assertThat(hmp(qemu, "info network")).contains("nic1: index=0,type=nic,model=virtio-net-pci,"
                            + "macaddr=52:54:00:aa:bb:01", "n1: index=0,type=user", "t1: index=0,type=tap,fd=");
                }
                OpenFiles now = OpenFiles.ofProcess(r.newPid());
                assertThat(now.taps(tap)).as("the new QEMU on " + tap).hasSize(1);
                assertThat(now.tcpListeners(sshPort)).as("forwarded to the guest's port 22").hasSize(1);
                assertThat(now.tcpListeners(consolePort)).as("the console's port, handed over").hasSize(1);
                try (SocketChannel client = SocketChannel.open(UnixDomainSocketAddress.of(agent))) {
                    assertThat(client.isConnected()).as("the agent's socket, moved to the new QEMU").isTrue();
                }
                log.awaitProgress(2, GUEST_PROGRESS);
            }
        } finally {
            TestQemu.killAllIn(dir);
        }
        log.assertClean();
    }

    private static final int DIMM_BYTES = 64 << 20;
    private static final String DIMM_MARK = "hyperfresh dimm";

    /** Writes {@code mark} at the start of the DIMM's memory, through QEMU's own memfd of that size. */
    /** Every thread of {@code qemu} on CPU {@code others}, but its vCPU 1's, on CPU {@code vcpu1}. */
    private static void pin(QemuInstance qemu, int others, int vcpu1) {
        long vcpu1Thread = qemu.info().vcpus().get(1).threadId();
        for (int tid : ProcStat.threadsOf(qemu.pid())) {
            BitSet cpu = new BitSet();
            cpu.set(tid == vcpu1Thread ? vcpu1 : others);
            assertThat(CpuAffinity.setThread(tid, cpu)).isTrue();
        }
    }

    private static void writeDimm(long qemuPid, String mark) throws IOException {
        try (Stream<Path> fds = Files.list(Path.of("/proc/" + qemuPid + "/fd"))) {
            Path memfd = fds.filter(f -> {
                try {
                    return Files.readSymbolicLink(f).toString().startsWith("/memfd:") && Files.size(f) == DIMM_BYTES;
                } catch (IOException gone) {
                    return false;
                }
            }).findFirst().orElseThrow();
            try (FileChannel c = FileChannel.open(memfd, StandardOpenOption.WRITE)) {
                c.write(ByteBuffer.wrap(mark.getBytes(StandardCharsets.US_ASCII)), 0);
            }
        }
    }

    /** The start of the DIMM's memory as the guest sees it, saved by QEMU ({@code pmemsave}) into {@code file}. */
    private static String dimm(QemuInstance qemu, Path file) throws IOException {
        long at = qemu.qmp().execute("qom-get", Map.of("path", "/machine/peripheral/dimm1", "property", "addr")).asLong();
        qemu.qmp().execute("pmemsave", Map.of("val", at, "size", DIMM_MARK.length(), "filename", file.toString()));
        return Files.readString(file, StandardCharsets.US_ASCII);
    }

    /**
     * A device of the command line unplugged at run time (here a USB stick, which leaves without asking the guest;
     * its drive goes with it) is left out of the new QEMU's command line: the new QEMU neither shows it to the guest
     * nor opens its disk again, and the tablet after it keeps its port. Twice: the second time there is nothing left
     * to leave out.
     */
    @Test
    void aDeviceUnpluggedAtRunTimeIsLeftOutOfTheNewQemu() throws IOException {
        Path stick = Files.write(dir.resolve("stick.raw"), new byte[1 << 20]);
        HfguestVm spec = TestQemu.vm(dir, "vm", Accelerator.TCG, true, GUEST);
        HeartbeatLog log = new HeartbeatLog(spec.debugLog(), 2);
        try (RunningVm vm = RunningVm.start(spec, dir, List.of("-device", "qemu-xhci,id=xhci",
                "-drive", "if=none,id=d0,format=raw,file=" + stick, "-device", "usb-storage,id=stick0,drive=d0",
                "-device", "usb-tablet,id=tab0"))) {
            try (QemuInstance qemu = QemuInstance.attach(spec.qmpSocket())) {
                qemu.qmp().execute("device_del", Map.of("id", "stick0"));
                for (int waited = 0; qemu.children("/machine/peripheral").containsKey("stick0"); waited++) {
                    assertThat(waited).as("the stick gone").isLessThan(100);
                    QemuProcess.sleep(Duration.ofMillis(50));
                }
                assertThat(QemuReplacement.check(qemu, options(ReplacementMode.SHARED)).commandLine())
                        .doesNotContain("usb-storage,id=stick0,drive=d0")
                        .contains("usb-tablet,id=tab0,port=2");   // where it is, not on the stick's port 1
            }
            log.awaitProgress(2, GUEST_PROGRESS);
            for (int i = 0; i < 2; i++) {
                ReplacementResult r;
                try (QemuInstance qemu = QemuInstance.attach(spec.qmpSocket())) {
                    r = QemuReplacement.replace(qemu, options(ReplacementMode.SHARED), ProgressListener.NONE);
                }
                assertThat(r.warnings().stream().filter(w -> w.contains("is left out")).toList())
                        .as("replacement %d", i).hasSize(i == 0 ? 2 : 0);
                try (QemuInstance qemu = QemuInstance.attach(spec.qmpSocket())) {
                    assertThat(qemu.children("/machine/peripheral")).containsKey("tab0").doesNotContainKey("stick0");
                    assertThat(qemu.qmp().execute("query-block").toString()).doesNotContain("\"device\":\"d0\"");
                }
                try (Stream<Path> fds = Files.list(Path.of("/proc/" + r.newPid() + "/fd"))) {
                    assertThat(fds.map(f -> {
                        try {
                            return Files.readSymbolicLink(f).toString();
                        } catch (IOException gone) {
                            return "";
                        }
                    })).as("the new QEMU's open files").doesNotContain(stick.toString());
                }
                log.awaitProgress(2, GUEST_PROGRESS);
            }
        } finally {
            TestQemu.killAllIn(dir);
        }
        log.assertClean();
    }

    /**
     * A device plugged in with a backend a new QEMU cannot be given the same way (here a NIC on a socket network
     * added with netdev_add) is refused at pre-flight, named, before anything starts.
     */
    @Test
    void aHotPluggedDeviceThatCannotBeCarriedIsRefusedBeforeAnythingStarts() throws IOException {
        HfguestVm spec = TestQemu.vm(dir, "vm", Accelerator.TCG, true, GUEST);
        try (RunningVm vm = RunningVm.start(spec, dir, List.of("-device", "pcie-root-port,id=rp1,bus=pcie.0,chassis=1"));
             QemuInstance qemu = QemuInstance.attach(spec.qmpSocket())) {
            qemu.qmp().execute("netdev_add", Map.of("type", "socket", "id", "s1", "listen", "127.0.0.1:" + freePort()));
            qemu.qmp().execute("device_add", Map.of("driver", "virtio-net-pci", "id", "nic1", "bus", "rp1", "netdev",
                    "s1"));
            for (ThrowingCallable attempt : List.<ThrowingCallable>of(
                    () -> QemuReplacement.check(qemu, options(ReplacementMode.SHARED)),
                    () -> QemuReplacement.replace(qemu, options(ReplacementMode.SHARED), ProgressListener.NONE))) {
                assertThatThrownBy(attempt).isInstanceOf(NotReplaceableException.class)
                        .hasMessageContaining("nic1 (virtio-net-pci)").hasMessageContaining("s1 is of type socket")
                        .hasMessageContaining("device_del");
            }
            assertThat(qemu.pid()).isEqualTo(vm.process().pid());
            assertThat(qemu.info().status()).isEqualTo("running");
            assertThat(ProcessHandle.allProcesses().filter(p -> TestQemu.mentions(p, dir.toString())))
                    .as("no new QEMU started").hasSize(1);
        } finally {
            TestQemu.killAllIn(dir);
        }
    }

    /**
     * A new QEMU whose machine differs from the old one's (here a wrapper gives it one vCPU fewer) cannot load the
     * migration: the replacement rolls back, and the reason is what QEMU says about it.
     */
    @Test
    void aNewQemuThatCannotLoadTheMigrationRollsBackWithQemusReason() throws IOException {
        Path wrapper = dir.resolve("qemu-one-cpu-fewer");
        Files.writeString(wrapper, "#!/bin/bash\nargs=(); prev=\nfor a in \"$@\"; do\n"
                + "  if [ \"$prev\" = -smp ]; then a=$((a - 1)); fi; args+=(\"$a\"); prev=$a\ndone\n"
                + "exec " + TestQemu.binary() + " \"${args[@]}\"\n");
        Files.setPosixFilePermissions(wrapper, PosixFilePermissions.fromString("rwx------"));
        RunningVm vm = RunningVm.start(TestQemu.vm(dir, "vm", Accelerator.TCG, true, GUEST), dir);
        ReplacementOptions o = ReplacementOptions.of(wrapper, ReplacementMode.SHARED).withAccelerator(Accelerator.TCG);
        assertThat(rollsBack(vm, o, qemu -> { })).contains("could not load").contains("Unknown savevm section");
    }

    /**
     * Replaces {@code vm} as {@code options} say, once {@code before} has run on it, and returns the reason of the
     * rollback that must follow: the guest runs on in the old QEMU, its heartbeats clean.
     */
    private String rollsBack(RunningVm vm, ReplacementOptions options, Consumer<QemuInstance> before) {
        HeartbeatLog log = new HeartbeatLog(vm.spec().debugLog(), 2);
        String reason;
        try (vm; QemuInstance qemu = QemuInstance.attach(vm.spec().qmpSocket())) {
            log.awaitProgress(2, GUEST_PROGRESS);
            before.accept(qemu);
            Throwable thrown = catchThrowable(() -> QemuReplacement.replace(qemu, options, ProgressListener.NONE));
            assertThat(thrown).isInstanceOfSatisfying(ReplacementException.class,
                    e -> assertThat(e.rolledBack()).isTrue());
            reason = thrown.getMessage();
            assertThat(reason).endsWith("rolled back: the VM runs on the old QEMU pid " + vm.process().pid()
                    + " as before");
            assertThat(qemu.info().status()).isEqualTo("running");
            log.awaitProgress(2, GUEST_PROGRESS);
        } finally {
            TestQemu.killAllIn(dir);
        }
        log.assertClean();
        return reason;
    }

    private static void qemuIo(QemuInstance qemu, String command) {
        hmp(qemu, "qemu-io d0 \"" + command + "\"");   // its output goes to QEMU's log, an error to the answer
    }

    private static String hmp(QemuInstance qemu, String command) {
        String answer = qemu.qmp().execute("human-monitor-command", Map.of("command-line", command)).asText();
        assertThat(answer).as(command).doesNotContainIgnoringCase("error").doesNotContain("failed");
        return answer;
    }

    /**
     * A tap NIC opened by name, one a bridge helper opened, a monitor and a gdb stub listening on TCP: the new QEMU
     * could open none of them while the old one holds them, so it is given the old one's descriptors. The monitor waited for its client
     * before the VM started (QEMU's default): the new QEMU must not. Two user-mode networks forward host ports
     * (one -netdev, one -nic, whose name QEMU makes up): the new QEMU forwards them again once the old has gone. The interface outlives the old QEMU and
     * stays attached to the new one, the monitor's port answers from the new one, the gdb stub's socket is the new
     * one's (connecting a debugger would stop the guest); twice, the second time from a command line that names
     * them by number. Creating the tap needs root (as CI runs).
     */
    @Test
    void tapsListenersAndHostForwardsFollowTheVmToTheNewQemu() throws IOException {
        assumeThat(Sys.C.geteuid()).as("root, to create a tap").isZero();
        String tap = "hft" + ProcessHandle.current().pid() % 100_000;
        int port = freePort();
        int gdbPort = freePort();
        int sshPort = freePort();
        int webPort = freePort();
        HfguestVm spec = TestQemu.vm(dir, "vm", Accelerator.TCG, true, GUEST);
        HeartbeatLog log = new HeartbeatLog(spec.debugLog(), 2);
        Path helper = Files.writeString(dir.resolve("bridge-helper"), "#!/bin/sh\nexec '"
                + ProcessHandle.current().info().command().orElse("java") + "' -cp '"
                + System.getProperty("java.class.path") + "' " + FakeBridgeHelperMain.class.getName() + " \"$@\"\n");
        Files.setPosixFilePermissions(helper, PosixFilePermissions.fromString("rwx------"));
        List<String> argv = new ArrayList<>(spec.commandLine());
        argv.addAll(List.of("-netdev", "tap,id=n0,ifname=" + tap + ",script=no,downscript=no",
                "-device", "virtio-net-pci,netdev=n0",
                "-netdev", "bridge,id=b0,br=hfbr0,helper=" + helper, "-device", "virtio-net-pci,netdev=b0",
                "-monitor", "telnet:127.0.0.1:" + port + ",server=on",   // waits for a client to start the VM
                "-gdb", "tcp::" + gdbPort,
                "-netdev", "user,id=u0,hostfwd=tcp:127.0.0.1:" + sshPort + "-:22", "-device", "e1000,netdev=u0",
                "-nic", "user,model=e1000,hostfwd=tcp:127.0.0.1:" + webPort + "-:80"));
        QemuProcess old = QemuProcess.start(argv, dir.resolve("vm.qmp.log"));
        try (RunningVm vm = new RunningVm(spec, old); Socket operator = connect(port)) {
            old.awaitQmp(spec.qmpSocket(), Duration.ofSeconds(30)).close();
            Set<String> helpersTap = new HashSet<>(OpenFiles.ofProcess(old.pid()).tapNames());
            helpersTap.remove(tap);
            assertThat(helpersTap).as("the tap the helper opened").hasSize(1);
            log.awaitProgress(2, GUEST_PROGRESS);
            for (int i = 0; i < 2; i++) {
                ReplacementResult r;
                try (QemuInstance qemu = QemuInstance.attach(spec.qmpSocket())) {
                    r = QemuReplacement.replace(qemu, options(ReplacementMode.SHARED), ProgressListener.NONE);
                }
                // the gdb stub's address has no host: QEMU listens on IPv4 and, where the host has it, IPv6 apart
                assertThat(r.warnings()).as("replacement %d", i).filteredOn(w -> w.startsWith("the session of"))
                        .containsExactlyElementsOf(i == 0 ? List.of("the session of someone on the human monitor"
                                + " compat_monitor1 (telnet:127.0.0.1:" + port + ",server=on <-> 127.0.0.1:"
                                + operator.getLocalPort() + ") ends with the old QEMU; the new one listens there")
                                : List.of());
                assertThat(r.warnings()).as("replacement %d", i).filteredOn(w -> !w.startsWith("the session of"))
                        .hasSizeLessThanOrEqualTo(1 - i)
                        .allMatch(w -> w.startsWith("-gdb tcp::" + gdbPort + " listened on IPv4 and IPv6"));
                OpenFiles now = OpenFiles.ofProcess(r.newPid());
                assertThat(now.taps(tap)).as("the new QEMU on " + tap).hasSize(1);
                assertThat(now.taps(helpersTap.iterator().next())).as("the new QEMU on the helper's tap").hasSize(1);
                assertThat(now.tcpListeners(gdbPort)).as("the gdb stub's socket").hasSize(1);
                assertThat(r.traceUs()).containsKey("host-forwards-added");
                assertThat(now.tcpListeners(sshPort)).as("forwarded to the guest's port 22").hasSize(1);
                assertThat(now.tcpListeners(webPort)).as("forwarded to the guest's port 80").hasSize(1);
                assertThat(Path.of("/sys/class/net", tap)).as("the interface outlived the old QEMU").exists();
                assertThat(monitor(port, "info status")).contains("VM status: running");
                try (QemuInstance qemu = QemuInstance.attach(spec.qmpSocket())) {
                    assertThat(qemu.pid()).isEqualTo(r.newPid());
                    assertThat(hmp(qemu, "info network")).contains("virtio-net-pci", "type=tap,fd=3", "type=tap,fd=4");
                }
                log.awaitProgress(2, GUEST_PROGRESS);
            }
        } finally {
            TestQemu.killAllIn(dir);
        }
        for (int waited = 0; Files.exists(Path.of("/sys/class/net", tap)) && waited < 100; waited++) {
            QemuProcess.sleep(Duration.ofMillis(100));   // the last QEMU's files close as it dies
        }
        assertThat(Path.of("/sys/class/net", tap)).as("gone with the last QEMU that held it").doesNotExist();
        log.assertClean();
    }

    /** A client on {@code port} of a QEMU still starting. */
    private static Socket connect(int port) {
        for (int tries = 0; ; tries++) {
            try {
                return new Socket(InetAddress.getLoopbackAddress(), port);
            } catch (IOException notYet) {
                if (tries == 300) {
                    throw new IllegalStateException("nothing listens on port " + port, notYet);
                }
                QemuProcess.sleep(Duration.ofMillis(100));
            }
        }
    }

    private static int freePort() throws IOException {
        try (ServerSocket probe = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return probe.getLocalPort();
        }
    }

    /** What QEMU's human monitor on TCP {@code port} (telnet=on) answers to {@code command}. */
    private static String monitor(int port, String command) throws IOException {
        try (Socket s = new Socket(InetAddress.getLoopbackAddress(), port)) {
            s.setSoTimeout(10_000);
            s.getOutputStream().write((command + "\r\n").getBytes(StandardCharsets.US_ASCII));
            StringBuilder seen = new StringBuilder();
            InputStream in = s.getInputStream();
            int b;
            while (!seen.toString().matches("(?s).*\\(qemu\\).*" + command + ".*\\(qemu\\).*")
                    && (b = in.read()) >= 0) {
                seen.append((char) b);
            }
            return seen.toString();
        }
    }

    /** The pid file names the QEMU that runs the VM after every replacement, not only after the first. */
    /**
     * The new QEMU takes the pid file, the cgroups (an operator's limits, libvirt's scope), the OOM score
     * adjustment and the threads' pinning of the old one.
     */
    @Test
    void thePidFileCgroupOomScoreAndPinningFollowAChainOfReplacements() throws Exception {
        HfguestVm spec = TestQemu.vm(dir, "vm", Accelerator.TCG, true, GUEST);
        Path pidfile = dir.resolve("vm.pid");
        RunningVm vm = RunningVm.start(spec, dir, List.of("-pidfile", pidfile.toString()));
        HeartbeatLog log = new HeartbeatLog(spec.debugLog(), 2);
        try (TestCgroup cgroup = TestCgroup.make("hf-qemu")) {
            try (vm) {
                cgroup.put(vm.process().pid());
                Files.writeString(Path.of("/proc/" + vm.process().pid() + "/oom_score_adj"), "300",
                        StandardOpenOption.WRITE);
                try (QemuInstance qemu = QemuInstance.attach(spec.qmpSocket())) {
                    pin(qemu, 0, LAST_CPU);   // as libvirt's emulatorpin and vcpupin would
                }
                log.awaitProgress(2, GUEST_PROGRESS);
                for (int i = 0; i < 2; i++) {
                    try (QemuInstance qemu = QemuInstance.attach(spec.qmpSocket())) {
                        ReplacementResult r = QemuReplacement.replace(qemu, options(ReplacementMode.SHARED),
                                ProgressListener.NONE);
                        assertThat(Files.readString(pidfile).strip()).as("after replacement %d", i + 1)
                                .isEqualTo(Long.toString(r.newPid()));
                        assertThat(cgroup.holds(r.newPid())).as("after replacement %d", i + 1).isTrue();
                        assertThat(Files.readAllLines(Path.of("/proc/" + r.newPid() + "/oom_score_adj")))
                                .containsExactly("300");
                        assertThat(r.warnings()).isEmpty();
                    }
                    try (QemuInstance now = QemuInstance.attach(spec.qmpSocket())) {
                        long vcpu1 = now.info().vcpus().get(1).threadId();
                        for (int tid : ProcStat.threadsOf(now.pid())) {
                            assertThat(CpuAffinity.ofThread(tid)).as("thread %d", tid)
                                    .contains(BitSet.valueOf(new long[] {1L << (tid == vcpu1 ? LAST_CPU : 0)}));
                        }
                    }
                    log.awaitProgress(2, GUEST_PROGRESS);
                }
            } finally {
                TestQemu.killAllIn(dir);
            }
        }
        log.assertClean();
    }

    /**
     * A QEMU in a systemd service's cgroup is refused, the VM left as it is: its end would be the service's end to
     * systemd, which with Restart= would start it again beside the new one. Allowed to run outside the service, the
     * new QEMU takes the VM over there, and says where it runs; as no systemd knows the unit (a cgroup only named as
     * a service's), a warning says the operator's word was taken for its Restart=.
     */
    @Test
    void aQemuASystemdServiceRunsIsRefusedUnlessTheNewOneMayRunOutsideTheService() throws Exception {
        HfguestVm spec = TestQemu.vm(dir, "vm", Accelerator.TCG, true, GUEST);
        HeartbeatLog log = new HeartbeatLog(spec.debugLog(), 2);
        try (TestCgroup service = TestCgroup.service("qemu-test"); RunningVm vm = RunningVm.start(spec, dir)) {
            service.put(vm.process().pid());
            String unit = "qemu-test-" + ProcessHandle.current().pid() + ".service";
            try (QemuInstance qemu = QemuInstance.attach(spec.qmpSocket())) {
                log.awaitProgress(2, GUEST_PROGRESS);
                assertThatThrownBy(() -> QemuReplacement.replace(qemu, options(ReplacementMode.SHARED),
                        ProgressListener.NONE)).isInstanceOfSatisfying(NotReplaceableException.class, e ->
                                assertThat(e.remedy()).isEqualTo(NotReplaceableException.Remedy.OUTSIDE_SERVICE))
                        .hasMessageContaining("QEMU pid " + vm.process().pid() + " runs in systemd's " + unit + ": ");
                assertThat(qemu.info().status()).isEqualTo("running");
                log.awaitProgress(2, GUEST_PROGRESS);

                ReplacementResult r = QemuReplacement.replace(qemu, options(ReplacementMode.SHARED)
                        .withOutsideService(), ProgressListener.NONE);
                assertThat(r.warnings()).as("a cgroup named as a service's, which no systemd knows").hasSize(2);
                assertThat(r.warnings().get(0)).startsWith("could not ask systemd whether it restarts " + unit + " (")
                        .endsWith("): replaced outside the service on the word of --outside-service that it does not");
                assertThat(r.warnings().get(1)).contains("systemd's " + unit);
                assertThat(service.holds(r.newPid())).isFalse();
            }
            log.awaitProgress(2, GUEST_PROGRESS);
        } finally {
            TestQemu.killAllIn(dir);
        }
        log.assertClean();
    }

    /**
     * A QEMU that drops its privileges ({@code -runas}), and also changes its root ({@code -chroot}), is replaced by
     * one that does the same: the two meet for the migration in a directory of that user's — in the temporary
     * directory, or in that root —, the only files either opens after dropping them, removed afterwards.
     */
    @ParameterizedTest(name = "chroot {0}")
    @ValueSource(booleans = {false, true})
    void aQemuRunningAsAnotherUserIsReplacedByOneRunningAsThatUser(boolean chroot) throws IOException {
        assumeThat(Sys.C.geteuid()).as("root, to start QEMU as another user").isZero();
        HfguestVm spec = TestQemu.vm(dir, "vm", Accelerator.TCG, true, GUEST);
        HeartbeatLog log = new HeartbeatLog(spec.debugLog(), 2);
        Path jail = Files.createDirectories(dir.resolve("jail"));
        List<String> confined = new ArrayList<>(List.of("-runas", "nobody"));
        if (chroot) {
            confined.addAll(List.of("-chroot", jail.toString()));
        }
        try (RunningVm vm = RunningVm.start(spec, dir, confined);
             QemuInstance qemu = QemuInstance.attach(spec.qmpSocket())) {
            long nobody = ProcStatus.number(Long.toString(vm.process().pid()), "Uid").orElseThrow();
            assertThat(nobody).isNotZero();
            log.awaitProgress(2, GUEST_PROGRESS);
            ReplacementResult r = QemuReplacement.replace(qemu, options(ReplacementMode.SHARED),
                    ProgressListener.NONE);
            assertThat(ProcStatus.number(Long.toString(r.newPid()), "Uid")).hasValue(nobody);
            assertThat(Files.readSymbolicLink(Path.of("/proc", Long.toString(r.newPid()), "root")))
                    .isEqualTo(chroot ? jail : Path.of("/"));
            for (Path where : List.of(jail, Path.of(System.getProperty("java.io.tmpdir")))) {
                try (Stream<Path> left = Files.list(where)) {
                    assertThat(left.map(p -> p.getFileName().toString()))
                            .noneMatch(n -> n.startsWith("hyperfresh-" + vm.process().pid() + "-"));
                }
            }
            log.awaitProgress(2, GUEST_PROGRESS);
        } finally {
            TestQemu.killAllIn(dir);
        }
        log.assertClean();
    }

    /**
     * A QEMU that cannot migrate (here an emulated NVMe disk, which QEMU does not migrate) is refused before anything
     * starts, in QEMU's words, rather than after a new QEMU was started for nothing.
     */
    @Test
    void aQemuThatCannotMigrateIsRefusedInQemusWords() throws IOException {
        HfguestVm spec = TestQemu.vm(dir, "vm", Accelerator.TCG, true, GUEST);
        Path image = dir.resolve("nvme.img");
        try (RandomAccessFile f = new RandomAccessFile(image.toFile(), "rw")) {
            f.setLength(16 << 20);
        }
        try (RunningVm vm = RunningVm.start(spec, dir, List.of("-drive", "file=" + image + ",if=none,id=nv0,format=raw",
                "-device", "nvme,drive=nv0,serial=hf0"));
             QemuInstance qemu = QemuInstance.attach(spec.qmpSocket())) {
            assertThatThrownBy(() -> QemuReplacement.replace(qemu, options(ReplacementMode.SHARED),
                    ProgressListener.NONE)).isInstanceOf(NotReplaceableException.class)
                    .hasMessageContaining("QEMU pid " + vm.process().pid() + " cannot be migrated, and its replacement"
                            + " is a migration into the new QEMU: non-migratable device: ").hasMessageContaining("nvme");
            assertThat(qemu.info().status()).isEqualTo("running");
        } finally {
            TestQemu.killAllIn(dir);
        }
    }

    /**
     * A program on another of the QEMU's QMP monitors (here a python3 holding a second QMP socket) would see its
     * connection end with the old QEMU: refused, naming it, until it disconnects; then replaced, the new QEMU
     * answering there. A person on the human monitor is no such program (the tap test keeps one connected).
     */
    @Test
    void aProgramOnAnotherQmpMonitorIsNamedAndTheQemuRefusedUntilItDisconnects() {
        HfguestVm spec = TestQemu.vm(dir, "vm", Accelerator.TCG, true, GUEST);
        Path second = dir.resolve("manager.qmp");
        HeartbeatLog log = new HeartbeatLog(spec.debugLog(), 2);
        try (RunningVm vm = RunningVm.start(spec, dir, List.of("-qmp", "unix:" + second + ",server=on,wait=off"));
             QemuInstance qemu = QemuInstance.attach(spec.qmpSocket())) {
            assertThat(qemu.info().runByLibvirt()).isFalse();
            try (ForeignClient manager = ForeignClient.connect(second)) {
                assertThatThrownBy(() -> QemuReplacement.replace(qemu, options(ReplacementMode.SHARED),
                        ProgressListener.NONE)).isInstanceOf(NotReplaceableException.class)
                        .hasMessageContaining("QEMU pid " + vm.process().pid() + " has python3 (pid "
                                + manager.pid() + ") on its monitor compat_monitor1 (" + second + ")");
                assertThat(qemu.info().status()).isEqualTo("running");
            }
            log.awaitProgress(2, GUEST_PROGRESS);
            ReplacementResult r = QemuReplacement.replace(qemu, options(ReplacementMode.SHARED),
                    ProgressListener.NONE);
            try (QemuInstance again = QemuInstance.attach(second)) {
                assertThat(again.pid()).isEqualTo(r.newPid());
            }
            log.awaitProgress(2, GUEST_PROGRESS);
        } finally {
            TestQemu.killAllIn(dir);
        }
        log.assertClean();
    }

    /**
     * A QEMU libvirt runs — real libvirt, its QEMU driver in virt-qemu-run — is refused before anything starts,
     * naming libvirt, although it also lives in a mount namespace of libvirt's (whose refusal would send the
     * operator into it): replaced, libvirt would take the old QEMU's end for the domain's crash. Attaching to
     * libvirt's own monitor, which libvirt holds, says so at once.
     */
    @Test
    void aQemuLibvirtRunsIsRefusedNamingLibvirt() throws IOException {
        Prerequisite.require(LibvirtDomain.missing());
        try (LibvirtDomain domain = LibvirtDomain.start(dir, "lvtest", "cpus=1 mem_pct=10 hb_ms=50")) {
            HeartbeatLog log = new HeartbeatLog(domain.debugLog(), 1);
            try (QemuInstance qemu = QemuInstance.attach(domain.qmpSocket())) {
                assertThat(qemu.info().runByLibvirt()).isTrue();
                log.awaitProgress(2, GUEST_PROGRESS);
                assertThatThrownBy(() -> QemuReplacement.replace(qemu, options(ReplacementMode.SHARED),
                        ProgressListener.NONE)).isInstanceOf(NotReplaceableException.class)
                        .hasMessageContaining("QEMU pid " + qemu.pid() + " (VM lvtest) is run by libvirt"
                                + " (virt-qemu-run (pid " + domain.libvirtPid() + ") holds its monitor charmonitor)")
                        .hasMessageContaining("virsh migrate");
                assertThat(qemu.info().status()).isEqualTo("running");
            }
            assertThatThrownBy(() -> QemuInstance.attach(domain.monitorSocket())).isInstanceOf(QmpIoException.class)
                    .hasMessageContaining("the QMP socket " + domain.monitorSocket() + " is taken: virt-qemu-run (pid "
                            + domain.libvirtPid() + ") is connected to it").hasMessageContaining("libvirt's monitor");
            log.awaitProgress(2, GUEST_PROGRESS);
            assertThat(domain.running()).isTrue();
            log.assertClean();
        } finally {
            TestQemu.killAllIn(dir);
        }
    }

    /**
     * A QEMU in a mount namespace of its own (a service's PrivateTmp=, a container's) is refused: the files its
     * command line names are not this console's.
     */
    @Test
    void aQemuInAnotherMountNamespaceIsRefused() throws Exception {
        HfguestVm spec = TestQemu.vm(dir, "vm", Accelerator.TCG, true, GUEST);
        List<String> argv = new ArrayList<>(List.of("unshare", "--mount", "--propagation", "private"));
        argv.addAll(spec.commandLine());
        QemuProcess process = QemuProcess.start(argv, dir.resolve("vm.qmp.log"));
        process.awaitQmp(spec.qmpSocket(), Duration.ofSeconds(30)).close();
        try (RunningVm vm = new RunningVm(spec, process); QemuInstance qemu = QemuInstance.attach(spec.qmpSocket())) {
            assertThatThrownBy(() -> QemuReplacement.replace(qemu, options(ReplacementMode.SHARED),
                    ProgressListener.NONE)).isInstanceOf(NotReplaceableException.class)
                    .hasMessageContaining("QEMU pid " + qemu.pid() + " runs in another mount namespace");
            assertThat(qemu.info().status()).isEqualTo("running");
        } finally {
            TestQemu.killAllIn(dir);
        }
    }

    /**
     * A QEMU in another pid namespace — here one real systemd runs as PID 1 of a sandbox, as a container's — names
     * its vCPU threads by numbers that mean other processes here: attaching to it is refused, never taken for
     * whatever process has that number.
     */
    @Test
    void aQemuInAnotherPidNamespaceIsNotTakenForAProcessOfThisOne() throws Exception {
        HfguestVm spec = TestQemu.vm(dir, "vm", Accelerator.TCG, true, GUEST);
        String unit = "qemu-test.service";
        try (SystemdSandbox systemd = SystemdSandbox.start(Files.createDirectories(dir.resolve("sandbox")),
                Map.of(unit, serviceOf(spec, "")))) {
            systemd.systemctl("start", unit);
            for (int i = 0; i < 300 && !Files.exists(spec.qmpSocket()); i++) {
                Thread.sleep(100);
            }
            assertThatThrownBy(() -> QemuInstance.attach(spec.qmpSocket())).isInstanceOf(QmpIoException.class)
                    .hasMessageContaining("runs in another pid namespace than this console");
            assertThat(systemd.show(unit, "ActiveState")).containsEntry("ActiveState", "active");
        } finally {
            TestQemu.killAllIn(dir);
        }
    }

    /** A unit file that runs {@code spec}'s QEMU as a service, with {@code settings} (lines of its [Service]). */
    private static String serviceOf(HfguestVm spec, String settings) {
        return serviceOf(spec.commandLine(), settings);
    }

    private static String serviceOf(List<String> argv, String settings) {
        return "[Unit]\nDefaultDependencies=no\n[Service]\nExecStart=" + argv.stream()
                .map(a -> '"' + a.replace("%", "%%") + '"').collect(Collectors.joining(" ")) + "\n" + settings;
    }

    /**
     * A QEMU a Type=forking service runs ({@code -daemonize}, its {@code -pidfile} the unit's PIDFile=), under systemd
     * itself: pre-flight says the new QEMU takes the service over; replaced twice without {@code --outside-service},
     * the new QEMU each time the service's main process and
     * in its cgroup, the service never ending (its Restart=on-failure never fires); {@code systemctl stop} then ends
     * the VM's QEMU.
     */
    @Test
    void aForkingQemuServiceIsTakenOverByTheNewQemu() throws Exception {
        HfguestVm spec = TestQemu.vm(dir, "vm", Accelerator.TCG, true, GUEST);
        HeartbeatLog log = new HeartbeatLog(spec.debugLog(), 2);
        String unit = FORKING_UNIT;
        try (SystemdSandbox systemd = forkingService(spec, log, "/run/qemu-vm.pid")) {
            assertThat(serviceConsole(systemd, spec, "check")).startsWith("CHECKED " + unit + "\n");
            for (int i = 1; i <= 2; i++) {
                String before = systemd.show(unit, "MainPID").get("MainPID");
                String out = serviceConsole(systemd, spec);
                assertThat(out).as("replacement %d", i).startsWith("COMMITTED ").doesNotContain("WARNING");
                String next = out.lines().findFirst().orElseThrow().substring("COMMITTED ".length());
                assertThat(systemd.show(unit, "MainPID", "ActiveState", "NRestarts")).as("replacement %d", i)
                        .containsEntry("MainPID", next).containsEntry("ActiveState", "active")
                        .containsEntry("NRestarts", "0");
                assertThat(systemd.processesOf(unit)).as("the service's cgroup").contains(Long.parseLong(next))
                        .doesNotContain(Long.parseLong(before));
                assertThat(systemd.run("cat", "/run/qemu-vm.pid").output().strip()).isEqualTo(next);
                log.awaitProgress(2, GUEST_PROGRESS);
            }
            systemd.systemctl("stop", unit);
            assertThat(systemd.show(unit, "ActiveState", "Result", "MainPID")).as("QEMU ended by SIGTERM, waited for")
                    .containsEntry("MainPID", "0").containsEntry("ActiveState", "inactive")
                    .containsEntry("Result", "success");
        } finally {
            TestQemu.killAllIn(dir);
        }
        log.assertClean();
    }

    /**
     * A QEMU systemd itself runs as a service (systemd in a sandbox, the console on its machine): refused, and with
     * {@code --outside-service} still refused while the unit's Restart= would have systemd start it again once the
     * old QEMU is killed, or while it has ExecStopPost= commands, which would run then; with Restart=no and none it is
     * replaced, the new QEMU running on outside the service, which systemd leaves ended. The VM runs on throughout.
     */
    @Test
    void aQemuServiceIsReplacedOutsideTheServiceOnlyWhenSystemdWouldNotStartItAgain() throws Exception {
        HfguestVm spec = TestQemu.vm(dir, "vm", Accelerator.TCG, true, GUEST);
        HeartbeatLog log = new HeartbeatLog(spec.debugLog(), 2);
        String unit = "qemu-vm.service";
        Path sandbox = Files.createDirectories(dir.resolve("sandbox"));
        try (SystemdSandbox systemd = SystemdSandbox.start(sandbox, Map.of(unit, serviceOf(spec,
                "Restart=on-failure\nRestartSec=50ms\n")))) {
            systemd.systemctl("start", unit);
            for (int i = 0; i < 300 && !Files.exists(spec.qmpSocket()); i++) {
                Thread.sleep(100);
            }
            log.awaitProgress(2, GUEST_PROGRESS);
            String first = systemd.show(unit, "MainPID").get("MainPID");
            assertThat(serviceConsole(systemd, spec)).startsWith("REFUSED QEMU pid " + first + " runs in systemd's "
                    + unit + ": once replaced, ");
            assertThat(serviceConsole(systemd, spec, "outside-service")).startsWith("REFUSED ")
                    .contains("systemd's " + unit + ": once replaced, the old QEMU's end is the service's end to"
                            + " systemd, which with Restart=on-failure starts this VM's QEMU again");
            assertThat(systemd.show(unit, "MainPID", "ActiveState")).containsEntry("MainPID", first)
                    .containsEntry("ActiveState", "active");
            log.awaitProgress(2, GUEST_PROGRESS);

            Files.writeString(sandbox.resolve("units").resolve(unit), serviceOf(spec,
                    "Restart=no\nExecStopPost=/bin/rm -f " + dir.resolve("ram") + "\n"));
            systemd.systemctl("daemon-reload");
            assertThat(serviceConsole(systemd, spec, "outside-service")).startsWith("REFUSED ")
                    .contains("which runs /bin/rm -f " + dir.resolve("ram") + " (ExecStopPost=) once its main process");
            Files.writeString(sandbox.resolve("units").resolve(unit), serviceOf(spec, "Restart=no\n"));
            systemd.systemctl("daemon-reload");
            String replaced = serviceConsole(systemd, spec, "outside-service");
            assertThat(replaced).startsWith("COMMITTED ").contains("WARNING ").contains("systemd's " + unit)
                    .doesNotContain("could not ask systemd");
            String next = replaced.lines().findFirst().orElseThrow().substring("COMMITTED ".length());
            log.awaitProgress(2, GUEST_PROGRESS);
            assertThat(systemd.show(unit, "ActiveState", "MainPID")).as("the service ended with the old QEMU")
                    .containsEntry("MainPID", "0").doesNotContainEntry("ActiveState", "active");
            assertThat(systemd.run("kill", "-0", next).status()).as("the new QEMU, pid %s", next).isZero();
        } finally {
            TestQemu.killAllIn(dir);
        }
        log.assertClean();
    }

    /**
     * The console of a forking service's replacement dies right after the commit: its guard finishes the replacement
     * as the console would have — the new QEMU the service's main process and in its cgroups, the service never
     * ended, and the new QEMU systemd's child (a clean stop).
     */
    @Test
    void aForkingQemuServiceIsTakenOverByTheGuardOfAConsoleThatDiedAfterTheCommit() throws Exception {
        HfguestVm spec = TestQemu.vm(dir, "vm", Accelerator.TCG, true, GUEST);
        HeartbeatLog log = new HeartbeatLog(spec.debugLog(), 2);
        String unit = FORKING_UNIT;
        Path guardLog = spec.qmpSocket().resolveSibling(spec.qmpSocket().getFileName() + ".guard.log");
        try (SystemdSandbox systemd = forkingService(spec, log, "/run/qemu-vm.pid")) {
            String before = systemd.show(unit, "MainPID").get("MainPID");
            assertThat(serviceConsole(systemd, spec, "die-after-commit")).doesNotContain("COMMITTED");
            for (int i = 0; i < 300 && !(Files.exists(guardLog) && Files.readString(guardLog).contains("finished:"));
                    i++) {
                Thread.sleep(100);
            }
            assertThat(Files.readString(guardLog)).contains("finished: the new QEMU pid ")
                    .contains("systemd's " + unit + " taken over").doesNotContain("outside");
            Map<String, String> now = systemd.show(unit, "MainPID", "ActiveState", "NRestarts");
            assertThat(now).containsEntry("ActiveState", "active").containsEntry("NRestarts", "0")
                    .doesNotContainEntry("MainPID", before).doesNotContainEntry("MainPID", "0");
            assertThat(systemd.processesOf(unit)).as("the service's cgroup")
                    .containsExactly(Long.parseLong(now.get("MainPID")));
            log.awaitProgress(2, GUEST_PROGRESS);
            systemd.systemctl("stop", unit);
            assertThat(systemd.show(unit, "ActiveState", "Result")).containsEntry("ActiveState", "inactive")
                    .containsEntry("Result", "success");
        } finally {
            TestQemu.killAllIn(dir);
        }
        log.assertClean();
    }

    /**
     * A forking service whose pid file lies in a directory root does not own: systemd would not take a process
     * outside its cgroup from it (an unsafe path, to it), so the new QEMU cannot take the service over, and the QEMU
     * is refused as any other service's.
     */
    @Test
    void aForkingQemuServiceWhosePidFileSystemdWouldNotTrustIsRefused() throws Exception {
        HfguestVm spec = TestQemu.vm(dir, "vm", Accelerator.TCG, true, GUEST);
        HeartbeatLog log = new HeartbeatLog(spec.debugLog(), 2);
        String unit = FORKING_UNIT;
        Path pids = Files.createDirectories(dir.resolve("pids"));
        Files.setAttribute(pids, "unix:uid", 65534);   // nobody's
        try (SystemdSandbox systemd = forkingService(spec, log, pids.resolve("vm.pid").toString())) {
            String main = systemd.show(unit, "MainPID").get("MainPID");
            assertThat(serviceConsole(systemd, spec)).startsWith("REFUSED QEMU pid " + main + " runs in systemd's "
                    + unit + ": once replaced, ").contains("or in a Type=forking unit whose PIDFile= is its -pidfile");
            assertThat(systemd.show(unit, "MainPID", "ActiveState")).containsEntry("MainPID", main)
                    .containsEntry("ActiveState", "active");
            log.awaitProgress(2, GUEST_PROGRESS);
        } finally {
            TestQemu.killAllIn(dir);
        }
        log.assertClean();
    }

    /**
     * {@code spec}'s QEMU started as {@link #FORKING_UNIT} of a sandboxed systemd ({@code -daemonize}, its {@code
     * -pidfile} the unit's PIDFile=, Restart=on-failure), its guest under way.
     */
    private SystemdSandbox forkingService(HfguestVm spec, HeartbeatLog log, String pidfile) throws Exception {
        List<String> argv = new ArrayList<>(spec.commandLine());
        argv.addAll(List.of("-daemonize", "-pidfile", pidfile));
        SystemdSandbox systemd = SystemdSandbox.start(Files.createDirectories(dir.resolve("sandbox")), Map.of(
                FORKING_UNIT, serviceOf(argv, "Type=forking\nPIDFile=" + pidfile + "\nRestart=on-failure\n")));
        try {
            systemd.systemctl("start", FORKING_UNIT);
            log.awaitProgress(2, GUEST_PROGRESS);
            return systemd;
        } catch (Exception | AssertionError e) {
            systemd.close();
            throw e;
        }
    }

    /** What {@link ServiceConsole} printed, run on {@code systemd}'s machine with {@code options}. */
    private static String serviceConsole(SystemdSandbox systemd, HfguestVm spec, String... options) throws Exception {
        List<String> argv = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java")
                .toString(), "-cp", System.getProperty("java.class.path"), ServiceConsole.class.getName(),
                spec.qmpSocket().toString()));
        argv.addAll(List.of(options));
        return systemd.run(argv.toArray(String[]::new)).output();
    }

    /** After the commit a file that cannot be written (here the pid file) is a warning: the new QEMU runs the VM. */
    @Test
    void aPidFileThatCannotBeWrittenAfterTheCommitIsAWarning() throws IOException {
        HfguestVm spec = TestQemu.vm(dir, "vm", Accelerator.TCG, true, GUEST);
        Path pidfile = dir.resolve("vm.pid");
        List<String> argv = new ArrayList<>(spec.commandLine());
        argv.addAll(List.of("-pidfile", pidfile.toString()));
        QemuProcess old = QemuProcess.start(argv, dir.resolve("vm.qmp.log"));
        old.awaitQmp(spec.qmpSocket(), Duration.ofSeconds(30)).close();
        HeartbeatLog log = new HeartbeatLog(spec.debugLog(), 2);
        Files.delete(pidfile);
        Files.createDirectory(pidfile);
        try (RunningVm vm = new RunningVm(spec, old); QemuInstance qemu = QemuInstance.attach(spec.qmpSocket())) {
            log.awaitProgress(2, GUEST_PROGRESS);
            ReplacementResult r = QemuReplacement.replace(qemu, options(ReplacementMode.SHARED), ProgressListener.NONE);
            assertThat(r.warnings()).singleElement().asString()
                    .startsWith("the new QEMU runs the VM, but writing its pid to " + pidfile + " failed");
            try (QemuInstance now = QemuInstance.attach(spec.qmpSocket())) {
                assertThat(now.pid()).isEqualTo(r.newPid());
                assertThat(now.info().status()).isEqualTo("running");
            }
            log.awaitProgress(2, GUEST_PROGRESS);
        } finally {
            TestQemu.killAllIn(dir);
        }
        log.assertClean();
    }

    @Test
    void aStandbyKilledDuringTheMigrationLeavesTheSourceRunning() {
        RunningVm vm = RunningVm.start(TestQemu.vm(dir, "vm", Accelerator.TCG, true, GUEST), dir);
        HeartbeatLog log = new HeartbeatLog(vm.spec().debugLog(), 2);
        String standbyMark = "vm.qmp.next-" + vm.process().pid();
        try (vm; QemuInstance qemu = QemuInstance.attach(vm.spec().qmpSocket())) {
            log.awaitProgress(2, GUEST_PROGRESS);
            // pulled away as the migration starts: progress reports with bytes come every 250 ms, and a copy of
            // this small guest on an idle host can be over before the first one
            ProgressListener killer = p -> {
                if (p.phase().equals(Phase.MIGRATING.word())) {
                    ProcessHandle.allProcesses().filter(h -> TestQemu.mentions(h, standbyMark))
                            .forEach(ProcessHandle::destroyForcibly);
                }
            };
            assertThatThrownBy(() -> QemuReplacement.replace(qemu, options(ReplacementMode.COPY), killer))
                    .isInstanceOf(ReplacementException.class)
                    .hasMessageStartingWith("the migration into the new QEMU failed")
                    .hasMessageEndingWith("rolled back: the VM runs on the old QEMU pid " + vm.process().pid()
                            + " as before");
            assertThat(qemu.info().status()).isEqualTo("running");
            log.awaitProgress(2, GUEST_PROGRESS);
        }
        log.assertClean();
    }
}
