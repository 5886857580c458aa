package dev.hyperfresh.qemu.testing;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

/**
 * An hfguest VM run by real libvirt: its QEMU driver embedded in {@code virt-qemu-run} (libvirt's own tool for a
 * domain without a daemon), which starts QEMU as libvirt does — its monitor, its cgroups, its mount namespace —,
 * keeps the monitor connection while the domain runs, and ends when QEMU does. Its state lives under the test's directory;
 * the domain has a QMP socket of the test's besides libvirt's monitor, as an operator adds one
 * ({@code <qemu:commandline>}). Closing stops virt-qemu-run, which destroys the domain.
 */
public final class LibvirtDomain implements AutoCloseable {
    private static final Path VIRT_QEMU_RUN = Path.of("/usr/bin/virt-qemu-run");

    private final Process runner;
    private final Path root;
    private final String name;
    private final Path qmpSocket;
    private final Path debugLog;

    private LibvirtDomain(Process runner, Path root, String name, Path qmpSocket, Path debugLog) {
        this.runner = runner;
        this.root = root;
        this.name = name;
        this.qmpSocket = qmpSocket;
        this.debugLog = debugLog;
    }

    /** What this host lacks to run one (bin/setup installs it), if anything. */
    public static Optional<String> missing() {
        if (!Files.isExecutable(VIRT_QEMU_RUN)) {
            return Optional.of(VIRT_QEMU_RUN + " is missing (Debian's libvirt-daemon-driver-qemu; bin/setup)");
        }
        try {
            // libvirt's QEMU driver looks its default user up before it reads the qemu.conf that names another
            if (Files.readAllLines(Path.of("/etc/passwd")).stream().noneMatch(l -> l.startsWith("libvirt-qemu:"))) {
                return Optional.of("user libvirt-qemu, which libvirt's QEMU driver needs, is missing (bin/setup)");
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return Optional.empty();
    }

    /** Starts domain {@code name} (1 vCPU, 64 MiB of shared memfd RAM, TCG) with hfguest's {@code guestArgs}. */
    public static LibvirtDomain start(Path dir, String name, String guestArgs) {
        Path root = dir.resolve("libvirt");
        Path qmp = dir.resolve(name + ".qmp");
        Path log = dir.resolve(name + ".hb");
        Path kernel = TestQemu.hfguest(dir);
        String xml = """
                <domain type='qemu' xmlns:qemu='http://libvirt.org/schemas/domain/qemu/1.0'>
                  <name>%s</name>
                  <memory unit='MiB'>64</memory>
                  <vcpu>1</vcpu>
                  <memoryBacking><source type='memfd'/><access mode='shared'/></memoryBacking>
                  <os><type arch='x86_64' machine='q35'>hvm</type><kernel>%s</kernel><cmdline>%s</cmdline></os>
                  <devices><emulator>%s</emulator></devices>
                  <qemu:commandline>
                    <qemu:arg value='-chardev'/><qemu:arg value='file,id=hb,path=%s,append=on'/>
                    <qemu:arg value='-device'/><qemu:arg value='isa-debugcon,iobase=0xe9,chardev=hb'/>
                    <qemu:arg value='-qmp'/><qemu:arg value='unix:%s,server=on,wait=off'/>
                  </qemu:commandline>
                </domain>
                """.formatted(name, kernel, guestArgs, TestQemu.binary().toAbsolutePath(), log, qmp);
        try {
            Files.createDirectories(root.resolve("etc"));
            // QEMU as root, as the tests run; its output to a file rather than to virtlogd, a daemon of its own
            Files.writeString(root.resolve("etc/qemu.conf"), "user = \"root\"\ngroup = \"root\"\n"
                    + "stdio_handler = \"file\"\n");
            Path domain = Files.writeString(dir.resolve(name + ".xml"), xml);
            Process runner = new ProcessBuilder(VIRT_QEMU_RUN.toString(), "--root", root.toString(),
                    domain.toString()).redirectErrorStream(true).redirectOutput(dir.resolve(name + ".libvirt.log")
                    .toFile()).start();
            LibvirtDomain started = new LibvirtDomain(runner, root, name, qmp, log);
            started.awaitQmp(Duration.ofSeconds(60), dir.resolve(name + ".libvirt.log"));
            return started;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private void awaitQmp(Duration timeout, Path runnerLog) throws IOException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (!Files.exists(qmpSocket)) {
            if (!runner.isAlive() || System.nanoTime() > deadline) {
                close();
                throw new IllegalStateException("libvirt did not start the domain: " + Files.readString(runnerLog));
            }
            try {
                Thread.sleep(50);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException(e);
            }
        }
    }

    public Path qmpSocket() {
        return qmpSocket;
    }

    /** libvirt's own monitor of the domain (the first of a fresh state directory: domain id 1), which it holds. */
    public Path monitorSocket() {
        return root.resolve("lib/qemu/domain-1-" + name + "/monitor.sock");
    }

    public Path debugLog() {
        return debugLog;
    }

    /** virt-qemu-run's pid: libvirt, as the QEMU's monitor sees it. */
    public long libvirtPid() {
        return runner.pid();
    }

    /** Whether libvirt still runs the domain (virt-qemu-run ends with its QEMU). */
    public boolean running() {
        return runner.isAlive();
    }

    @Override
    public void close() {
        runner.destroy();
        try {
            if (!runner.waitFor(30, TimeUnit.SECONDS)) {
                runner.destroyForcibly();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
