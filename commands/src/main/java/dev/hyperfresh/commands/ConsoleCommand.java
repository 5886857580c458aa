package dev.hyperfresh.commands;

import dev.hyperfresh.engine.Engine;
import dev.hyperfresh.engine.EngineException;
import dev.hyperfresh.vmm.control.Event;
import java.time.Duration;
import org.springframework.shell.standard.ShellComponent;
import org.springframework.shell.standard.ShellMethod;
import org.springframework.shell.standard.ShellOption;

/** Follows an instance's guests: console text, hfguest's decoded heartbeats, state changes. */
@ShellComponent
public class ConsoleCommand {
    private final Engine engine;
    private final Targets targets;
    private final Renderer renderer;

    public ConsoleCommand(Engine engine, Targets targets, Renderer renderer) {
        this.engine = engine;
        this.targets = targets;
        this.renderer = renderer;
    }

    @ShellMethod(key = "console", value = "Follow the guests' console and heartbeats; Ctrl-C returns to the prompt.", group = "Instances")
    public String console(
            @ShellOption(value = "--instance", defaultValue = ShellOption.NULL, valueProvider = InstanceNames.class, arity = 1, help = "instance (default: attached)") String instance,
            @ShellOption(value = "--vm", defaultValue = ShellOption.NULL, valueProvider = VmNames.class, arity = 1, help = "only this VM") String vm,
            @ShellOption(value = "--seconds", defaultValue = "0", arity = 1, help = "stop after this long (0: until Ctrl-C)") double seconds,
            @ShellOption(value = "--json", defaultValue = "false", help = "one JSON object per event") boolean json) {
        if (seconds < 0) {
            throw EngineException.usage("--seconds must not be negative, got " + seconds);
        }
        String target = targets.hfvisor(instance, "console");
        long[] events = new long[1];
        engine.follow(target, vm, seconds > 0 ? Duration.ofNanos((long) (seconds * 1e9)) : null, () -> {
            if (!json) {
                renderer.line("following " + target + (vm == null ? "" : " VM " + vm)
                        + (seconds > 0 ? " for " + seconds + " s" : "; Ctrl-C returns to the prompt"));
            }
        }, e -> {
            events[0]++;
            renderer.line(json ? JsonOutput.render(eventJson(e)) : ConsoleView.line(e));
        });
        return json ? null : "console closed after " + events[0] + " events";
    }

    private static Object eventJson(Event e) {
        return e.fields().deepCopy().put("vm", e.vm()).put("kind", e.kind());
    }
}
