package dev.hyperfresh.qemu.testing;

import dev.hyperfresh.qemu.launch.HfguestVm;
import dev.hyperfresh.qemu.launch.QemuProcess;
import java.nio.file.Path;
import java.time.Duration;

/** A QEMU running an hfguest VM for a test; closing kills it. */
public record RunningVm(HfguestVm spec, QemuProcess process) implements AutoCloseable {
    public static RunningVm start(HfguestVm spec, Path dir) {
        QemuProcess process = QemuProcess.start(spec.commandLine(), dir.resolve(spec.qmpSocket().getFileName() + ".log"));
        process.awaitQmp(spec.qmpSocket(), Duration.ofSeconds(30)).close();
        return new RunningVm(spec, process);
    }

    @Override
    public void close() {
        process.kill();
    }
}
