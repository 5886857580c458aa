package dev.hyperfresh.engine;

import dev.hyperfresh.progress.ProgressListener;
import dev.hyperfresh.sys.IoFailure;
import dev.hyperfresh.vmm.cli.VmSpec;
import dev.hyperfresh.vmm.control.ControlClient;
import dev.hyperfresh.vmm.control.Event;
import dev.hyperfresh.vmm.control.InstanceInfo;
import dev.hyperfresh.vmm.control.Json;
import dev.hyperfresh.vmm.vm.VmStatus;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.function.Function;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/** The engine over real hfvisor processes and their control sockets in one directory. */
public final class HfvisorEngine implements Engine {
    static final Duration STOP_TIMEOUT = Duration.ofSeconds(30);
    private static final Duration SHUTDOWN_POLL = Duration.ofMillis(200);
    private static final Pattern NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]*");
    static final String SOCKET_SUFFIX = ".sock";

    private final EngineConfig config;
    private final ReplacementHistory history;
    private final Map<String, HfvisorReplacement> replacements = new ConcurrentHashMap<>();

    public HfvisorEngine(EngineConfig config) {
        this.config = config;
        try {
            Files.createDirectories(config.socketDir());
        } catch (IOException e) {
            throw EngineException.failed("cannot create the socket directory " + config.socketDir() + ": "
                    + IoFailure.reason(e));
        }
        this.history = new ReplacementHistory(config.socketDir().resolve("history.jsonl"));
    }

    @Override
    public List<Instance> list() {
        List<Instance> found = new ArrayList<>();
        try (Stream<Path> files = Files.list(config.socketDir())) {
            for (Path socket : files.filter(p -> p.getFileName().toString().endsWith(SOCKET_SUFFIX)).sorted()
                    .toList()) {
                found.add(query(socket));
            }
        } catch (IOException e) {
            throw EngineException.failed("cannot read the socket directory " + config.socketDir() + ": "
                    + IoFailure.reason(e));
        }
        List<Instance> unreachable = UnreachableInstances.find(config.socketDir(), found);
        if (!unreachable.isEmpty()) {
            found.addAll(unreachable);
            found.sort(Comparator.comparing(Instance::name));
        }
        return found;
    }

    @Override
    public Instance instance(String name) {
        Path socket = socket(name);
        if (!Files.exists(socket)) {
            throw EngineException.precondition("no instance named " + name + " (no " + socket
                    + "); `list` shows the running ones");
        }
        Instance instance = query(socket);
        if (instance.isStale()) {
            throw EngineException.precondition("instance " + name + " does not answer: " + instance.problem());
        }
        return instance;
    }

    @Override
    public Instance launch(LaunchRequest request, ProgressListener progress) {
        Path socket = socket(request.name());
        if (request.vmSpecs().isEmpty()) {
            throw EngineException.usage("launch needs at least one VM (--vm name=web,mem=256M,cpus=1)");
        }
        Set<String> vmNames = new HashSet<>();
        List<String> command = new ArrayList<>(List.of(config.hfvisor().toString(), "--name", request.name(),
                "--socket-dir", config.socketDir().toString()));
        for (String spec : request.vmSpecs()) {
            VmSpec parsed;
            try {
                parsed = VmSpec.parse(spec);
            } catch (IllegalArgumentException e) {
                throw EngineException.usage(e.getMessage());
            }
            if (!vmNames.add(parsed.name())) {
                throw EngineException.usage("two VMs are named " + parsed.name());
            }
            command.addAll(List.of("--vm", quietConsole(spec)));
        }
        if (request.shutdownTimeout() != null) {
            if (request.shutdownTimeout().isNegative()) {
                throw EngineException.usage("--shutdown-timeout must be 0 or more seconds, got "
                        + request.shutdownTimeout().toSeconds());
            }
            command.addAll(List.of("--shutdown-timeout", String.valueOf(request.shutdownTimeout().toSeconds())));
        }
        if (Files.exists(socket) && !query(socket).isStale()) {
            throw EngineException.precondition("an instance named " + request.name() + " is already running");
        }
        Path log = log(request.name());
        Process process = Launcher.spawn(command, log);
        try {
            return Launcher.await(process, socket, log, config.startTimeout(), "launch", progress);
        } catch (Launcher.NameTaken e) {
            throw EngineException.precondition("an instance named " + request.name() + " is already running ("
                    + e.getMessage() + ")");
        }
    }

    @Override
    public boolean stop(String name, String vm) {
        Instance instance = instance(name);
        if (vm != null) {
            instance.requireVm(vm);   // refused, as everywhere a VM is named, before the instance is asked
        }
        boolean ends = vm == null || instance.endsWithout(vm);
        Control.request(instance.socket(), "stop", vm == null ? null
                : Json.MAPPER.createObjectNode().put("vm", vm));
        if (vm == null && !Launcher.awaitExit(instance.info().pid(), STOP_TIMEOUT)) {
            throw EngineException.failed("instance " + name + " did not exit within " + STOP_TIMEOUT.toSeconds()
                    + " s of `stop` and was killed");
        }
        replacements.remove(name);
        return ends;
    }

    @Override
    public void reset(String name, String vm) {
        // a VM resetting already is let through: hfvisor joins that reset; a paused one is reset and stays paused
        Function<InstanceInfo.Vm, String> state = Instance.unlessIn(Set.of(VmStatus.RUNNING.word(),
                VmStatus.RESETTING.word(), VmStatus.PAUSED.word()));
        askEach(name, vm, "reset", v -> InstanceInfo.Vm.REBOOT_POWEROFF.equals(v.reboot())
                ? "it powers off on a reset (reboot=poweroff): it has nothing to boot again from" : state.apply(v));
    }

    @Override
    public void shutdown(String name, String vm, Duration wait) {
        Function<InstanceInfo.Vm, String> state = Instance.unlessIn(Set.of(VmStatus.RUNNING.word()));
        Instance asked = askEach(name, vm, "shutdown", v -> Optional.ofNullable(state.apply(v))
                .orElseGet(() -> InstanceInfo.Vm.powerButtonUnheard(v.powerButton(), v.guestKind())));
        List<String> pressed = asked.info().vms().stream().map(InstanceInfo.Vm::name)
                .filter(v -> vm == null || v.equals(vm)).toList();
        if (wait != null) {
            awaitPoweredOff(name, pressed, wait);
        }
    }

    /** Until none of {@code vms} is alive in the instance (or the instance, its last VM gone, has ended). */
    private void awaitPoweredOff(String name, List<String> vms, Duration wait) {
        long deadline = System.nanoTime() + wait.toNanos();
        while (true) {
            Path socket = socket(name);
            Instance now = Files.exists(socket) ? query(socket) : null;
            List<String> up = now == null || now.isStale() ? List.of() : now.info().vms().stream()
                    .filter(v -> vms.contains(v.name()) && Instance.ALIVE.contains(v.state())).map(InstanceInfo.Vm::name)
                    .toList();
            if (up.isEmpty()) {
                return;
            }
            if (System.nanoTime() - deadline > 0) {
                throw EngineException.failed("VM " + String.join(", ", up) + " of " + name + " still running "
                        + wait.toSeconds() + " s after its power button was pressed; `stop` powers it off");
            }
            try {
                Thread.sleep(SHUTDOWN_POLL.toMillis());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw EngineException.failed("interrupted while waiting for " + String.join(", ", up)
                        + " to power off");
            }
        }
    }

    @Override
    public void pause(String name, String vm) {
        askEach(name, vm, "pause", Instance.unlessIn(Set.of(VmStatus.RUNNING.word())));
    }

    @Override
    public void resume(String name, String vm) {
        askEach(name, vm, "resume", Instance.unlessIn(Set.of(VmStatus.PAUSED.word())));
    }

    /**
     * Asks hfvisor to {@code op} the VM (every VM when null) unless {@code objection} has one to a VM first; the
     * instance as it was before it asked.
     */
    private Instance askEach(String name, String vm, String op, Function<InstanceInfo.Vm, String> objection) {
        Instance instance = instance(name);
        if (vm != null) {
            instance.requireVm(vm);
        }
        instance.requireEach(vm, op, objection);
        Control.request(instance.socket(), op, vm == null ? null : Json.MAPPER.createObjectNode().put("vm", vm));
        return instance;
    }

    @Override
    public AutoCloseable follow(String name, Consumer<Event> events) {
        ControlClient client = ControlClient.connect(instance(name).socket());
        try {
            client.subscribe(events);
        } catch (RuntimeException e) {
            client.close();
            throw e;
        }
        return client;
    }

    @Override
    public void follow(String name, String vm, Duration duration, Runnable started, Consumer<Event> events) {
        if (vm != null) {
            instance(name).requireVm(vm);
        }
        try (AutoCloseable following = follow(name, e -> {
            if (vm == null || e.vm() == null || vm.equals(e.vm())) {
                events.accept(e);
            }
        })) {
            started.run();
            if (duration == null) {
                Thread.sleep(Long.MAX_VALUE);
            } else {
                TimeUnit.NANOSECONDS.sleep(duration.toNanos());
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (EngineException e) {
            throw e;
        } catch (Exception e) {
            throw EngineException.failed("console of " + name + " ended: " + e.getMessage());
        }
    }

    @Override
    public Replacement replacement(String name) {
        socket(name);
        return replacements.computeIfAbsent(name, n -> new HfvisorReplacement(n, this));
    }

    /**
     * The running instance {@code name}, refused when it is missing or a standby. Each step asks it first; the
     * {@code standby} step only once its standby process is starting, so that the two overlap.
     */
    Instance replaceable(String name) {
        Instance instance = instance(name);
        if (instance.isStandby()) {
            throw EngineException.precondition(name + " is a standby; replace the active instance it serves");
        }
        return instance;
    }

    @Override
    public ReplaceAllReport replaceAll(Path launcher, QemuReplaceRequest qemu, Path qemusAlsoUnder,
                                       Duration verifyWindow, ProgressListener progress) {
        return ReplaceAll.run(this, launcher, qemu, qemusAlsoUnder, verifyWindow, progress);
    }

    @Override
    public ReplaceAllReport checkAll(Path launcher, QemuReplaceRequest qemu, Path qemusAlsoUnder) {
        return ReplaceAll.run(this, launcher, qemu, qemusAlsoUnder, null, ProgressListener.NONE);
    }

    @Override
    public List<HistoryEntry> history() {
        return history.read();
    }

    @Override
    public Path hfvisorLauncher() {
        return config.hfvisor();
    }

    EngineConfig config() {
        return config;
    }

    ReplacementHistory historyFile() {
        return history;
    }

    Path socket(String name) {
        if (name == null || !NAME.matcher(name).matches()) {
            throw EngineException.usage("instance name \"" + name + "\" must be letters, digits, '.', '_' or '-',"
                    + " starting with a letter or digit");
        }
        return config.socketDir().resolve(name + SOCKET_SUFFIX);
    }

    /** Where the hfvisor started under {@code name} (an instance or a standby) writes its output. */
    Path log(String name) {
        return config.socketDir().resolve(name + ".log");
    }

    /**
     * Guest output reaches operators as events (`console`); unless asked otherwise it stays out of the log, which
     * would otherwise grow by every heartbeat. The cmdline goes last in a spec: everything after it is its text.
     */
    static String quietConsole(String spec) {
        int cmdline = spec.indexOf("cmdline=");
        String options = cmdline < 0 ? spec : spec.substring(0, cmdline);
        if (options.contains("console=")) {
            return spec;
        }
        return cmdline < 0 ? spec + ",console=none" : options + "console=none," + spec.substring(cmdline);
    }

    private static Instance query(Path socket) {
        String file = socket.getFileName().toString();
        String name = file.substring(0, file.length() - SOCKET_SUFFIX.length());
        try {
            return Control.query(socket);
        } catch (RuntimeException e) {
            return Instance.stale(name, socket, "stale socket, nothing answers (" + e.getMessage() + ")");
        }
    }
}
