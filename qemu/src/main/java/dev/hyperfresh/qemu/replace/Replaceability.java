package dev.hyperfresh.qemu.replace;

import com.fasterxml.jackson.databind.JsonNode;
import dev.hyperfresh.qemu.Libvirt;
import dev.hyperfresh.qemu.MemoryBackend;
import dev.hyperfresh.qemu.QemuExecutable;
import dev.hyperfresh.qemu.QemuInfo;
import dev.hyperfresh.qemu.QemuInstance;
import dev.hyperfresh.qemu.UncarriedCpuState;
import dev.hyperfresh.qemu.replace.NotReplaceableException.Remedy;
import dev.hyperfresh.sys.Cgroups;
import dev.hyperfresh.sys.Fd;
import dev.hyperfresh.sys.Namespaces;
import dev.hyperfresh.sys.Pidfd;
import dev.hyperfresh.sys.ServiceSettings;
import dev.hyperfresh.sys.SysException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Stream;

/**
 * Whether this QEMU can be replaced as asked, checked before a standby is started so that a refusal leaves the VM
 * untouched: the new binary, the VM's state and accelerator, no migration under way, no guest CPU state the migration
 * would drop (unless the operator accepts the loss: it then becomes a warning), nothing blocking its migration (a
 * device QEMU cannot migrate, say), no other program managing it through its monitors (libvirt: {@link
 * MonitorClients}), devices plugged in at run time that a new QEMU can be given too ({@link HotPlugged}; those removed are left out of its command line, {@link Unplugged}),
 * in this console's mount namespace (the files its command line names are the ones the new QEMU will open), not a
 * systemd service's process (unless the new QEMU can take the service over, {@link PidFileService}, or the
 * operator lets it run outside the service and systemd does not start the service again),
 * and for SHARED mode RAM a second QEMU can map. What passes becomes the {@link Plan}. (hfvisor's standby checks an
 * offer against its own KVM and build, a different question: the two share no code.)
 */
final class Replaceability {
    private static final Set<String> MIGRATION_IDLE = Set.of("", "none", "completed", "failed", "cancelled");

    private Replaceability() {
    }

    static Plan check(QemuInstance source, ReplacementOptions options) {
        QemuInfo info = source.info();
        String vm = "QEMU pid " + info.pid() + (info.name().isEmpty() ? "" : " (VM " + info.name() + ")");
        if (!Files.isExecutable(options.newBinary())) {
            throw new NotReplaceableException("the new QEMU binary " + options.newBinary()
                    + " does not exist or is not executable");
        }
        if (!info.status().equals("running") && !info.status().equals("paused")) {
            throw new NotReplaceableException(vm + " is " + info.status()
                    + ": only a running or paused VM can be replaced");
        }
        if (info.accelerator() != options.accelerator()) {
            throw new NotReplaceableException(vm + " runs on " + info.accelerator().qemuName() + ", not on "
                    + options.accelerator().qemuName() + " as asked: pass the accelerator it really uses");
        }
        JsonNode migrate = source.qmp().execute("query-migrate");
        String migration = migrate.path("status").asText("");
        if (!MIGRATION_IDLE.contains(migration)) {
            throw new NotReplaceableException(vm + " is already migrating (status " + migration + ")");
        }
        List<String> blocked = new ArrayList<>();
        migrate.path("blocked-reasons").forEach(reason -> blocked.add(reason.asText()));
        if (!blocked.isEmpty()) {
            throw new NotReplaceableException(vm + " cannot be migrated, and its replacement is a migration into the"
                    + " new QEMU: " + String.join("; ", blocked) + " (QEMU's words). The VM is left as it is");
        }
        QemuArgs asStarted = QemuArgs.ofProcess(info.pid());
        MonitorClients monitors = MonitorClients.of(source.qmp(), info, asStarted);
        refuseManaged(monitors, vm);
        if (Namespaces.differ("mnt", info.pid())) {
            throw new NotReplaceableException(vm + " runs in another mount namespace than this console (a"
                    + " service's PrivateTmp= or other sandboxing, a container's): the files its command line names"
                    + " are not the ones this console sees, and its new QEMU would start here. The VM is left as it"
                    + " is; run hyperfresh in its mount namespace (nsenter -t " + info.pid() + " -m)");
        }
        Optional<String> lost = UncarriedCpuState.of(info);
        if (lost.isPresent() && !options.acceptCpuStateLoss()) {
            throw new NotReplaceableException(vm + " would lose guest state in a replacement: " + lost.get()
                    + ". The VM is left as it is; replace it anyway only if its guest does not use AVX or can live"
                    + " with the loss", Remedy.ACCEPT_CPU_STATE_LOSS);
        }
        OldBackends backends = OldBackends.of(source);
        Unplugged unplugged = Unplugged.of(source, asStarted, backends);
        String machine = MachineType.of(source.qmp());
        boolean anotherProgram = !sameProgram(info.pid(), options.newBinary());
        if (anotherProgram) {
            MachineType.requireEmulatedBy(options.newBinary(), machine, vm);
        }
        QemuArgs running = MachineType.pin(RenamedOptions.forBinary(unplugged.kept(), options.newBinary()), machine);
        if (anotherProgram) {
            running = CpuModel.pin(running, source.qmp(), info.pid(), options.newBinary());
        }
        HotPlugged plugged = HotPlugged.read(source, running, backends, vm);
        if (options.mode() == ReplacementMode.SHARED) {
            checkShareable(source, info, vm);
        }
        Fd pidfd = Pidfd.open((int) info.pid());
        GuestMemoryHold memory = null;
        List<Fd> passed = new ArrayList<>();
        try {
            Map<String, Path> memPaths = Map.of();
            if (options.mode() == ReplacementMode.SHARED) {
                memory = GuestMemoryHold.take(info.pid(), info.memory(), memPaths(source, info.memory()));
                memPaths = memory.paths();
            }
            StandbyCommandLine standby = StandbyCommandLine.derive(running, info.pid(), options.newBinary(),
                    options.mode(), memPaths, info.qmpSocket(), VncListener.listening(source.qmp()),
                    StandbyFiles.notedPidfile(info.qmpSocket(), info.pid()), OpenFiles.ofProcess(info.pid()),
                    HostForwards.of(source.qmp()), plugged);
            List<String> serviceWarnings = new ArrayList<>();
            Optional<PidFileService> service = Cgroups.systemdServiceOf(info.pid()).flatMap(unit -> service(unit, info.pid(),
                    standby.pidfile(), vm, options, serviceWarnings));
            for (int fd : standby.handed().oldFds()) {
                passed.add(take(pidfd, fd, vm));
            }
            // a paused VM stays paused on the new QEMU: -S; a running one runs there the moment the load ends
            return new Plan(info, pidfd, info.running() || options.qemuResumesItself() ? standby.runningOnceLoaded()
                    : standby, memory, passed, service, Stream.of(lost.map(l -> "replaced although " + l).stream(),
                    unplugged.leftOut().stream(), standby.handed().warnings().stream(),
                    plugged.warnings().stream(), monitors.warnings().stream(), serviceWarnings.stream())
                    .flatMap(w -> w).toList());
        } catch (RuntimeException e) {
            if (memory != null) {
                memory.close();
            }
            passed.forEach(Fd::close);
            pidfd.close();
            throw e;
        }
    }

    /**
     * For a QEMU in systemd service {@code unit}: the service, if the new QEMU can take it over through its pid file
     * ({@link PidFileService}); else refused unless the operator lets the new QEMU run outside the service, and then
     * still if systemd would start the service again once the old QEMU is killed. Where systemd cannot be asked, the
     * operator's word is taken, and {@code warnings} says so.
     */
    private static Optional<PidFileService> service(String unit, long pid, Optional<Path> pidfile, String vm,
                                                    ReplacementOptions options, List<String> warnings) {
        String again = ": once replaced, the old QEMU's end is the service's end to systemd, which %s starts this"
                + " VM's QEMU again beside the new one — over the same RAM file, disks and QMP socket. The VM is left"
                + " as it is; run the QEMU in a scope (systemd-run --scope) or in a Type=forking unit whose PIDFile="
                + " is its -pidfile (the new QEMU then takes the service over)";
        ServiceSettings settings = null;
        try {
            settings = ServiceSettings.of(unit);
            Optional<PidFileService> handedOn = PidFileService.of(settings, pidfile, pid);
            if (handedOn.isPresent()) {
                return handedOn;
            }
        } catch (IOException unknown) {
            if (options.outsideService()) {
                warnings.add("could not ask systemd whether it restarts " + unit + " (" + unknown.getMessage()
                        + "): replaced outside the service on the word of --outside-service that it does not");
                return Optional.empty();
            }
        }
        if (!options.outsideService()) {
            throw new NotReplaceableException(vm + " runs in systemd's " + unit + String.format(again, "with Restart=")
                    + ", or, if the unit has no Restart=, replace it anyway: the new QEMU then runs outside the"
                    + " service", Remedy.OUTSIDE_SERVICE);
        }
        Optional<String> restart = settings.restartAfterKill();
        if (restart.isPresent()) {
            throw new NotReplaceableException(vm + " runs in systemd's " + unit + String.format(again, "with "
                    + restart.get()) + ", or give the unit Restart=no (systemctl edit " + unit + ", then systemctl"
                    + " daemon-reload) before replacing it outside the service");
        }
        if (!settings.stopPost().isEmpty()) {
            throw new NotReplaceableException(vm + " runs in systemd's " + unit + ", which runs "
                    + String.join("; ", settings.stopPost()) + " (ExecStopPost=) once its main process has ended: after"
                    + " the old QEMU's kill, with the new QEMU running outside the service, whatever that undoes (a"
                    + " tap, a RAM file, a socket) would go from under the VM. The VM is left as it is; run the QEMU in"
                    + " a scope (systemd-run --scope) or in a Type=forking unit whose PIDFile= is its -pidfile, or drop"
                    + " ExecStopPost= from the unit (systemctl edit " + unit + ", then systemctl daemon-reload) before"
                    + " replacing it outside the service");
        }
        return Optional.empty();
    }

    /**
     * Refuses a QEMU another program manages through its monitor: the old QEMU's end is the VM's end to it. libvirt
     * is refused even while no daemon is connected, as it reconnects to the QEMUs it started when it comes back.
     */
    private static void refuseManaged(MonitorClients monitors, String vm) {
        if (monitors.libvirt()) {
            String holder = monitors.clients().stream().filter(MonitorClients.Client::libvirt).findFirst()
                    .map(c -> c.who() + " holds its monitor " + c.monitor())
                    .orElse("its monitor " + Libvirt.MONITOR + " is libvirt's");
            throw new NotReplaceableException(vm + " is run by libvirt (" + holder + "), which knows a domain by its"
                    + " QEMU process: it would take the old QEMU's end for the domain's crash, tear down what it set"
                    + " up for it around the new QEMU (cgroups, the files' ownership, its machine scope with what"
                    + " runs in it) and could start the domain again beside it. The VM is left as it is; "
                    + Libvirt.ITS_OWN_MEANS);
        }
        monitors.clients().stream().findFirst().ifPresent(c -> {
            throw new NotReplaceableException(vm + " has " + c.who() + " on its monitor " + c.monitor()
                    + " (" + c.where() + "): a program managing a QEMU through its monitor sees that connection"
                    + " end with the old QEMU and may take it for the VM's end. The VM is left as it is; disconnect"
                    + " it first (the new QEMU listens on the same socket again)");
        });
    }

    /** One of the old QEMU's descriptors the new one is to share (a tap, a listening socket). */
    private static Fd take(Fd pidfd, int fd, String vm) {
        try {
            return Pidfd.getFd(pidfd, fd);
        } catch (SysException e) {
            throw new NotReplaceableException("cannot take over file descriptor " + fd + " of " + vm + ", which its"
                    + " command line uses (a tap device or a listening socket): " + e.getMessage()
                    + "; run hyperfresh as QEMU's user or as root");
        }
    }

    /** Guest RAM a new QEMU of any release can map where it is. */
    private static final String SHAREABLE_RAM = "-object " + MemoryBackend.FILE + ",id=ram0,size=...,"
            + "mem-path=/dev/shm/NAME,share=on -machine memory-backend=ram0";

    private static void checkShareable(QemuInstance source, QemuInfo info, String vm) {
        if (info.memory().isEmpty()) {
            throw new NotReplaceableException(vm + " has no memory backend objects, so its RAM cannot be shared with a"
                    + " new QEMU; use copy mode (an ordinary live migration) instead", Remedy.COPY_MODE);
        }
        for (MemoryBackend b : info.memory()) {
            if (b.shared() && b.type().equals(MemoryBackend.MEMFD) && !b.replaceableInPlace(info)) {
                throw new NotReplaceableException(vm + " cannot be replaced in place: its guest RAM '" + b.id()
                        + "' is a " + MemoryBackend.MEMFD + ", which QEMU " + info.version() + " (like every QEMU"
                        + " since 8.1) migrates in full even with x-ignore-shared, keeping only a named file's RAM in"
                        + " place. Use copy mode (an ordinary live migration that copies the RAM) instead, or start"
                        + " such VMs with " + SHAREABLE_RAM, Remedy.COPY_MODE);
            }
            if (!b.replaceableInPlace(info)) {
                throw new NotReplaceableException(vm + " cannot be replaced in place: its guest RAM '" + b.id()
                        + "' is a " + b.type() + (b.shared() ? "" : " without share=on")
                        + ", private to that process; only " + MemoryBackend.MEMFD + " or " + MemoryBackend.FILE
                        + " with share=on can be mapped by a new QEMU. Use copy mode (an ordinary live migration that"
                        + " copies the RAM) instead, or start such VMs with " + SHAREABLE_RAM, Remedy.COPY_MODE);
            }
        }
        boolean ignoreShared = false;
        for (JsonNode c : source.qmp().execute("query-migrate-capabilities")) {
            ignoreShared |= c.path("capability").asText().equals("x-ignore-shared");
        }
        if (!ignoreShared) {
            throw new NotReplaceableException(vm + " (QEMU " + info.version() + ") lacks the x-ignore-shared migration"
                    + " capability; use copy mode instead", Remedy.COPY_MODE);
        }
    }

    /** mem-path of each file backend, canonical as /proc shows it. */
    private static Map<String, String> memPaths(QemuInstance source, List<MemoryBackend> backends) {
        Map<String, String> paths = new HashMap<>();
        for (MemoryBackend b : backends) {
            if (b.type().equals(MemoryBackend.FILE)) {
                String p = source.qmp().execute("qom-get", Map.of("path", "/objects/" + b.id(), "property", "mem-path"))
                        .asText();
                try {
                    paths.put(b.id(), Path.of(p).toRealPath().toString());
                } catch (IOException e) {
                    paths.put(b.id(), p);
                }
            }
        }
        return paths;
    }

    /** Whether the new QEMU is the very program file the old one runs: the same machines and the same CPU models. */
    private static boolean sameProgram(long pid, Path newBinary) {
        try {
            return QemuExecutable.runs(pid, newBinary);
        } catch (IOException notSure) {
            return false;
        }
    }
}
