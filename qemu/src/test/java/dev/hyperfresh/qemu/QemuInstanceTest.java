package dev.hyperfresh.qemu;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.hyperfresh.qemu.qmp.QmpIoException;
import dev.hyperfresh.qemu.qmp.QmpTimeoutException;
import dev.hyperfresh.qemu.replace.NotReplaceableException;
import dev.hyperfresh.qemu.replace.QemuReplacement;
import dev.hyperfresh.qemu.replace.ReplacementMode;
import dev.hyperfresh.qemu.replace.ReplacementOptions;
import dev.hyperfresh.qemu.testing.ForeignClient;
import dev.hyperfresh.qemu.testing.RunningVm;
import dev.hyperfresh.qemu.testing.TestQemu;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Discovery and attach on real QEMUs: one VM with shareable RAM, one with private RAM. */
class QemuInstanceTest {
    @TempDir
    static Path dir;
    static RunningVm shared;
    static RunningVm private_;

    @BeforeAll
    static void start() {
        shared = RunningVm.start(TestQemu.vm(dir, "a-shared", Accelerator.TCG, true, "cpus=2 mem_pct=5 hb_ms=100"), dir);
        private_ = RunningVm.start(TestQemu.vm(dir, "b-private", Accelerator.TCG, false, "cpus=2 mem_pct=5 hb_ms=100"),
                dir);
    }

    @AfterAll
    static void stop() {
        shared.close();
        private_.close();
    }

    @Test
    void surveyListsEveryQmpSocketWithItsVm() {
        List<QemuDirectory.Entry> entries = QemuDirectory.survey(dir, Duration.ofSeconds(2));
        assertThat(entries).extracting(QemuDirectory.Entry::qmpSocket)
                .containsExactly(shared.spec().qmpSocket(), private_.spec().qmpSocket());
        QemuInfo a = entries.get(0).info();
        assertThat(a.pid()).isEqualTo(shared.process().pid());
        assertThat(a.status()).isEqualTo("running");
        assertThat(a.running()).isTrue();
        assertThat(a.version()).startsWith("7.");
        assertThat(a.accelerator()).isEqualTo(Accelerator.TCG);
        assertThat(a.vcpus()).extracting(QemuVcpu::index).containsExactly(0, 1);
        assertThat(a.vcpus()).allSatisfy(v -> assertThat(Path.of("/proc", Long.toString(a.pid()), "task",
                Long.toString(v.threadId()))).exists());
        assertThat(a.memory()).containsExactly(new MemoryBackend("ram0", MemoryBackend.MEMFD, 128L << 20, true));
        assertThat(a.memory().get(0).replaceableInPlace(a)).as("a memfd, on QEMU 7.2").isTrue();
        assertThat(a.migratesUnnamedSharedRam()).isFalse();

        QemuInfo b = entries.get(1).info();
        assertThat(b.pid()).isEqualTo(private_.process().pid());
        assertThat(b.memory()).singleElement().satisfies(m -> {
            assertThat(m.type()).isEqualTo("memory-backend-ram");
            assertThat(m.shared()).isFalse();
            assertThat(m.replaceableInPlace(b)).isFalse();
        });
    }

    @Test
    void attachAcceptsQmpPrefix() {
        try (QemuInstance qemu = QemuInstance.attach("qmp:" + shared.spec().qmpSocket())) {
            assertThat(qemu.pid()).isEqualTo(shared.process().pid());
            assertThat(qemu.info().memoryBytes()).isEqualTo(128L << 20);
        }
    }

    @Test
    void busySocketIsReportedNotFatal() {
        try (QemuInstance holder = QemuInstance.attach(private_.spec().qmpSocket())) {
            List<QemuDirectory.Entry> entries = QemuDirectory.survey(dir, Duration.ofSeconds(2));
            assertThat(entries.get(0).info()).isNotNull();
            assertThat(entries.get(1).problem()).contains("another client may hold this QMP socket");
        }
    }

    /** A socket another program holds is named at once, not after the greeting's whole time-out. */
    @Test
    void aSocketAnotherProgramHoldsIsNamedAtOnce() {
        try (ForeignClient holder = ForeignClient.connect(private_.spec().qmpSocket())) {
            assertThatThrownBy(() -> QemuInstance.attach(private_.spec().qmpSocket()))
                    .isInstanceOf(QmpIoException.class).isNotInstanceOf(QmpTimeoutException.class).hasMessage("the QMP socket "
                            + private_.spec().qmpSocket() + " is taken: python3 (pid " + holder.pid() + ") is connected"
                            + " to it, and QEMU serves one QMP client at a time; try again once it has disconnected");
        }
    }

    @Test
    void aMissingDirectoryHasNoSockets() {
        assertThat(QemuDirectory.sockets(dir.resolve("absent"))).isEmpty();
    }

    @Test
    void preflightDerivesTheStandbyAndNeverSwitchesAccelerator() {
        try (QemuInstance qemu = QemuInstance.attach(shared.spec().qmpSocket())) {
            ReplacementOptions tcg = ReplacementOptions.of(TestQemu.binary(), ReplacementMode.SHARED)
                    .withAccelerator(Accelerator.TCG);
            List<String> argv = QemuReplacement.check(qemu, tcg).commandLine();
            // the RAM as our own pidfd_getfd copy of the running QEMU's memfd
            assertThat(argv.get(argv.indexOf("-object") + 1)).matches(
                    "memory-backend-file,id=ram0,size=128M,share=on,mem-path=/proc/" + ProcessHandle.current().pid()
                            + "/fd/[0-9]+");
            // running, so no -S: the new QEMU runs the guest as its load ends, which the stream's hold keeps back
            assertThat(argv).endsWith("-incoming", "defer").doesNotContain("-S");
            assertThat(String.join(" ", argv)).contains("unix:" + shared.spec().qmpSocket() + ".next-" + qemu.pid());

            assertThatThrownBy(() -> QemuReplacement.check(qemu, tcg.withAccelerator(Accelerator.KVM)))
                    .isInstanceOf(NotReplaceableException.class)
                    .hasMessage("QEMU pid " + qemu.pid() + " runs on tcg, not on kvm as asked: pass the accelerator"
                            + " it really uses");
        }
    }
}
