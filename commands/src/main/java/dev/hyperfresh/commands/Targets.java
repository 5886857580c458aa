package dev.hyperfresh.commands;

import dev.hyperfresh.engine.EngineException;
import dev.hyperfresh.engine.QemuEngine;
import org.springframework.stereotype.Component;

/**
 * What a command acts on (the named or attached instance) and which kind it is: a QEMU ({@code qmp:PATH} or a
 * listed QEMU name) or an hfvisor. Commands only hfvisor has refuse a QEMU here, in one sentence.
 */
@Component
public class Targets {
    private final Session session;
    private final QemuEngine qemu;

    public Targets(Session session, QemuEngine qemu) {
        this.session = session;
        this.qemu = qemu;
    }

    /** The named or attached instance. */
    public String target(String named) {
        return session.target(named);
    }

    /** Whether {@code target} is a QEMU: the one way commands tell, so they all agree. */
    public boolean isQemu(String target) {
        return qemu.owns(target);
    }

    /** The named or attached instance, refused when it is a QEMU: {@code command} exists for hfvisor only. */
    public String hfvisor(String named, String command) {
        String target = session.target(named);
        if (isQemu(target)) {
            throw EngineException.precondition(command + " is not supported for QEMU instances (" + target + "): "
                    + instead(command));
        }
        return target;
    }

    /** What an operator who asked {@code command} of a QEMU wants instead. */
    private static String instead(String command) {
        return switch (command) {
            case "stop" -> "stop a QEMU through its own QMP (`quit`) or whatever started it";
            case "reset" -> "reset a QEMU's guest through its own QMP (`system_reset`)";
            case "pause", "resume" -> "pause or resume a QEMU's guest through its own QMP (`stop`, `cont`)";
            case "console" -> "a QEMU's console is its own (its -serial or -chardev)";
            default -> "use `replace`, which replaces a QEMU in one step";
        };
    }
}
