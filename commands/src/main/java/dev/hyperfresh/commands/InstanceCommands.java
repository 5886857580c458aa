package dev.hyperfresh.commands;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.hyperfresh.engine.Engine;
import dev.hyperfresh.engine.Instance;
import dev.hyperfresh.engine.LaunchRequest;
import dev.hyperfresh.engine.QemuEngine;
import dev.hyperfresh.engine.QemuVm;
import dev.hyperfresh.qemu.HostQemus;
import dev.hyperfresh.vmm.control.InstanceInfo;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.springframework.shell.standard.FileValueProvider;
import org.springframework.shell.standard.ShellComponent;
import org.springframework.shell.standard.ShellMethod;
import org.springframework.shell.standard.ShellOption;

/** Finding, inspecting and attaching to hfvisor instances and QEMUs; starting and stopping hfvisor instances. */
@ShellComponent
public class InstanceCommands {
    static final String HFVISOR = "hfvisor";

    private final Engine engine;
    private final QemuEngine qemu;
    private final Session session;
    private final Targets targets;
    private final Renderer renderer;

    public InstanceCommands(Engine engine, QemuEngine qemu, Session session, Targets targets, Renderer renderer) {
        this.engine = engine;
        this.qemu = qemu;
        this.session = session;
        this.targets = targets;
        this.renderer = renderer;
    }

    @ShellMethod(key = "list", value = "List hfvisor instances and QEMUs (answering, stale, hfvisors running on without a socket to answer on, and the host's other QEMUs) and their VMs.", group = "Instances")
    public String list(@ShellOption(value = "--json", defaultValue = "false", help = "print one JSON object") boolean json) {
        List<Instance> instances = engine.list();
        List<QemuVm> qemus = qemu.list();
        List<HostQemus.Found> elsewhere = qemu.elsewhere(qemus);
        if (json) {
            ArrayNode array = JsonOutput.MAPPER.createArrayNode();
            instances.forEach(i -> array.add(Views.instanceJson(i).put("kind", HFVISOR)));
            qemus.forEach(q -> array.add(QemuViews.json(q)));
            elsewhere.forEach(f -> array.add(QemuViews.json(f)));
            ObjectNode out = JsonOutput.object();
            out.set("instances", array);
            return Outcome.ok().render(out);
        }
        if (instances.isEmpty() && qemus.isEmpty() && elsewhere.isEmpty()) {
            return "no instances (start one with `launch`; QEMUs are listed by their QMP sockets *.qmp here too)";
        }
        List<List<String>> rows = new ArrayList<>();
        for (Instance i : instances) {
            if (i.isUnreachable()) {
                rows.add(List.of(i.name(), HFVISOR, "unreachable", "running", String.valueOf(i.unreachablePid()), "-",
                        "-", "-", i.problem()));
            } else if (i.isStale()) {
                rows.add(List.of(i.name(), HFVISOR, "stale", "-", "-", "-", "-", "-", i.problem()));
            } else {
                InstanceInfo info = i.info();
                rows.add(List.of(i.name(), HFVISOR, i.role(), info.state(), String.valueOf(info.pid()),
                        info.version(), Views.kvm(info), Units.uptime(info.uptimeMs()), Views.vmSummary(info)));
            }
        }
        qemus.forEach(q -> rows.add(QemuViews.listRow(q)));
        elsewhere.forEach(f -> rows.add(QemuViews.listRow(f)));
        return Tables.of(List.of("INSTANCE", "KIND", "ROLE", "STATE", "PID", "VERSION", "KVM", "UPTIME", "VMS"),
                rows);
    }

    @ShellMethod(key = "launch", value = "Start an hfvisor instance with one or more VMs and attach to it.", group = "Instances")
    public String launch(
            @ShellOption(value = "--name", defaultValue = "demo", valueProvider = InstanceNames.class, arity = 1, help = "instance name") String name,
            @ShellOption(value = "--vm-name", defaultValue = "web", arity = 1, help = "name of the VM") String vmName,
            @ShellOption(value = "--mem", defaultValue = "256M", arity = 1, help = "guest memory, e.g. 256M, 4G") String mem,
            @ShellOption(value = "--cpus", defaultValue = "2", arity = 1, help = "vCPUs") int cpus,
            @ShellOption(value = "--guest", defaultValue = "hfguest", arity = 1, help = "hfguest (embedded) or linux") GuestKind guest,
            @ShellOption(value = "--kernel", defaultValue = ShellOption.NULL, arity = 1, help = "bzImage for --guest linux") String kernel,
            @ShellOption(value = "--initrd", defaultValue = ShellOption.NULL, arity = 1, help = "initrd for --guest linux") String initrd,
            @ShellOption(value = "--cmdline", defaultValue = ShellOption.NULL, arity = 1, help = "guest command line") String cmdline,
            @ShellOption(value = "--disk", defaultValue = ShellOption.NULL, valueProvider = FileValueProvider.class, arity = 8, help = "raw disk images, virtio (Linux: /dev/vda, vdb, ...)") String[] disks,
            @ShellOption(value = "--disk-ro", defaultValue = ShellOption.NULL, valueProvider = FileValueProvider.class, arity = 8, help = "raw disk images the guest may only read, after the --disk ones") String[] readOnlyDisks,
            @ShellOption(value = "--net", defaultValue = ShellOption.NULL, arity = 8, help = "host taps, each a virtio NIC (Linux: eth0, eth1, ...): TAP or TAP/MAC") String[] nets,
            @ShellOption(value = "--reboot", defaultValue = "restart", arity = 1, help = "what the guest's reboot does: boot the VM again, or power it off (the reset command is then refused)") Reboot reboot,
            @ShellOption(value = "--vm", defaultValue = ShellOption.NULL, arity = 8, help = "full hfvisor VM specs (man hfvisor), instead of the options above") String[] vms,
            @ShellOption(value = "--shutdown-timeout", defaultValue = ShellOption.NULL, arity = 1, help = "seconds SIGTERM waits for the guests it asks to shut down (ACPI power button) before powering off what still runs; 0: at once (default: hfvisor's, 30); kept across replacements") Integer shutdownTimeout,
            @ShellOption(value = "--json", defaultValue = "false", help = "print one JSON object") boolean json) {
        List<String> specs = vms != null ? List.of(vms)
                : List.of(VmSpecs.of(vmName, mem, cpus, guest, kernel, initrd, cmdline,
                        VmSpecs.disks(disks, readOnlyDisks), nets == null ? List.of() : List.of(nets), reboot));
        Instance launched = engine.launch(new LaunchRequest(name, specs, shutdownTimeout == null ? null
                : Duration.ofSeconds(shutdownTimeout)), json ? p -> { } : renderer.progress());
        renderer.endProgress();
        session.attach(name);
        List<String> warnings = launched.warnings();
        if (json) {
            ObjectNode out = Views.instanceJson(launched);
            warnings.forEach(out.putArray("warnings")::add);
            return Outcome.ok().render(out);
        }
        return "launched " + name + " (pid " + launched.info().pid() + ", " + launched.info().version() + ", KVM "
                + Views.kvm(launched.info()) + ") with " + Views.vmSummary(launched.info()) + "; attached"
                + Views.warningLines(warnings);
    }

    @ShellMethod(key = "attach", value = "Make INSTANCE (an hfvisor or QEMU name, or qmp:PATH) the one commands act on when none is named.", group = "Instances")
    public String attach(
            @ShellOption(value = "--instance", valueProvider = InstanceNames.class, arity = 1, help = "instance name, or qmp:PATH of a QEMU's QMP socket") String instance,
            @ShellOption(value = "--json", defaultValue = "false", help = "print one JSON object") boolean json) {
        if (targets.isQemu(instance)) {
            QemuVm found = qemu.attach(instance);
            session.attach(found.name());
            return json ? Outcome.ok().render(JsonOutput.object().put("attached", found.name()).put("kind", QemuViews.KIND))
                    : "attached to " + found.name() + " (" + QemuViews.vmSummary(found) + ")";
        }
        Instance found = engine.instance(instance);
        session.attach(found.name());
        return json ? Outcome.ok().render(JsonOutput.object().put("attached", found.name()).put("kind", HFVISOR))
                : "attached to " + found.name() + " (" + Views.vmSummary(found.info()) + ")";
    }

    @ShellMethod(key = "detach", value = "Forget the attached instance.", group = "Instances")
    public String detach(@ShellOption(value = "--json", defaultValue = "false", help = "print one JSON object") boolean json) {
        String was = session.attached();
        session.detach();
        return json ? Outcome.ok().render(JsonOutput.object().put("detached", was))
                : was == null ? "not attached" : "detached from " + was;
    }

    @ShellMethod(key = "info", value = "Show an instance: build, pid, uptime, role, the KVM it runs on (VMX, SVM, PVM) and its VMs with the memory each has touched (a QEMU: version, status, vCPUs, RAM backends).", group = "Instances")
    public String info(
            @ShellOption(value = "--instance", defaultValue = ShellOption.NULL, valueProvider = InstanceNames.class, arity = 1, help = "instance (default: attached)") String instance,
            @ShellOption(value = "--json", defaultValue = "false", help = "print one JSON object") boolean json) {
        String target = targets.target(instance);
        if (targets.isQemu(target)) {
            QemuVm found = qemu.attach(target);
            return json ? Outcome.ok().render(QemuViews.json(found)) : QemuViews.info(found);
        }
        Instance found = engine.instance(target);
        return json ? Outcome.ok().render(Views.instanceJson(found)) : Views.info(found);
    }

    @ShellMethod(key = "stop", value = "Power off one VM (its last one: the instance ends too), or every VM and so the instance (a QEMU: it quits).", group = "Instances")
    public String stop(
            @ShellOption(value = "--instance", defaultValue = ShellOption.NULL, valueProvider = InstanceNames.class, arity = 1, help = "instance (default: attached)") String instance,
            @ShellOption(value = "--vm", defaultValue = ShellOption.NULL, valueProvider = VmNames.class, arity = 1, help = "only this VM") String vm,
            @ShellOption(value = "--json", defaultValue = "false", help = "print one JSON object") boolean json) {
        String target = targets.target(instance);
        boolean instanceEnds = true;
        if (targets.isQemu(target, vm)) {
            qemu.stop(target);
        } else {
            instanceEnds = engine.stop(target, vm);
        }
        if (instanceEnds && target.equals(session.attached())) {
            session.detach();
        }
        return json ? Outcome.ok().render(JsonOutput.object().put("stopped", target).put("vm", vm)
                .put("instance_ends", instanceEnds))
                : vm == null ? "stopped " + target
                : "stopped VM " + vm + " of " + target + (instanceEnds ? ", its last: " + target + " ends with it" : "");
    }
}
