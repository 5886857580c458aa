package dev.hyperfresh.commands;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.hyperfresh.engine.Engine;
import dev.hyperfresh.engine.EngineException;
import dev.hyperfresh.engine.Instance;
import dev.hyperfresh.engine.LaunchRequest;
import dev.hyperfresh.engine.Replacement;
import dev.hyperfresh.engine.Snapshot;
import dev.hyperfresh.engine.StandbyReport;
import dev.hyperfresh.engine.Verification;
import dev.hyperfresh.progress.ProgressListener;
import dev.hyperfresh.vmm.control.CutoverReply;
import dev.hyperfresh.vmm.control.PrepareReply;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import org.springframework.shell.standard.ShellComponent;
import org.springframework.shell.standard.ShellMethod;
import org.springframework.shell.standard.ShellOption;

/**
 * The guided tour: launches a VM, replaces its hypervisor live one step at a time, says before each step what it
 * does and why, shows what moved and what stayed, what the guest itself saw, and cleans up.
 */
@ShellComponent
public class DemoCommand {
    private static final Duration WATCH = Duration.ofSeconds(2);

    private final Engine engine;
    private final Session session;
    private final Renderer renderer;

    public DemoCommand(Engine engine, Session session, Renderer renderer) {
        this.engine = engine;
        this.session = session;
        this.renderer = renderer;
    }

    @ShellMethod(key = "demo", value = "A guided tour: launch a VM, replace its hypervisor live step by step, clean up.", group = "Tour")
    public String demo(
            @ShellOption(value = "--name", defaultValue = "tour", arity = 1, help = "instance name for the tour") String name,
            @ShellOption(value = "--mem", defaultValue = "256M", arity = 1, help = "guest memory") String mem,
            @ShellOption(value = "--cpus", defaultValue = "2", arity = 1, help = "vCPUs") int cpus,
            @ShellOption(value = "--keep", defaultValue = "false", help = "leave the instance running afterwards") boolean keep,
            @ShellOption(value = "--json", defaultValue = "false", help = "no narration; one JSON summary") boolean json) {
        Narrator say = new Narrator(json);
        say.step("Start hfvisor instance '" + name + "' with VM 'web': " + cpus + " vCPUs, " + mem + " of RAM in a"
                + " memfd, running hfguest.", "hfguest checks itself all the time: memory patterns, register"
                + " canaries, timer ticks, and the longest pause it notices. It reports all of it in heartbeats.");
        Instance launched = engine.launch(new LaunchRequest(name, List.of(VmSpecs.of("web", mem, cpus,
                GuestKind.hfguest, null, null, null, List.of(), List.of(), Reboot.restart))), say.progress());
        say.done("running as pid " + launched.info().pid() + ", hfvisor " + launched.info().version());
        boolean cleanUp = !keep;
        try {
            Replacement replacement = engine.replacement(name);
            say.step("Listen to the guest for " + WATCH.toSeconds() + " s before touching anything.",
                    "This is the baseline: heartbeats numbered without gaps, zero errors.");
            Verification baseline = replacement.verify(WATCH, say.progress());
            say.done(baseline.heartbeats() + " heartbeats from " + baseline.cpus() + " vCPUs, memory errors "
                    + baseline.memoryErrors() + ", canary errors " + baseline.canaryErrors());

            say.step("Start a standby hfvisor: a second process (it could be a newer build).",
                    "It comes up empty and never runs a guest until it owns one.");
            StandbyReport standby = replacement.standby(null, say.progress());
            say.done("standby " + standby.standby().name() + " is pid " + standby.standby().pid() + ", up after "
                    + Units.micros(standby.startUs()));

            say.step("Remap: hand the standby the guest's memory as a file descriptor.",
                    "Both processes now map the same RAM. Nothing is copied, and the guest keeps running.");
            PrepareReply prepare = replacement.remap(say.progress());
            say.done(Units.bytes(prepare.memoryBytes()) + " of guest memory shared, " + Units.bytes(prepare.bytesCopied())
                    + " copied; the standby's resident memory is " + Units.bytes(prepare.standbyRssBytes()));

            say.step("Look at what a cutover will move: the VM's state, without its memory.",
                    "vCPU registers, interrupt controllers, timers and device state: a few pages.");
            Snapshot snapshot = replacement.snapshot(null);
            say.done(Units.bytes(snapshot.stateBytes()) + " of state against " + Units.bytes(snapshot.memoryBytes())
                    + " of memory that stays where it is (" + ratio(snapshot) + ")");

            say.step("Cutover: pause the vCPUs, save their state, hand it over, restore it in the standby, resume.",
                    "This is the only moment the guest stops. The old process exits; the standby takes its name.");
            CutoverReply cutover = replacement.cutover(say.progress());
            if (!cutover.committed()) {
                throw EngineException.rolledBack("the cutover rolled back (" + cutover.reason() + "); the guest runs"
                        + " on in the old process");
            }
            say.line(Views.cutover(cutover));

            say.step("Ask the guest what it saw.", "Heartbeats must continue from where they were, with no gap,"
                    + " no error, and time (the TSC) never going back.");
            Verification after = replacement.verify(WATCH, say.progress());
            say.line(Views.verification(after));
            whyLongerThanTheBlackout(after, Runtime.getRuntime().availableProcessors()).ifPresent(say::line);
            List<String> warnings = replacement.takeWarnings();   // e.g. the history not written: said, not fatal
            warnings.forEach(w -> say.line("warning: " + w));

            ObjectNode summary = JsonOutput.object().put("instance", name).put("blackout_us", cutover.blackoutUs())
                    .put("state_bytes", snapshot.stateBytes()).put("memory_bytes", prepare.memoryBytes())
                    .put("bytes_copied", prepare.bytesCopied()).put("verified", after.ok())
                    .put("guest_gap_us", after.guestGapUs()).put("control_gap_us", after.controlGapUs())
                    .put("kept", keep);
            summary.set("phases_us", JsonOutput.tree(cutover.phasesUs()));
            warnings.forEach(summary.putArray("warnings")::add);
            say.step(after.ok() ? "Done: the hypervisor was replaced under a running guest, whose longest pause"
                    + " across it was " + Views.gap(after.guestGapUs()) + " (" + Views.gap(after.controlGapUs())
                    + " without a cutover; blackout " + Units.micros(cutover.blackoutUs()) + "), and nothing else."
                    : "Done, but the guest reported problems (above).",
                    keep ? "Instance '" + name + "' keeps running: `attach " + name + "`, `stop` when done."
                            : "Now stopping the tour's instance.");
            if (keep) {
                session.attach(name);
            }
            if (!after.ok()) {
                throw new OutputAndFailure(EngineException.Kind.FAILED, "the guest reported problems after the"
                        + " cutover: " + String.join("; ", after.problems()), null, json ? summary : null);
            }
            return json ? Outcome.ok().render(summary) : null;
        } finally {
            if (cleanUp) {
                engine.stop(name, null);
            }
        }
    }

    /**
     * What the tour teaches when the guest paused far longer than the blackout: the work a replacement brings around
     * the cutover takes turns with the vCPUs on the host's CPUs right after it.
     */
    static Optional<String> whyLongerThanTheBlackout(Verification v, int cpus) {
        if (v.guestGapUs() == null || v.cutoverBlackoutUs() == null) {
            return Optional.empty();
        }
        long expected = v.cutoverBlackoutUs() + (v.controlGapUs() == null ? 0 : v.controlGapUs());
        if (v.guestGapUs() < 2 * expected) {
            return Optional.empty();
        }
        return Optional.of("   Why longer than the blackout: right after the cutover, the work a replacement brings"
                + " (the new process running its code for the first time, the old one's exit, this verify) takes turns"
                + " with the guest's " + v.cpus() + " busy vCPU(s) on this host's " + cpus + " CPUs"
                + (v.cpus() >= cpus ? ", which they fill" : "") + ", and the guest counts every turn it waits"
                + " (docs/HANDOVER.md, \"After the blackout, the guest first\").");
    }

    private static String ratio(Snapshot s) {
        return s.stateBytes() == 0 ? "nothing to move"
                : "1 byte moves for every " + (s.memoryBytes() / s.stateBytes()) + " that stay";
    }

    /** The tour's voice: steps and results as lines, silent under --json. */
    private final class Narrator {
        private final boolean quiet;
        private int step;

        Narrator(boolean quiet) {
            this.quiet = quiet;
        }

        void step(String what, String why) {
            if (!quiet) {
                renderer.endProgress();
                renderer.line("");
                renderer.line("== " + ++step + ". " + what);
                renderer.line("   " + why);
            }
        }

        void done(String result) {
            line("   -> " + result);
        }

        void line(String text) {
            if (!quiet) {
                renderer.endProgress();
                renderer.line(text);
            }
        }

        ProgressListener progress() {
            return quiet ? ProgressListener.NONE : renderer.progress();
        }
    }
}
