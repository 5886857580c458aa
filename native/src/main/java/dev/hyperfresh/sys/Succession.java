package dev.hyperfresh.sys;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * What a process taking over another's work (a replacement hypervisor, a new QEMU) takes from it, so that what an
 * operator set on the hypervisor goes on with its VMs instead of what the console that started the new one has:
 * its cgroups, every hierarchy ({@link Cgroups}: limits, accounting, the scope whose life is the VMs'), and the OOM
 * killer's adjustment ({@code oom_score_adj}: a hypervisor shielded from it, or offered first).
 */
public final class Succession {
    private Succession() {
    }

    /**
     * Gives {@code successor} what {@code predecessor} has, as far as it can; returns what it could not, in words.
     * {@code handsOnItsService}: the predecessor, a systemd service's main process, makes the successor that and
     * moves it into the service's cgroups itself, once the successor runs the work (sd_notify's {@code MAINPID=}).
     */
    public static List<String> follow(long successor, long predecessor, boolean handsOnItsService) {
        List<String> problems = new ArrayList<>();
        cgroups(successor, predecessor, handsOnItsService)
                .ifPresent(why -> problems.add("it runs outside the old one's cgroups: " + why));
        oomScoreAdjustment(successor, predecessor).ifPresent(problems::add);
        return problems;
    }

    /**
     * Not into a systemd service's own cgroup: systemd stops the service when its main process (the predecessor)
     * exits, killing whatever is left in that cgroup, the successor too — unless the predecessor names the successor
     * its main process first, which it does itself.
     */
    private static Optional<String> cgroups(long successor, long predecessor, boolean handsOnItsService) {
        try {
            List<Cgroups.Cgroup> theirs = Cgroups.of(predecessor);
            Optional<String> service = Cgroups.systemdService(theirs);
            if (service.isPresent() && handsOnItsService) {
                return Optional.empty();
            }
            if (service.isPresent()) {
                return Optional.of("pid " + predecessor + " is in systemd's " + service.get() + ", which systemd"
                        + " stops, killing what is left in its cgroup, once that main process exits (an hfvisor hands"
                        + " its service on as Type=notify, a QEMU as Type=forking with PIDFile= its -pidfile)");
            }
            Cgroups.join(successor, theirs);
            return Optional.empty();
        } catch (IOException e) {
            return Optional.of(e.getMessage());
        }
    }

    private static Optional<String> oomScoreAdjustment(long successor, long predecessor) {
        String theirs = null;
        try {
            theirs = Files.readAllLines(oomScoreAdj(predecessor)).get(0).strip();
            if (!theirs.equals(Files.readAllLines(oomScoreAdj(successor)).get(0).strip())) {
                Files.writeString(oomScoreAdj(successor), theirs, StandardOpenOption.WRITE);   // procfs: no O_CREAT
            }
            return Optional.empty();
        } catch (IOException | RuntimeException e) {
            return Optional.of("it does not have the old one's OOM score adjustment" + (theirs == null ? ""
                    : " (" + theirs + ")") + ": " + (e instanceof IOException io ? IoFailure.reason(io) : e.toString())
                    + (theirs != null && theirs.startsWith("-") ? " (lowering it takes CAP_SYS_RESOURCE)" : ""));
        }
    }

    private static Path oomScoreAdj(long pid) {
        return Path.of("/proc", Long.toString(pid), "oom_score_adj");
    }
}
