package dev.hyperfresh.sys;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.OptionalInt;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Nice values: a thread's own, and its process's autogroup's. Where the kernel groups processes by session
 * (autogroup, on by default in Debian's kernels and in effect outside any cpu cgroup) it shares a CPU between those
 * groups first, so a thread's own nice value counts only against the threads of its own session: favouring one
 * thread against everything else on the host takes both. A lower (better) value needs CAP_SYS_NICE or an
 * RLIMIT_NICE; where not allowed, nothing changes and the setters say so by returning false, never by failing.
 */
public final class Nice {
    private static final int PRIO_PROCESS = 0;
    private static final Path AUTOGROUP = Path.of("/proc/self/autogroup");
    /** "/autogroup-25 nice 0" */
    private static final Pattern AUTOGROUP_NICE = Pattern.compile("nice\\s+(-?\\d+)");

    private Nice() {
    }

    /** The nice value of thread {@code tid} of this process, or empty when it has gone. */
    public static OptionalInt ofThread(int tid) {
        return ProcStat.ofThread(tid).map(s -> OptionalInt.of(s.nice())).orElse(OptionalInt.empty());
    }

    /** Sets thread {@code tid}'s nice value; false where not allowed or the thread has gone. */
    public static boolean setThread(int tid, int nice) {
        return Sys.C.setpriority(PRIO_PROCESS, tid, nice) == 0;
    }

    /** This process's autogroup's nice value, or empty where the kernel has no autogroups. */
    public static OptionalInt ofAutogroup() {
        try {
            Matcher m = AUTOGROUP_NICE.matcher(Files.readString(AUTOGROUP));
            return m.find() ? OptionalInt.of(Integer.parseInt(m.group(1))) : OptionalInt.empty();
        } catch (IOException | RuntimeException none) {
            return OptionalInt.empty();
        }
    }

    /**
     * Whether this process leads its session, so that its autogroup is its own: an hfvisor a console launched
     * (setsid). Not an operator's shell's or a test runner's session, which would keep a value set there after this
     * process ended.
     */
    public static boolean ownsItsAutogroup() {
        return Sys.C.getsid(0) == Sys.C.getpid();
    }

    /** Sets this process's autogroup's nice value (its whole session's); false where not allowed or absent. */
    public static boolean setAutogroup(int nice) {
        try {
            Files.writeString(AUTOGROUP, Integer.toString(nice));
            return true;
        } catch (IOException | RuntimeException notAllowed) {
            return false;
        }
    }
}
