package dev.hyperfresh.sys;

/**
 * The process {@link ProcessExitTest} ends: it holds what made the JVM's own exit wait (a child that outlives it,
 * which the JDK's reaper waits on in native code; a thread blocked in poll), prints without a newline, and ends.
 */
public final class ProcessExitMain {
    static final String OUTPUT = "printed, not yet flushed";
    static final int STATUS = 7;

    private ProcessExitMain() {
    }

    public static void main(String[] args) throws Exception {
        new ProcessBuilder("sleep", "30").start();
        Thread blocked = new Thread(() -> Poll.readable(60_000, EventFd.create(0).fd()), "blocked-in-poll");
        blocked.setDaemon(true);
        blocked.start();
        System.out.print(OUTPUT);
        ProcessExit.now(STATUS);
    }
}
