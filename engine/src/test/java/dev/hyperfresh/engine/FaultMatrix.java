package dev.hyperfresh.engine;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * The fault matrix of docs/HANDOVER.md as data: every step of a replacement × every party × SIGKILL or SIGSTOP ×
 * one VM or two with one powered off. A party that acts at a step is hit there (an hfvisor by its {@code --fault}
 * point, the console by a signal to itself when the replacement reports that phase); a case that is the same as
 * another by construction says which and why instead of running twice.
 */
final class FaultMatrix {
    enum Step { STANDBY, REMAP, PAUSE, SAVE, OFFER, CLAIM, RESTORE, RUN, REPLY, OLD_EXIT }

    enum Party { OLD, STANDBY, CONSOLE }

    enum Signal {
        KILL(9), STOP(19);

        final int number;

        Signal(int number) {
            this.number = number;
        }
    }

    enum Layout { ONE_VM, TWO_VMS_ONE_STOPPED }

    /** Where the running VM is once the case has settled. */
    enum Owner {
        /** The old instance runs it (never moved, or rolled back). */
        OLD,
        /** The new instance runs it under the old name. */
        NEW,
        /** It ended with a hypervisor that crashed holding it: nothing runs it, the console says why. */
        LOST
    }

    /**
     * One row: how a party is hit at a step ({@code fault} an hfvisor fault point, {@code phase} the console's
     * progress phase; neither when {@code stated}) and where the VM ends after a SIGKILL and after a SIGSTOP (the
     * stopped process is continued once the case's time-outs have had their chance).
     */
    private record Row(Step step, Party party, String fault, String phase, Owner afterKill, Owner afterStop,
                       String stated) {
    }

    record Case(int index, Step step, Party party, Signal signal, Layout layout, String fault, String phase,
                Owner expected, String stated) {
        String name() {
            return String.format(Locale.ROOT, "%03d %s/%s/%s/%s", index, lower(step), lower(party), lower(signal),
                    lower(layout));
        }

        boolean runnable() {
            return stated == null;
        }

        /** The hfvisor option injecting this case's fault ({@code --fault [stall-]POINT}), or null. */
        String faultOption() {
            return fault == null ? null : signal == Signal.STOP ? "stall-" + fault : fault;
        }

        private static String lower(Enum<?> e) {
            return e.name().toLowerCase(Locale.ROOT).replace('_', '-');
        }
    }

    private static final String CUTOVER_REQUEST = "the console is blocked in its one handover-cutover request from the"
            + " pause to the reply and neither hfvisor looks at it meanwhile: a signal anywhere in there is"
            + " pause/console";
    private static final String OLD_AWAITS_TAKE = "the old instance only waits for the standby's reply here, the state"
            + " offered: a SIGKILL is offer/old (the standby finishes alone), a SIGSTOP reply/old's stall (the standby"
            + " commits without it; continued, the old one reads RUNNING and exits)";
    private static final String STANDBY_AWAITS_TAKE = "the standby only waits for `take` here: killed, the old"
            + " instance finds the connection closed with its offer open (or its send failing), revokes and resumes —"
            + " restore/standby; stopped, its take wait (hyperfresh.claim-wait-ms) runs out and it revokes the open"
            + " offer — the same path";

    private static final List<Row> ROWS = List.of(
            new Row(Step.STANDBY, Party.OLD, null, null, null, null, "the old instance does nothing while a standby"
                    + " starts: a SIGKILL is a plain crash of a hypervisor (its VMs end with it; the console's remap"
                    + " then finds nothing answering), a SIGSTOP delays the remap until it is continued — remap/old"),
            new Row(Step.STANDBY, Party.STANDBY, "standby-start", null, Owner.OLD, Owner.OLD, null),
            new Row(Step.STANDBY, Party.CONSOLE, null, "standby", Owner.OLD, Owner.NEW, null),
            new Row(Step.REMAP, Party.OLD, "remap", null, Owner.LOST, Owner.NEW, null),
            new Row(Step.REMAP, Party.STANDBY, "after-adopt", null, Owner.OLD, Owner.OLD, null),
            new Row(Step.REMAP, Party.CONSOLE, null, "remap", Owner.OLD, Owner.NEW, null),
            new Row(Step.PAUSE, Party.OLD, "pause", null, Owner.LOST, Owner.NEW, null),
            new Row(Step.PAUSE, Party.STANDBY, null, null, null, null, STANDBY_AWAITS_TAKE),
            new Row(Step.PAUSE, Party.CONSOLE, null, "pause", Owner.NEW, Owner.NEW, null),
            new Row(Step.SAVE, Party.OLD, "save", null, Owner.LOST, Owner.NEW, null),
            new Row(Step.SAVE, Party.STANDBY, null, null, null, null, STANDBY_AWAITS_TAKE),
            new Row(Step.SAVE, Party.CONSOLE, null, null, null, null, CUTOVER_REQUEST),
            new Row(Step.OFFER, Party.OLD, "after-offer", null, Owner.NEW, Owner.NEW, null),
            new Row(Step.OFFER, Party.STANDBY, null, null, null, null, STANDBY_AWAITS_TAKE),
            new Row(Step.OFFER, Party.CONSOLE, null, null, null, null, CUTOVER_REQUEST),
            new Row(Step.CLAIM, Party.OLD, null, null, null, null, OLD_AWAITS_TAKE),
            new Row(Step.CLAIM, Party.STANDBY, "before-resume", null, Owner.OLD, Owner.OLD, null),
            new Row(Step.CLAIM, Party.CONSOLE, null, null, null, null, CUTOVER_REQUEST),
            new Row(Step.RESTORE, Party.OLD, null, null, null, null, OLD_AWAITS_TAKE),
            new Row(Step.RESTORE, Party.STANDBY, "during-restore", null, Owner.OLD, Owner.OLD, null),
            new Row(Step.RESTORE, Party.CONSOLE, null, null, null, null, CUTOVER_REQUEST),
            new Row(Step.RUN, Party.OLD, null, null, null, null, OLD_AWAITS_TAKE),
            new Row(Step.RUN, Party.STANDBY, "after-commit", null, Owner.LOST, Owner.NEW, null),
            new Row(Step.RUN, Party.CONSOLE, null, null, null, null, CUTOVER_REQUEST),
            new Row(Step.REPLY, Party.OLD, "taken", null, Owner.NEW, Owner.NEW, null),
            new Row(Step.REPLY, Party.STANDBY, "before-reply", null, Owner.LOST, Owner.NEW, null),
            new Row(Step.REPLY, Party.CONSOLE, null, "cutover", Owner.NEW, Owner.NEW, null),
            new Row(Step.OLD_EXIT, Party.OLD, "release", null, Owner.NEW, Owner.NEW, null),
            new Row(Step.OLD_EXIT, Party.STANDBY, null, null, null, null, "the standby is the instance now and the"
                    + " handover is over: a SIGKILL is a crash of the running hypervisor (its VMs end with it, as in any"
                    + " crash), a SIGSTOP a hang of it; nothing of the handover is left to go wrong"),
            new Row(Step.OLD_EXIT, Party.CONSOLE, null, "verify", Owner.NEW, Owner.NEW, null));

    private FaultMatrix() {
    }

    /** Every case, in step order, runnable or stated. */
    static List<Case> all() {
        List<Case> out = new ArrayList<>();
        for (Row r : ROWS) {
            for (Signal s : Signal.values()) {
                for (Layout l : Layout.values()) {
                    out.add(new Case(out.size() + 1, r.step(), r.party(), s, l, r.fault(), r.phase(),
                            s == Signal.KILL ? r.afterKill() : r.afterStop(), r.stated()));
                }
            }
        }
        return out;
    }

    /** The cells of the suite's slice: every step once, every party more than once. */
    private static final List<Cell> SLICE = List.of(new Cell(Step.STANDBY, Party.STANDBY),
            new Cell(Step.REMAP, Party.CONSOLE), new Cell(Step.PAUSE, Party.OLD), new Cell(Step.SAVE, Party.OLD),
            new Cell(Step.OFFER, Party.OLD), new Cell(Step.CLAIM, Party.STANDBY), new Cell(Step.RESTORE, Party.STANDBY),
            new Cell(Step.RUN, Party.STANDBY), new Cell(Step.REPLY, Party.CONSOLE), new Cell(Step.OLD_EXIT, Party.OLD));

    private record Cell(Step step, Party party) {
    }

    /**
     * The suite's slice: the {@link #SLICE} cells, SIGKILL and SIGSTOP alternating over them, layouts alternating
     * every two, so that every step, party, signal and layout is hit; {@code bin/fault-matrix} runs every case.
     */
    static List<Case> slice() {
        List<Case> all = all();
        List<Case> out = new ArrayList<>();
        for (Cell cell : SLICE) {
            Signal s = out.size() % 2 == 0 ? Signal.KILL : Signal.STOP;
            Layout l = (out.size() / 2) % 2 == 0 ? Layout.ONE_VM : Layout.TWO_VMS_ONE_STOPPED;
            out.add(all.stream().filter(c -> c.step() == cell.step() && c.party() == cell.party()
                    && c.signal() == s && c.layout() == l).findFirst().orElseThrow());
        }
        return out;
    }
}
