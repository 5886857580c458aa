package dev.hyperfresh.shell;

import dev.hyperfresh.sys.ProcessExit;

/**
 * bin/hyperfresh's entry: the one-shot commands a script loops over ({@link DirectCommands}: {@code list},
 * {@code info}, {@code help}, and {@code replace NAME --json}, which changes an instance) run without starting
 * Spring; everything else — the REPL, scripts, every other command — goes to {@link HyperfreshApplication}.
 */
public final class Main {
    private Main() {
    }

    public static void main(String[] args) {
        DirectCommands.Answered answered = DirectCommands.run(args);
        if (answered == null) {
            HyperfreshApplication.main(args);
        } else if (answered.exitNow()) {
            ProcessExit.now(answered.exitCode());
        } else {
            System.exit(answered.exitCode());
        }
    }
}
