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

    /**
     * With the guest RAM a named file, {@code ramFile} (memory-backend-file, share=on), instead of the memfd: what a
     * QEMU of 8.1 or later needs for its RAM to be left in place.
     */
    public static RunningVm startOnFile(HfguestVm spec, Path dir, Path ramFile, List<String> extra) {
        List<String> argv = new ArrayList<>();
        for (String word : spec.commandLine()) {
            argv.add(word.startsWith("memory-backend-memfd,") ? word.replace("memory-backend-memfd,",
                    "memory-backend-file,mem-path=" + ramFile + ",") : word);
        }
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
