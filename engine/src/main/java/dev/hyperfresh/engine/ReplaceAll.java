package dev.hyperfresh.engine;

import dev.hyperfresh.engine.ReplaceAllReport.Entry;
import dev.hyperfresh.engine.ReplaceAllReport.QemuBinary;
import dev.hyperfresh.progress.Progress;
import dev.hyperfresh.progress.ProgressListener;
import dev.hyperfresh.qemu.HostQemus;
import dev.hyperfresh.qemu.Libvirt;
import dev.hyperfresh.qemu.QemuExecutable;
import dev.hyperfresh.qemu.launch.QemuProcess;
import dev.hyperfresh.sys.IoFailure;
import dev.hyperfresh.sys.ProgramOutput;
import dev.hyperfresh.vmm.BuildInfo;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/**
 * A host's upgrade: every instance of the socket directory — hfvisor instances onto one build, QEMUs onto one QEMU
 * binary — replaced one at a time in name order (each a whole {@link Replacement#replace} or
 * {@link QemuEngine#replace}), stopping at the first that does not commit (and, an hfvisor's, verify), so that a build
 * that fails fails once and the VMs of the instances after it are not touched. Instances already on the build or the
 * binary are skipped, so the same command, run again after a failure is mended, takes up where it stopped. The host's
 * other QEMUs are taken too where the operator names a directory their QMP sockets lie under, and are otherwise
 * reported as left, so that an upgrade never passes over a VM in silence.
 */
final class ReplaceAll {
    /** A JVM's start: a few tenths of a second on a host, up to a minute in the nested KVM. */
    private static final Duration VERSION_TIMEOUT = Duration.ofSeconds(120);
    /** What {@link BuildInfo} says when a build was not stamped: no two such builds can be told apart. */
    private static final String UNSTAMPED = "unknown";
    /** How a QEMU's {@code --version} begins. */
    private static final String QEMU_SAYS = "QEMU emulator version";

    private ReplaceAll() {
    }

    /**
     * {@code window} null: a dry run ({@link Engine#checkAll}). {@code qemu}'s binary null: $QEMU or
     * qemu-system-x86_64 on PATH; its accelerator is ignored (each QEMU is replaced on the one it runs on).
     * {@code alsoUnder} null: the socket directory's QEMUs only.
     */
    static ReplaceAllReport run(HfvisorEngine engine, Path launcher, QemuReplaceRequest qemu, Path alsoUnder,
                                Duration window, ProgressListener progress) {
        Path under = alsoUnder == null ? null : directory(alsoUnder);
        List<Instance> hfvisors = engine.list();
        QemuEngine qemuEngine = new QemuEngine(engine.config());
        List<QemuVm> qemus = new ArrayList<>(qemus(qemuEngine, hfvisors));
        List<Entry> left = new ArrayList<>();
        for (HostQemus.Found found : qemuEngine.elsewhere(qemus)) {
            String why = leftReason(found, under);
            if (why == null) {
                qemus.add(qemuEngine.survey(found.qmpSockets().get(0)));
            } else {
                left.add(Entry.skipped(found.name().orElse("pid " + found.pid()), true, why));
            }
        }
        if (hfvisors.isEmpty() && qemus.isEmpty() && left.isEmpty()) {
            throw EngineException.precondition("no hfvisor instance or QEMU in " + engine.config().socketDir()
                    + " to replace; `list` shows what runs");
        }
        BuildInfo build = hfvisors.isEmpty() && launcher == null ? null   // one named is checked all the same
                : buildOf(launcher == null ? engine.hfvisorLauncher() : launcher);
        QemuBinary binary = qemus.stream().allMatch(QemuVm::isStale) ? null : qemuBinaryOf(qemu.newBinary());
        List<Candidate> candidates = new ArrayList<>();
        hfvisors.forEach(i -> candidates.add(new HfvisorCandidate(engine, i, skipReason(i, build), launcher, window)));
        QemuReplaceRequest asked = binary == null ? null
                : new QemuReplaceRequest(binary.path(), qemu.copy(), null, qemu.acceptCpuStateLoss(),
                        qemu.outsideService());
        qemus.forEach(vm -> candidates.add(new QemuCandidate(qemuEngine, vm, skipReason(vm, binary), asked)));
        candidates.sort(Comparator.comparing(Candidate::name));

        long toReplace = candidates.stream().filter(c -> c.skip() == null).count();
        List<Entry> entries = new ArrayList<>();
        boolean stopped = false;
        boolean interrupted = false;
        int taken = 0;
        for (Candidate candidate : candidates) {
            if (stopped) {
                entries.add(Entry.notReached(candidate.name(), candidate.qemu()));
            } else if (candidate.skip() != null) {
                entries.add(Entry.skipped(candidate.name(), candidate.qemu(), candidate.skip()));
            } else if (window == null) {
                entries.add(candidate.check());
            } else {
                String label = candidate.name() + " (" + ++taken + " of " + toReplace + "): ";
                Worker worker = new Worker(candidate, p -> progress.onProgress(
                        new Progress(label + p.phase(), p.percent(), p.bytes(), p.elapsedUs())));
                interrupted |= worker.awaitEntry();
                entries.add(worker.entry);
                stopped = interrupted || worker.entry.result() == ReplaceAllReport.Result.FAILED;
            }
        }
        entries.addAll(left);
        return new ReplaceAllReport(build, binary, window == null, interrupted, entries);
    }

    /** One instance to replace, an hfvisor's or a QEMU's. */
    private interface Candidate {
        String name();

        boolean qemu();

        /** Why it is left as it is, or null when it is to be replaced. */
        String skip();

        /** A dry run's entry: what it runs now, or (a QEMU's) why its pre-flight refuses. */
        Entry check();

        /** Its replacement, as an entry: committed, or failed with its report; what throws, {@link #replace} says. */
        Entry replace(ProgressListener progress);
    }

    /** {@code candidate}'s replacement as an entry whatever became of it, a step that threw included. */
    private static Entry replace(Candidate candidate, ProgressListener progress) {
        try {
            return candidate.replace(progress);
        } catch (EngineException e) {
            return Entry.failed(candidate.name(), candidate.qemu(), e);
        } catch (RuntimeException e) {   // kept with the entries before it, which the operator must still be shown
            return Entry.failed(candidate.name(), candidate.qemu(), new EngineException(EngineException.Kind.FAILED,
                    e.getMessage() != null ? e.getMessage() : e.toString(), null, e));
        }
    }

    private record HfvisorCandidate(HfvisorEngine engine, Instance instance, String skip, Path launcher,
                                    Duration window) implements Candidate {
        @Override
        public String name() {
            return instance.name();
        }

        @Override
        public boolean qemu() {
            return false;
        }

        @Override
        public Entry check() {
            return Entry.wouldReplace(name(), false, "pid " + instance.info().pid() + " runs build "
                    + instance.info().buildId());
        }

        @Override
        public Entry replace(ProgressListener progress) {
            ReplaceReport report = engine.replacement(name()).replace(launcher, window, progress);
            EngineException failure = report.failure();
            return failure == null ? Entry.committed(report) : Entry.failed(name(), report, failure);
        }
    }

    private record QemuCandidate(QemuEngine engine, QemuVm vm, String skip, QemuReplaceRequest request)
            implements Candidate {
        @Override
        public String name() {
            return vm.name();
        }

        @Override
        public boolean qemu() {
            return true;
        }

        @Override
        public Entry check() {
            try {
                engine.check(name(), request);
                return Entry.wouldReplace(name(), true, "pid " + vm.info().pid() + " runs "
                        + (vm.program() != null ? vm.program() : "an unknown program") + " (QEMU "
                        + vm.info().version() + ")");
            } catch (EngineException e) {
                return Entry.failed(name(), true, e);
            }
        }

        @Override
        public Entry replace(ProgressListener progress) {
            QemuReplaceReport report = engine.replace(name(), request, progress);
            return report.committed() ? Entry.committed(report) : Entry.failed(name(), report,
                    new EngineException(EngineException.Kind.ROLLED_BACK, "replacement rolled back: "
                            + report.reason(), new VmsOn(name(), report.after().pid()), null));
        }
    }

    /**
     * One replacement on a thread of its own, so that an interrupt of the caller's (Ctrl-C in the shell) never
     * reaches the replacement under way — a cutover's connection closed by it would leave its outcome to be found
     * out — but only stops the run once that instance is done.
     */
    private static final class Worker {
        private final Thread thread;
        private volatile Entry entry;

        Worker(Candidate candidate, ProgressListener progress) {
            thread = new Thread(() -> entry = replace(candidate, progress), "replace-all-" + candidate.name());
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

    /** The QEMUs of the socket directory, each asked its info; a name an hfvisor instance has is the hfvisor's. */
    private static List<QemuVm> qemus(QemuEngine engine, List<Instance> hfvisors) {
        List<String> taken = hfvisors.stream().map(Instance::name).toList();
        return engine.list().stream().filter(vm -> !taken.contains(vm.name())).toList();
    }

    /**
     * Why a QEMU outside the socket directory is left out of the upgrade, or null when it is taken: its (first) QMP
     * socket lies under {@code alsoUnder} (links resolved). One left but reachable is named with the option that
     * would take it.
     */
    static String leftReason(HostQemus.Found found, Path alsoUnder) {
        if (found.runByLibvirt()) {
            return "libvirt runs it (" + Libvirt.ITS_OWN_MEANS + ")";
        }
        if (found.qmpSockets().isEmpty()) {
            return "outside the socket directory, with no QMP socket a console could reach it by";
        }
        Path socket = found.qmpSockets().get(0);
        if (alsoUnder != null && realParent(socket).startsWith(alsoUnder)) {
            return null;
        }
        String program;
        try {
            program = "runs " + QemuExecutable.of(found.pid()) + ", ";
        } catch (IOException e) {
            program = "";
        }
        return program + "outside the socket directory: `--also-under " + socket.getParent() + "` takes it too, or"
                + " `replace qmp:" + socket + "` alone";
    }

    /** {@code --also-under}'s directory as it really lies, which the sockets' directories are compared with. */
    private static Path directory(Path asked) {
        Path real;
        try {
            real = asked.toRealPath();
        } catch (IOException e) {
            throw EngineException.usage("--also-under takes a directory; " + asked + ": " + IoFailure.reason(e));
        }
        if (!Files.isDirectory(real)) {
            throw EngineException.usage("--also-under takes a directory; " + asked + " is not one");
        }
        return real;
    }

    private static Path realParent(Path socket) {
        try {
            return socket.getParent().toRealPath();
        } catch (IOException gone) {
            return socket.getParent();
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

    /** Why the QEMU {@code vm} is left as it is, or null when it is to be replaced by {@code binary}. */
    static String skipReason(QemuVm vm, QemuBinary binary) {
        if (vm.isStale()) {
            return "it does not answer: " + vm.problem();
        }
        if (vm.info().runByLibvirt()) {
            return "libvirt runs it (" + Libvirt.ITS_OWN_MEANS + ")";
        }
        try {
            return QemuExecutable.runs(vm.info().pid(), binary.path()) ? "it already runs " + binary.path() : null;
        } catch (IOException e) {
            return "cannot tell which program it runs (" + IoFailure.reason(e) + "); replace it by its name";
        }
    }

    /**
     * The build {@code launcher} starts, from its {@code --version}: asked before any instance is touched, so that a
     * launcher that cannot start is refused with nothing done.
     */
    static BuildInfo buildOf(Path launcher) {
        String said = versionOf(launcher, "the new build");
        if (said.startsWith(QEMU_SAYS)) {
            throw EngineException.precondition(launcher + " is a QEMU, not an hfvisor build: --all takes the new QEMU"
                    + " binary with --with-qemu; no instance was touched");
        }
        return BuildInfo.find(said).orElseThrow(() -> EngineException.precondition("cannot tell which build "
                + launcher + " is: its --version printed no \"hfvisor VERSION (build ID)\" (it printed: " + said
                + "); no instance was touched"));
    }

    /**
     * The QEMU binary {@code asked} names (null: $QEMU or qemu-system-x86_64 on PATH), with the first line of its
     * {@code --version}: asked before any instance is touched, as {@link #buildOf} asks the launcher.
     */
    static QemuBinary qemuBinaryOf(Path asked) {
        Path binary;
        try {
            binary = asked != null ? asked : QemuProcess.defaultBinary();
        } catch (IllegalStateException e) {
            throw EngineException.precondition(e.getMessage() + "; no instance was touched");
        }
        String said = versionOf(binary, "the new QEMU").lines().findFirst().orElse("").strip();
        if (!said.startsWith(QEMU_SAYS)) {
            throw EngineException.precondition(binary + " does not say it is a QEMU: its --version printed no \""
                    + QEMU_SAYS + " …\" (it printed: " + said + "); no instance was touched");
        }
        return new QemuBinary(binary, said);
    }

    /** What {@code program --version} prints; refused (PRECONDITION) when it does not run, as {@code what}. */
    private static String versionOf(Path program, String what) {
        ProgramOutput version;
        try {
            version = ProgramOutput.of(List.of(program.toString(), "--version"), VERSION_TIMEOUT);
        } catch (IOException e) {
            throw EngineException.precondition("cannot run `" + program + " --version`: " + IoFailure.reason(e)
                    + "; no instance was touched");
        }
        String said = version.output().strip();
        if (version.status() != 0) {
            throw EngineException.precondition(what + " does not start: `" + program + " --version` exited with"
                    + " status " + version.status() + (said.isEmpty() ? "" : ": " + said) + "; no instance was touched");
        }
        return said;
    }
}
