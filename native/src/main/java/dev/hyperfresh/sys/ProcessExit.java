package dev.hyperfresh.sys;

/**
 * Ends the process at once once its output is flushed: {@link System#exit} less the JVM's wait of up to 300 ms for
 * every thread blocked in a native call (JDK 17's VM_Exit: a reader on a control socket, the JDK's process reaper
 * waiting on a child that outlives this process) — a third of a second of each one-shot {@code replace}. Only for a
 * process that has closed what it holds: shutdown hooks do not run. (hfvisor itself still exits the JVM's way: ended
 * at once, old instances made CI's nested Linux replacement freeze the emulated machine, four times in a row.)
 */
public final class ProcessExit {
    private ProcessExit() {
    }

    public static void now(int status) {
        System.out.flush();
        System.err.flush();
        Sys.C._exit(status);
    }
}
