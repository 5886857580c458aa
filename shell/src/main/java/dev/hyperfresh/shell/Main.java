package dev.hyperfresh.shell;

import dev.hyperfresh.sys.ProcessExit;

/**
 * bin/hyperfresh's entry: the read-only one-shot commands a script loops over ({@link DirectCommands}) run without
 * starting Spring; everything else — the REPL, scripts, every other command — goes to {@link HyperfreshApplication}.
 */
public final class Main {
    private Main() {
    }

    public static void main(String[] args) {
        Integer exitCode = DirectCommands.run(args);
        if (exitCode != null && args.length > 0 && args[0].equals("replace")) {
            ProcessExit.now(exitCode);   // the standby it started outlives it: the JDK's reaper waits on it, in native
        } else if (exitCode != null) {
            System.exit(exitCode);
        }
        HyperfreshApplication.main(args);
    }
}
