package dev.hyperfresh.commands;

import dev.hyperfresh.engine.Engine;
import dev.hyperfresh.engine.EngineException;
import dev.hyperfresh.engine.QemuEngine;
import java.time.Duration;
import org.springframework.shell.standard.ShellComponent;
import org.springframework.shell.standard.ShellMethod;
import org.springframework.shell.standard.ShellOption;

/**
 * What an operator does to running VMs short of stopping them, an hfvisor instance's or a QEMU's (through its QMP):
 * pause, resume, reset, and shutdown, the guest's own power-off asked for by ACPI's power button.
 */
@ShellComponent
public class VmCommands {
    private final Engine engine;
    private final QemuEngine qemu;
    private final Targets targets;

    public VmCommands(Engine engine, QemuEngine qemu, Targets targets) {
        this.engine = engine;
        this.qemu = qemu;
        this.targets = targets;
    }

    @ShellMethod(key = "pause", value = "Pause one VM, or every VM: its vCPUs stop where they are (its devices hold their state) until `resume`.", group = "Instances")
    public String pause(
            @ShellOption(value = "--instance", defaultValue = ShellOption.NULL, valueProvider = InstanceNames.class, arity = 1, help = "instance (default: attached)") String instance,
            @ShellOption(value = "--vm", defaultValue = ShellOption.NULL, valueProvider = VmNames.class, arity = 1, help = "only this VM") String vm,
            @ShellOption(value = "--json", defaultValue = "false", help = "print one JSON object") boolean json) {
        String target = targets.target(instance);
        if (targets.isQemu(target, vm)) {
            qemu.pause(target);
        } else {
            engine.pause(target, vm);
        }
        return said("paused", target, vm, json);
    }

    @ShellMethod(key = "resume", value = "Resume one paused VM, or every VM: it runs on from where it paused.", group = "Instances")
    public String resume(
            @ShellOption(value = "--instance", defaultValue = ShellOption.NULL, valueProvider = InstanceNames.class, arity = 1, help = "instance (default: attached)") String instance,
            @ShellOption(value = "--vm", defaultValue = ShellOption.NULL, valueProvider = VmNames.class, arity = 1, help = "only this VM") String vm,
            @ShellOption(value = "--json", defaultValue = "false", help = "print one JSON object") boolean json) {
        String target = targets.target(instance);
        if (targets.isQemu(target, vm)) {
            qemu.resume(target);
        } else {
            engine.resume(target, vm);
        }
        return said("resumed", target, vm, json);
    }

    @ShellMethod(key = "reset", value = "Reset one VM, or every VM, as a PC's reset button does: it boots again (its RAM kept); returns once it runs (a paused VM stays paused and boots once resumed).", group = "Instances")
    public String reset(
            @ShellOption(value = "--instance", defaultValue = ShellOption.NULL, valueProvider = InstanceNames.class, arity = 1, help = "instance (default: attached)") String instance,
            @ShellOption(value = "--vm", defaultValue = ShellOption.NULL, valueProvider = VmNames.class, arity = 1, help = "only this VM") String vm,
            @ShellOption(value = "--json", defaultValue = "false", help = "print one JSON object") boolean json) {
        String target = targets.target(instance);
        if (targets.isQemu(target, vm)) {
            qemu.reset(target);
        } else {
            engine.reset(target, vm);
        }
        return said("reset", target, vm, json);
    }

    @ShellMethod(key = "shutdown", value = "Press the ACPI power button of one VM, or of every VM (a QEMU's too): its guest shuts down and powers off in its own time (`stop` powers off at once).", group = "Instances")
    public String shutdown(
            @ShellOption(value = "--instance", defaultValue = ShellOption.NULL, valueProvider = InstanceNames.class, arity = 1, help = "instance (default: attached)") String instance,
            @ShellOption(value = "--vm", defaultValue = ShellOption.NULL, valueProvider = VmNames.class, arity = 1, help = "only this VM") String vm,
            @ShellOption(value = "--wait", defaultValue = ShellOption.NULL, arity = 1, help = "return once it has powered off, failing after this many seconds") Integer waitSeconds,
            @ShellOption(value = "--json", defaultValue = "false", help = "print one JSON object") boolean json) {
        String target = targets.target(instance);
        if (waitSeconds != null && waitSeconds <= 0) {
            throw EngineException.usage("--wait takes a number of seconds above 0, got " + waitSeconds);
        }
        Duration wait = waitSeconds == null ? null : Duration.ofSeconds(waitSeconds);
        if (targets.isQemu(target, vm)) {
            qemu.shutdown(target, wait);
        } else {
            engine.shutdown(target, vm, wait);
        }
        return json ? Outcome.ok().render(JsonOutput.object().put("shutdown", target).put("vm", vm)
                .put("powered_off", waitSeconds != null))
                : said(waitSeconds == null ? "pressed the power button of" : "shut down", target, vm);
    }

    private static String said(String done, String target, String vm, boolean json) {
        return json ? Outcome.ok().render(JsonOutput.object().put(done, target).put("vm", vm)) : said(done, target, vm);
    }

    private static String said(String done, String target, String vm) {
        return vm == null ? done + " every VM of " + target : done + " VM " + vm + " of " + target;
    }
}
