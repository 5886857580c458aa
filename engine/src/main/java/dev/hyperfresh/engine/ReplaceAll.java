package dev.hyperfresh.engine;

import dev.hyperfresh.engine.ReplaceAllReport.Entry;
import dev.hyperfresh.progress.Progress;
import dev.hyperfresh.progress.ProgressListener;
import dev.hyperfresh.qemu.QemuDirectory;
import dev.hyperfresh.sys.IoFailure;
import dev.hyperfresh.vmm.BuildInfo;
import java.io.File;
import java.io.IOException;
import java.lang.ProcessBuilder.Redirect;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.TimeUnit;

/**
 * A host's upgrade: every active instance of the socket directory replaced by one build, one at a time (each a whole
 * {@link Replacement#replace}), stopping at the first that does not commit and verify, so that a build that fails
 * fails once and the VMs of the instances after it are not touched. Instances already on the build are skipped,
 * so the same command, run again after a failure is mended, takes up where it stopped.
 */
final class ReplaceAll {
    /** A JVM's start: a few tenths of a second on a host, up to a minute in the nested KVM. */
    private static final Duration VERSION_TIMEOUT = Duration.ofSeconds(120);
    /** What {@link BuildInfo} says when a build was not stamped: no two such builds can be told apart. */
    private static final String UNSTAMPED = "unknown";

    private ReplaceAll() {
    }

    /** {@code window} null: a dry run ({@link Engine#checkAll}). */
    static ReplaceAllReport run(HfvisorEngine engine, Path launcher, Duration window, ProgressListener progress) {
        List<Instance> found = engine.list();
        if (found.isEmpty()) {
            throw EngineException.precondition("no hfvisor instance in " + engine.config().socketDir()
                    + " to replace; `list` shows what runs");
        }
        BuildInfo build = buildOf(launcher == null ? engine.hfvisorLauncher() : launcher);
        List<String> skips = found.stream().map(i -> skipReason(i, build)).toList();
        long toReplace = skips.stream().filter(Objects::isNull).count();
        List<Entry> entries = new ArrayList<>();
        boolean stopped = false;
        boolean interrupted = false;
        int taken = 0;
        for (int i = 0; i < found.size(); i++) {
            Instance instance = found.get(i);
            String name = instance.name();
            String skip = skips.get(i);
            if (stopped) {
                entries.add(Entry.notReached(name));
            } else if (skip != null) {
                entries.add(Entry.skipped(name, skip));
            } else if (window == null) {
                entries.add(Entry.wouldReplace(name, "pid " + instance.info().pid() + " runs build "
                        + instance.info().buildId()));
            } else {
                String label = name + " (" + ++taken + " of " + toReplace + "): ";
                Worker worker = new Worker(engine.replacement(name), launcher, window, p -> progress.onProgress(
                        new Progress(label + p.phase(), p.percent(), p.bytes(), p.elapsedUs())));
                interrupted |= worker.awaitEntry();
                entries.add(worker.entry);
                stopped = interrupted || worker.entry.result() == ReplaceAllReport.Result.FAILED;
            }
        }
        entries.addAll(qemus(engine.config().socketDir(), found));
        entries.sort(Comparator.comparing(Entry::instance));
        return new ReplaceAllReport(build, window == null, interrupted, entries);
    }

    /**
     * One instance's replacement on a thread of its own, so that an interrupt of the caller's (Ctrl-C in the shell)
     * never reaches the replacement under way — a cutover's connection closed by it would leave its outcome to be
     * found out — but only stops the run once that instance is done.
     */
    private static final class Worker {
        private final Thread thread;
        private volatile Entry entry;

        Worker(Replacement replacement, Path launcher, Duration window, ProgressListener progress) {
            thread = new Thread(() -> entry = replace(replacement, launcher, window, progress),
                    "replace-all-" + replacement.instance());
            thread.start();
        }

        /** Waits for the entry; whether the caller was interrupted meanwhile (the flag is consumed). */
        boolean awaitEntry() {
            boolean interrupted = false;
            while (true) {
                try {
                    thread.join();
                    return interrupted;
                } catch (InterruptedException e) {
                    interrupted = true;
                }
            }
        }
    }

    /**
     * The QEMUs of the socket directory, as skipped rows: named, so that nobody takes them for upgraded too (a QEMU is
     * replaced by another program, named by its own {@code replace NAME --with}).
     */
    private static List<Entry> qemus(Path dir, List<Instance> hfvisors) {
        List<String> taken = hfvisors.stream().map(Instance::name).toList();
        return QemuDirectory.sockets(dir).stream().map(p -> p.getFileName().toString())
                .map(f -> f.substring(0, f.length() - QemuDirectory.SUFFIX.length()))
                .filter(name -> !taken.contains(name))
                .map(name -> Entry.skipped(name, "a QEMU: replace it by its name (`replace " + name + " --with"
                        + " QEMU_BINARY`)")).toList();
    }

    private static Entry replace(Replacement replacement, Path launcher, Duration window, ProgressListener progress) {
        try {
            ReplaceReport report = replacement.replace(launcher, window, progress);
            EngineException failure = report.failure();
            return failure == null ? Entry.committed(report) : Entry.failed(report.instance(), report, failure);
        } catch (EngineException e) {
            return Entry.failed(replacement.instance(), null, e);
        } catch (RuntimeException e) {   // kept with the entries before it, which the operator must still be shown
            return Entry.failed(replacement.instance(), null, new EngineException(EngineException.Kind.FAILED,
                    e.getMessage() != null ? e.getMessage() : e.toString(), null, e));
        }
    }

    /** Why {@code instance} is left as it is, or null when it is to be replaced. */
    static String skipReason(Instance instance, BuildInfo build) {
        if (instance.isStale()) {
            return "it does not answer: " + instance.problem();
        }
        if (instance.isStandby()) {
            return "it is a standby (of a replacement under way)";
        }
        String running = instance.info().buildId();
        if (!UNSTAMPED.equals(build.buildId()) && build.buildId().equals(running)) {
            return "it already runs build " + running;
        }
        return null;
    }

    /**
     * The build {@code launcher} starts, from its {@code --version}: asked before any instance is touched, so that a
     * launcher that cannot start is refused with nothing done.
     */
    static BuildInfo buildOf(Path launcher) {
        Path output = null;
        try {
            output = Files.createTempFile("hyperfresh-version", ".txt");
            Process process = new ProcessBuilder(launcher.toString(), "--version").redirectErrorStream(true)
                    .redirectOutput(output.toFile()).redirectInput(Redirect.from(new File("/dev/null")))
                    .start();
            if (!process.waitFor(VERSION_TIMEOUT.toSeconds(), TimeUnit.SECONDS)) {
                process.destroyForcibly();
                throw EngineException.precondition("`" + launcher + " --version` did not answer within "
                        + VERSION_TIMEOUT.toSeconds() + " s; no instance was touched");
            }
            String said = Files.readString(output).strip();
            if (process.exitValue() != 0) {
                throw EngineException.precondition("the new build does not start: `" + launcher + " --version` exited"
                        + " with status " + process.exitValue() + (said.isEmpty() ? "" : ": " + said)
                        + "; no instance was touched");
            }
            return BuildInfo.find(said).orElseThrow(() -> EngineException.precondition("cannot tell which build "
                    + launcher + " is: its --version printed no \"hfvisor VERSION (build ID)\" (it printed: " + said
                    + "); no instance was touched"));
        } catch (IOException e) {
            throw EngineException.precondition("cannot run `" + launcher + " --version`: " + IoFailure.reason(e)
                    + "; no instance was touched");
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw EngineException.failed("interrupted while asking " + launcher + " its build; no instance was"
                    + " touched");
        } finally {
            if (output != null) {
                try {
                    Files.deleteIfExists(output);
                } catch (IOException ignored) {
                    // a temporary file of a few bytes
                }
            }
        }
    }
}
