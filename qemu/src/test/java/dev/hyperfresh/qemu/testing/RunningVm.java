package dev.hyperfresh.qemu.testing;

import dev.hyperfresh.qemu.launch.HfguestVm;
import dev.hyperfresh.qemu.launch.QemuProcess;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/** A QEMU running an hfguest VM for a test; closing kills it. */
public record RunningVm(HfguestVm spec, QemuProcess process) implements AutoCloseable {
    public static RunningVm start(HfguestVm spec, Path dir) {
        return start(spec, dir, List.of());
    }

    /** With {@code extra} options after the VM's own (a disk, a display). */
    public static RunningVm start(HfguestVm spec, Path dir, List<String> extra) {
        List<String> argv = new ArrayList<>(spec.commandLine());
        argv.addAll(extra);
        QemuProcess process = QemuProcess.start(argv, dir.resolve(spec.qmpSocket().getFileName() + ".log"));
        process.awaitQmp(spec.qmpSocket(), Duration.ofSeconds(30)).close();
        return new RunningVm(spec, process);
    }

    @Override
    public void close() {
        process.kill();
    }
}
