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

    /**
     * Whether {@code target} is a QEMU, for a command that takes {@code --vm}: a QEMU runs one VM, so {@code vm} (an
     * hfvisor instance's VM) is refused there.
     */
    public boolean isQemu(String target, String vm) {
        boolean isQemu = isQemu(target);
        if (isQemu && vm != null) {
            throw EngineException.usage("--vm names one VM of an hfvisor instance; " + target + " is a QEMU, which"
                    + " runs one: name none");
        }
        return isQemu;
    }

    /** What an operator who asked {@code command} of a QEMU wants instead. */
    private static String instead(String command) {
        return switch (command) {
            case "console" -> "a QEMU's console is its own (its -serial or -chardev)";
            default -> "use `replace`, which replaces a QEMU in one step";
        };
    }
}
