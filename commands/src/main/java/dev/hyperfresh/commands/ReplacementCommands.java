package dev.hyperfresh.commands;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.hyperfresh.engine.Engine;
import dev.hyperfresh.engine.EngineException;
import dev.hyperfresh.engine.EngineException.Kind;
import dev.hyperfresh.engine.QemuEngine;
import dev.hyperfresh.engine.QemuReplaceReport;
import dev.hyperfresh.engine.QemuReplaceRequest;
import dev.hyperfresh.engine.ReplaceAllReport;
import dev.hyperfresh.engine.ReplaceAllReport.Result;
import dev.hyperfresh.engine.ReplaceReport;
import dev.hyperfresh.engine.Replacement;
import dev.hyperfresh.engine.Snapshot;
import dev.hyperfresh.engine.StandbyReport;
import dev.hyperfresh.engine.Verification;
import dev.hyperfresh.engine.VmsOn;
import dev.hyperfresh.progress.ProgressListener;
import dev.hyperfresh.qemu.Accelerator;
import dev.hyperfresh.qemu.replace.ReplacementPlan;
import dev.hyperfresh.vmm.control.CutoverReply;
import dev.hyperfresh.vmm.control.PrepareReply;
import java.io.File;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;
import org.springframework.shell.standard.FileValueProvider;
import org.springframework.shell.standard.ShellComponent;
import org.springframework.shell.standard.ShellMethod;
import org.springframework.shell.standard.ShellOption;

/**
 * The replacement, step by step (standby, remap, snapshot, cutover, rollback, verify; hfvisor only) and in one
 * (replace; hfvisor or QEMU).
 */
@ShellComponent
public class ReplacementCommands {
    private static final String GROUP = "Replacement";
    /** How long {@code replace} verifies an hfvisor instance unless told; no default for a QEMU, which has none. */
    private static final String REPLACE_SECONDS = "2";
    /** The accelerator {@code replace} checks a QEMU runs on unless told ({@code --all} takes each one's own). */
    private static final Accelerator REPLACE_ACCEL = Accelerator.KVM;

    private final Engine engine;
    private final QemuEngine qemu;
    private final Targets targets;
    private final Renderer renderer;

    public ReplacementCommands(Engine engine, QemuEngine qemu, Targets targets, Renderer renderer) {
        this.engine = engine;
        this.qemu = qemu;
        this.targets = targets;
        this.renderer = renderer;
    }

    @ShellMethod(key = "standby", value = "Start a standby hfvisor (possibly another build) for the instance.", group = GROUP)
    public String standby(
            @ShellOption(value = "--instance", defaultValue = ShellOption.NULL, valueProvider = InstanceNames.class, arity = 1, help = "instance (default: attached)") String instance,
            @ShellOption(value = "--with", defaultValue = ShellOption.NULL, valueProvider = FileValueProvider.class, arity = 1, help = "launcher of the new build (default: bin/hfvisor)") File with,
            @ShellOption(value = "--json", defaultValue = "false", help = "print one JSON object") boolean json) {
        StandbyReport r = step(instance, "standby", json, (rep, progress) -> rep.standby(with == null ? null : with.toPath(),
                progress));
        return json ? Outcome.ok().render(JsonOutput.tree(r))
                : "standby " + Views.ref(r.standby()) + " is up after " + Units.micros(r.startUs())
                        + "; it runs no guest until it owns one\nnext: `remap`";
    }

    @ShellMethod(key = "remap", value = "Share every VM's memory with the standby (no copy); the guests keep running.", group = GROUP)
    public String remap(
            @ShellOption(value = "--instance", defaultValue = ShellOption.NULL, valueProvider = InstanceNames.class, arity = 1, help = "instance (default: attached)") String instance,
            @ShellOption(value = "--json", defaultValue = "false", help = "print one JSON object") boolean json) {
        PrepareReply r = step(instance, "remap", json, Replacement::remap);
        return json ? Outcome.ok().render(JsonOutput.tree(r)) : Views.prepare(r);
    }

    @ShellMethod(key = "snapshot", value = "Save every VM's state as a cutover would move it; show it or write it to a file.", group = GROUP)
    public String snapshot(
            @ShellOption(value = "--instance", defaultValue = ShellOption.NULL, valueProvider = InstanceNames.class, arity = 1, help = "instance (default: attached)") String instance,
            @ShellOption(value = "--show", defaultValue = "summary", arity = 1, help = "summary, regs or devices") SnapshotView show,
            @ShellOption(value = "--save", defaultValue = ShellOption.NULL, valueProvider = FileValueProvider.class, arity = 1, help = "write the encoded state to FILE") File save,
            @ShellOption(value = "--json", defaultValue = "false", help = "print one JSON object") boolean json) {
        Snapshot s = engine.replacement(targets.hfvisor(instance, "snapshot")).snapshot(save == null ? null : save.toPath());
        return json ? Outcome.ok().render(SnapshotViews.json(s)) : SnapshotViews.text(s, show);
    }

    @ShellMethod(key = "cutover", value = "Move the VMs to the remapped standby: pause, save, hand over, restore, resume.", group = GROUP)
    public String cutover(
            @ShellOption(value = "--instance", defaultValue = ShellOption.NULL, valueProvider = InstanceNames.class, arity = 1, help = "instance (default: attached)") String instance,
            @ShellOption(value = "--json", defaultValue = "false", help = "print one JSON object") boolean json) {
        String target = targets.hfvisor(instance, "cutover");
        CutoverReply r = step(target, "cutover", json, Replacement::cutover);
        ObjectNode node = JsonOutput.tree(r);
        if (!r.committed()) {
            throw new OutputAndFailure(Kind.ROLLED_BACK, "cutover rolled back: " + r.reason(), runningOn(target),
                    json ? node : Views.cutover(r));
        }
        return json ? Outcome.committed(VmsOn.of(r.newInstance())).render(node) : Views.cutover(r);
    }

    @ShellMethod(key = "rollback", value = "Drop the standby (and its remap) before a cutover; the VMs never stop.", group = GROUP)
    public String rollback(
            @ShellOption(value = "--instance", defaultValue = ShellOption.NULL, valueProvider = InstanceNames.class, arity = 1, help = "instance (default: attached)") String instance,
            @ShellOption(value = "--json", defaultValue = "false", help = "print one JSON object") boolean json) {
        String target = targets.hfvisor(instance, "rollback");
        engine.replacement(target).rollback();
        return json ? Outcome.ok().render(JsonOutput.object().put("instance", target).put("rolled_back", true))
                : "rolled back: the standby is gone, " + target + " runs its VMs as before";
    }

    @ShellMethod(key = "verify", value = "Watch the guests' heartbeats (hfguest's, or the Linux test guest's on its console) and check them: sequence, errors, TSC, ticks; after a cutover, the largest pause the guest saw across it and in a control window (guest_gap_us, control_gap_us).", group = GROUP)
    public String verify(
            @ShellOption(value = "--instance", defaultValue = ShellOption.NULL, valueProvider = InstanceNames.class, arity = 1, help = "instance (default: attached)") String instance,
            @ShellOption(value = "--seconds", defaultValue = "2", arity = 1, help = "how long to watch") double seconds,
            @ShellOption(value = "--json", defaultValue = "false", help = "print one JSON object") boolean json) {
        Duration window = window(seconds);
        String target = targets.hfvisor(instance, "verify");
        Verification v = step(target, "verify", json, (rep, progress) -> rep.verify(window, progress));
        if (!v.ok()) {
            throw new OutputAndFailure(Kind.FAILED, "verify found problems: " + String.join("; ", v.problems()),
                    runningOn(target), json ? Views.verificationJson(v) : Views.verification(v));
        }
        return json ? Outcome.ok().render(Views.verificationJson(v)) : Views.verification(v);
    }

    @ShellMethod(key = "replace", value = "Replace the instance live: standby, remap, cutover and verify in one; a QEMU by migrating into a new QEMU process.", group = GROUP)
    public String replace(
            @ShellOption(value = "--instance", defaultValue = ShellOption.NULL, valueProvider = InstanceNames.class, arity = 1, help = "instance (default: attached)") String instance,
            @ShellOption(value = "--with", defaultValue = ShellOption.NULL, valueProvider = FileValueProvider.class, arity = 1, help = "launcher of the new build (default: bin/hfvisor), or the new QEMU binary (default: $QEMU or qemu-system-x86_64 on PATH)") File with,
            @ShellOption(value = "--seconds", defaultValue = ShellOption.NULL, arity = 1, help = "how long verify watches (hfvisor; default " + REPLACE_SECONDS + ")") Double seconds,
            @ShellOption(value = "--copy", defaultValue = "false", help = "QEMU: copy the guest RAM (ordinary live migration) instead of sharing it") boolean copy,
            @ShellOption(value = "--accel", defaultValue = ShellOption.NULL, valueProvider = AcceleratorNames.class, arity = 1, help = "QEMU: the accelerator the VM runs on, kvm (default) or tcg (checked, never changed)") String accel,
            @ShellOption(value = "--accept-cpu-state-loss", defaultValue = "false", help = "QEMU: replace even a guest whose CPU state QEMU's migration would not carry (its AVX registers on a PVM host), refused otherwise") boolean acceptCpuStateLoss,
            @ShellOption(value = "--outside-service", defaultValue = "false", help = "QEMU: replace even a QEMU in a systemd service's cgroup (a unit without Restart=: one systemd would start again is refused still), the new one then running outside the service; refused otherwise") boolean outsideService,
            @ShellOption(value = "--check", defaultValue = "false", help = "pre-flight only, nothing is started: for a QEMU what the replacement would do (the new QEMU's command line, the taps and sockets handed over, the host forwards) or why it would refuse; with --all which instances would be replaced") boolean check,
            @ShellOption(value = "--all", defaultValue = "false", help = "every instance of the socket directory not already on the new build (hfvisor) or binary (QEMU), one after another in name order; stops at the first that does not commit (and verify)") boolean all,
            @ShellOption(value = "--with-qemu", defaultValue = ShellOption.NULL, valueProvider = FileValueProvider.class, arity = 1, help = "with --all: the new QEMU binary for the QEMUs (default: $QEMU or qemu-system-x86_64 on PATH)") File withQemu,
            @ShellOption(value = "--also-under", defaultValue = ShellOption.NULL, valueProvider = FileValueProvider.class, arity = 1, help = "with --all: also the host's QEMUs outside the socket directory whose QMP socket lies under this directory (/ for all of them); the others are listed as left") File alsoUnder,
            @ShellOption(value = "--json", defaultValue = "false", help = "print one JSON object") boolean json) {
        if (all) {
            if (accel != null) {
                throw EngineException.usage("--accel checks the accelerator of the QEMU replaced by its name; --all"
                        + " replaces each QEMU on the one it runs on");
            }
            return replaceAll(instance, with, withQemu, alsoUnder, seconds, copy, acceptCpuStateLoss, outsideService,
                    check, json);
        }
        if (withQemu != null) {
            throw EngineException.usage("--with-qemu names the QEMU binary for --all; a QEMU replaced by its name"
                    + " takes its new binary from --with");
        }
        if (alsoUnder != null) {
            throw EngineException.usage("--also-under widens --all to QEMUs outside the socket directory; one QEMU is"
                    + " named by its socket, qmp:PATH");
        }
        String target = targets.target(instance);
        if (targets.isQemu(target)) {
            if (seconds != null) {   // said rather than ignored: a script that asks for a window must not think it got one
                throw EngineException.usage("--seconds is for hfvisor instances (how long verify watches); " + target
                        + " is a QEMU, whose replacement has no verify window");
            }
            QemuReplaceRequest request = new QemuReplaceRequest(with == null ? null : with.toPath(), copy,
                    accel == null ? REPLACE_ACCEL : Accelerator.parse(accel), acceptCpuStateLoss, outsideService);
            if (check) {
                ReplacementPlan plan = qemu.check(target, request);
                return json ? Outcome.ok().render(QemuViews.planJson(target, plan)) : QemuViews.plan(target, plan);
            }
            return replaceQemu(target, request, json);
        }
        if (copy || acceptCpuStateLoss || outsideService || check) {
            throw EngineException.usage((copy ? "--copy" : acceptCpuStateLoss ? "--accept-cpu-state-loss"
                    : outsideService ? "--outside-service" : "--check")
                    + " is for QEMU instances; " + target + " is not a QEMU (qmp:PATH, or NAME.qmp in the socket"
                    + " directory)" + (check ? "; an hfvisor's `standby` checks a new build against its VMs, and"
                    + " `rollback` drops it; `replace --all --check` says which instances a build would replace" : ""));
        }
        Duration window = window(seconds == null ? Double.parseDouble(REPLACE_SECONDS) : seconds);
        ReplaceReport r = step(target, "replace", json, (rep, progress) -> rep.replace(
                with == null ? null : with.toPath(), window, progress));
        Object shown = json ? Views.replaceJson(r) : Views.replace(r);
        EngineException failure = r.failure();
        if (failure != null) {
            throw new OutputAndFailure(failure.kind(), failure.getMessage(), failure.vmsOn(), shown);
        }
        return json ? Outcome.committed(VmsOn.of(r.after())).render(Views.replaceJson(r)) : Views.replace(r);
    }

    private String replaceAll(String instance, File with, File withQemu, File alsoUnder, Double seconds, boolean copy,
                              boolean acceptCpuStateLoss, boolean outsideService, boolean check, boolean json) {
        if (instance != null) {
            throw EngineException.usage("--all replaces every instance of the socket directory; name none (got "
                    + instance + "), or replace " + instance + " alone without --all");
        }
        Duration window = window(seconds == null ? Double.parseDouble(REPLACE_SECONDS) : seconds);
        QemuReplaceRequest qemuRequest = new QemuReplaceRequest(withQemu == null ? null : withQemu.toPath(), copy,
                null, acceptCpuStateLoss, outsideService);
        Path qemusAlsoUnder = alsoUnder == null ? null : alsoUnder.toPath();
        if (check) {
            ReplaceAllReport plan = engine.checkAll(with == null ? null : with.toPath(), qemuRequest, qemusAlsoUnder);
            Object shown = json ? ReplaceAllViews.json(plan) : ReplaceAllViews.text(plan);
            Optional<ReplaceAllReport.Entry> refused = plan.failed();
            if (refused.isPresent()) {
                EngineException failure = refused.get().failure();
                throw new OutputAndFailure(failure.kind(), refused.get().instance() + ": " + failure.getMessage()
                        + " (`replace --all` would stop there; nothing was started)", failure.vmsOn(), shown);
            }
            return json ? Outcome.ok().render((ObjectNode) shown) : (String) shown;
        }
        ReplaceAllReport r;
        try {
            r = engine.replaceAll(with == null ? null : with.toPath(), qemuRequest, qemusAlsoUnder, window,
                    json ? ProgressListener.NONE : renderer.progress());
        } finally {
            renderer.endProgress();
        }
        r.instances().forEach(e -> ReplaceAllViews.warnings(e)
                .forEach(w -> renderer.error("warning: " + e.instance() + ": " + w)));
        Object shown = json ? ReplaceAllViews.json(r) : ReplaceAllViews.text(r);
        Optional<ReplaceAllReport.Entry> failed = r.failed();
        if (failed.isPresent()) {
            EngineException failure = failed.get().failure();
            throw new OutputAndFailure(failure.kind(), failed.get().instance() + ": " + failure.getMessage() + " ("
                    + r.count(Result.COMMITTED) + " replaced before it, " + r.count(Result.NOT_REACHED)
                    + " not reached and untouched)", failure.vmsOn(), shown);
        }
        if (r.interrupted()) {
            throw new OutputAndFailure(Kind.FAILED, "stopped by an interrupt (Ctrl-C) once the instance under way was"
                    + " done: " + r.count(Result.COMMITTED) + " replaced, " + r.count(Result.NOT_REACHED)
                    + " not reached and untouched; `replace --all` again goes on", null, shown);
        }
        if (!json) {
            return (String) shown;
        }
        return (r.count(Result.COMMITTED) > 0 ? Outcome.committed(null) : Outcome.ok()).render((ObjectNode) shown);
    }

    private String replaceQemu(String target, QemuReplaceRequest request, boolean json) {
        QemuReplaceReport r;
        try {
            r = qemu.replace(target, request, json ? ProgressListener.NONE : renderer.progress());
        } finally {
            renderer.endProgress();
        }
        VmsOn vmsOn = new VmsOn(r.instance(), r.after().pid());
        if (!r.committed()) {
            throw new OutputAndFailure(Kind.ROLLED_BACK, "replacement rolled back: " + r.reason(), vmsOn,
                    json ? QemuViews.replaceJson(r) : QemuViews.replace(r));
        }
        return json ? Outcome.committed(vmsOn).render(QemuViews.replaceJson(r)) : QemuViews.replace(r);
    }

    @ShellMethod(key = "history", value = "Past replacements with their per-phase times and the guest gap against its control.", group = GROUP)
    public String history(
            @ShellOption(value = "--instance", defaultValue = ShellOption.NULL, valueProvider = InstanceNames.class, arity = 1, help = "only this instance") String instance,
            @ShellOption(value = "--json", defaultValue = "false", help = "print one JSON object") boolean json) {
        var entries = engine.history().stream().filter(e -> instance == null || e.instance().equals(instance))
                .toList();
        if (json) {
            ArrayNode array = JsonOutput.MAPPER.createArrayNode();
            entries.forEach(e -> array.add(JsonOutput.tree(e)));
            ObjectNode out = JsonOutput.object();
            out.set("replacements", array);
            return Outcome.ok().render(out);
        }
        return entries.isEmpty() ? "no replacements yet" : HistoryView.table(entries);
    }

    /** Runs one step; what went wrong beside it goes to the error stream, so that --json's stdout stays one object. */
    private <T> T step(String instance, String command, boolean json, StepCall<T> call) {
        Replacement replacement = engine.replacement(targets.hfvisor(instance, command));
        try {
            return call.run(replacement, json ? p -> { } : renderer.progress());
        } finally {
            renderer.endProgress();
            replacement.takeWarnings().forEach(w -> renderer.error("warning: " + w));
        }
    }

    /** Who runs the VMs of {@code target} now, as the engine finds it; null when it does not answer. */
    private VmsOn runningOn(String target) {
        try {
            return VmsOn.of(engine.instance(target).ref());
        } catch (EngineException notAnswering) {
            return null;
        }
    }

    private static Duration window(double seconds) {
        if (!(seconds > 0 && seconds <= 600)) {
            throw EngineException.usage("--seconds must be more than 0 and at most 600, got " + seconds);
        }
        return Duration.ofMillis((long) (seconds * 1000));
    }

    @FunctionalInterface
    private interface StepCall<T> {
        T run(Replacement replacement, ProgressListener progress);
    }
}
