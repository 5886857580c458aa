package dev.hyperfresh.commands;

import dev.hyperfresh.engine.EngineException;
import org.springframework.stereotype.Component;

/** The shell's conversation state: which instance commands act on when none is named. */
@Component
public class Session {
    private volatile String attached;

    public String attached() {
        return attached;
    }

    public void attach(String instance) {
        attached = instance;
    }

    public void detach() {
        attached = null;
    }

    /** {@code named} when given, else the attached instance; a usage error when there is neither. */
    public String target(String named) {
        if (named != null) {
            return named;
        }
        if (attached == null) {
            throw EngineException.usage("name an instance or `attach` to one first (`list` shows them)");
        }
        return attached;
    }
}
