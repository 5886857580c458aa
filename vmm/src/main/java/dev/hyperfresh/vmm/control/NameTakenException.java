package dev.hyperfresh.vmm.control;

import java.nio.file.Path;

/** Another process holds the lock of the instance name this one was to serve: a live instance owns that name. */
public final class NameTakenException extends IllegalStateException {
    /** hfvisor's exit status when its name is taken, so a launcher can try another name (EX_TEMPFAIL). */
    public static final int EXIT_STATUS = 75;

    NameTakenException(Path socket) {
        super("the instance name of " + socket + " is in use: another hfvisor holds its lock "
                + ControlServer.lockFile(socket).getFileName() + " (a running instance, or a standby that took over"
                + " its VMs)");
    }
}
