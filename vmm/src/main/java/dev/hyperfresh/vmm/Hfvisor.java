package dev.hyperfresh.vmm;

import static java.lang.System.Logger.Level.INFO;

import dev.hyperfresh.kvm.Kvm;
import dev.hyperfresh.kvm.KvmFlavor;
import dev.hyperfresh.sys.Fd;
import dev.hyperfresh.sys.ServiceManager;
import dev.hyperfresh.vmm.control.ControlHandler;
import dev.hyperfresh.vmm.control.ControlServer;
import dev.hyperfresh.vmm.control.CutoverReply;
import dev.hyperfresh.vmm.control.Event;
import dev.hyperfresh.vmm.control.Frame;
import dev.hyperfresh.vmm.control.FrameChannel;
import dev.hyperfresh.vmm.control.InstanceInfo;
import dev.hyperfresh.vmm.control.InstanceRef;
import dev.hyperfresh.vmm.control.PrepareReply;
import dev.hyperfresh.vmm.control.PrepareRequest;
import dev.hyperfresh.vmm.handover.FaultPoint;
import dev.hyperfresh.vmm.handover.HostedVm;
import dev.hyperfresh.vmm.handover.IncomingHandover;
import dev.hyperfresh.vmm.handover.OutgoingHandover;
import dev.hyperfresh.vmm.handover.StandbyHost;
import dev.hyperfresh.vmm.handover.StandbyKvm;
import dev.hyperfresh.vmm.heartbeat.GuestLine;
import dev.hyperfresh.vmm.persist.VmState;
import dev.hyperfresh.vmm.vm.VirtualMachine;
import dev.hyperfresh.vmm.vm.VmExit;
import dev.hyperfresh.vmm.vm.VmStatus;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * One hfvisor instance: the VMs it hosts, what its control socket can ask of them, and its part in handovers —
 * as the old instance ({@link OutgoingHandover}) or as a standby ({@link IncomingHandover}).
 */
public final class Hfvisor implements ControlHandler, StandbyHost, AutoCloseable {
    private static final System.Logger LOG = System.getLogger(Hfvisor.class.getName());
    /** Set by hyperfresh for the standbys it starts: the console's pid. */
    public static final String CONSOLE_PID_ENV = "HYPERFRESH_CONSOLE_PID";
    /** SIGTERM's wait for the guests asked to shut down: inside systemd's default stop timeout of 90 s. */
    public static final Duration DEFAULT_SHUTDOWN_TIMEOUT = Duration.ofSeconds(30);

    private final Kvm kvm;
    private final KvmFlavor flavor;
    private final BuildInfo build = BuildInfo.current();
    private final long startedAt = System.nanoTime();
    private final Map<String, HostedVm> vms = new LinkedHashMap<>();
    private final CompletableFuture<Integer> ended = new CompletableFuture<>();
    private final FaultPoint fault;
    private volatile String name;
    private volatile boolean standby;
    private volatile ControlServer control;
    private OutgoingHandover handover;
    private boolean handingOver;
    private boolean committed;
    /** The host asked this instance to end (SIGTERM): no handover starts any more. */
    private boolean ending;
    private boolean closed;
    private volatile OutgoingHandover pendingRelease;
    private volatile StandbyKvm standbyKvm;
    /** The instance's setting, which a standby takes over with its VMs. */
    private volatile Duration shutdownTimeout = DEFAULT_SHUTDOWN_TIMEOUT;
    /** The systemd service whose main process this instance is, if any; a standby's comes with its VMs. */
    private volatile ServiceUnit service;

    public Hfvisor(String name, Kvm kvm, boolean standby, FaultPoint fault) {
        this.name = name;
        this.kvm = kvm;
        this.flavor = kvm.flavor();
        this.standby = standby;
        this.fault = fault;
    }

    public Hfvisor(String name, Kvm kvm) {
        this(name, kvm, false, null);
    }

    /**
     * Runs as the main process of the service {@code manager} (systemd, {@code Type=notify}) started this instance
     * as; see {@link #serving}.
     */
    public void runAsServiceOf(ServiceManager manager) {
        service = new ServiceUnit(manager);
    }

    /** Every VM of the command line runs and the control socket answers: the service manager is told, if any. */
    public void serving() {
        ServiceUnit s = service;
        if (s != null) {
            s.ready("instance " + name + ", " + vms().size() + " VM(s), control socket " + control.path());
        }
    }

    public String name() {
        return name;
    }

    @Override
    public Kvm kvm() {
        return kvm;
    }

    /** Probed at most once (a race probes twice, harmlessly), on the first offer: never on the cutover path. */
    @Override
    public StandbyKvm standbyKvm() {
        StandbyKvm s = standbyKvm;
        if (s == null) {
            s = StandbyKvm.probe(kvm);
            standbyKvm = s;
        }
        return s;
    }

    @Override
    public FaultPoint fault() {
        return fault;
    }

    /** Where events go and which socket a successor takes over; set once the control socket is up. */
    public void serveOn(ControlServer server) {
        this.control = server;
    }

    /** Completes with the process exit code once the instance has nothing left to do. */
    public CompletableFuture<Integer> ended() {
        return ended;
    }

    /**
     * Hosts {@code vm}: its guest lines and serial console go to {@code console} (hfvisor's {@code console=}
     * value) and to subscribers; its end is tracked.
     */
    public synchronized void add(VirtualMachine vm, String console) {
        String vmName = vm.config().name();
        if (vms.containsKey(vmName)) {
            throw new IllegalArgumentException("this instance already has a VM named " + vmName);
        }
        ConsoleSink sink = ConsoleSink.open(console, vmName);
        vm.onConsoleLine(text -> {
            sink.line(text);
            publish(Event.console(vmName, text));
        });
        vm.onGuestLine(line -> {
            sink.line(line.text());
            publish(line.is(GuestLine.HEARTBEAT) ? Event.heartbeat(vmName, line.heartbeat(), vm.tscKhz())
                    : Event.guestLine(vmName, line));
        });
        vm.onReset((now, why) -> {
            if (now == VmStatus.RESETTING) {
                sink.notice("hfvisor: VM " + vmName + " resetting (" + why + ")");
            }
            publish(Event.state(vmName, now.word()));
        });
        vm.exit().whenComplete((exit, err) -> {
            sink.notice("hfvisor: VM " + vmName + " " + exit.status().name().toLowerCase(Locale.ROOT).replace('_', ' ')
                    + " (" + exit.message() + ")");
            publish(Event.state(vmName, exit.status().word()));
            checkEnded();
        });
        vms.put(vmName, new HostedVm(vm, console));
    }

    public void add(VirtualMachine vm) {
        add(vm, "none");
    }

    public synchronized List<VirtualMachine> vms() {
        return vms.values().stream().map(HostedVm::vm).toList();
    }

    private void publish(Event e) {
        ControlServer c = control;
        if (c != null) {
            c.publish(e);
        }
    }

    private synchronized void checkEnded() {
        if (standby || vms.isEmpty()) {
            return;
        }
        List<VmExit> exits = new ArrayList<>();
        for (HostedVm h : vms.values()) {
            if (!h.vm().exit().isDone()) {
                return;
            }
            exits.add(h.vm().exit().join());
        }
        boolean clean = exits.stream().allMatch(e -> e.code() == 0 && (e.status() == VmStatus.POWERED_OFF
                || e.status() == VmStatus.HANDED_OVER));
        ended.complete(clean ? 0 : 1);
    }

    @Override
    public synchronized InstanceInfo info() {
        List<InstanceInfo.Vm> out = new ArrayList<>();
        for (HostedVm h : vms.values()) {
            out.add(h.vm().describe(true));
        }
        boolean anyAlive = vms.values().stream().anyMatch(h -> alive(h.vm()));
        String state = standby ? "standby" : handover != null ? "handover-prepared" : anyAlive ? "running" : "idle";
        return new InstanceInfo(name, ProcessHandle.current().pid(), build.version(), build.buildId(), flavor.label(),
                (System.nanoTime() - startedAt) / 1_000_000, state, standby ? "standby" : "active", out,
                shutdownTimeout.toSeconds());
    }

    @Override
    public InstanceRef self() {
        return new InstanceRef(name, ProcessHandle.current().pid(), build.version(), build.buildId());
    }

    @Override
    public void pause(String vm) {
        for (VirtualMachine v : select(vm)) {
            v.pause();
        }
    }

    @Override
    public void resume(String vm) {
        for (VirtualMachine v : select(vm)) {
            v.resume();
        }
    }

    /** Pauses each running VM for the save and resumes it afterwards; a paused VM stays paused. */
    @Override
    public List<VmState> saveState(String vm) {
        List<VmState> out = new ArrayList<>();
        for (VirtualMachine v : select(vm, true)) {
            boolean wasRunning = v.status() == VmStatus.RUNNING;
            if (wasRunning) {
                v.pause();
            }
            try {
                out.add(v.saveState());
            } finally {
                if (wasRunning) {
                    v.resume();
                }
            }
        }
        return out;
    }

    @Override
    public void reset(String vm) {
        for (VirtualMachine v : select(vm)) {
            v.reset("reset by the operator");
        }
    }

    /** Every selected VM's guest must hear the button before any is pressed: all shut down, or none. */
    @Override
    public void shutdown(String vm) {
        List<VirtualMachine> selected = select(vm);
        for (VirtualMachine v : selected) {
            v.requirePowerButtonHeard();
        }
        for (VirtualMachine v : selected) {
            v.pressPowerButton();
        }
    }

    @Override
    public void stop(String vm) {
        synchronized (this) {
            if (standby && vms.isEmpty()) {
                ended.complete(0);
                return;
            }
        }
        for (VirtualMachine v : select(vm)) {
            v.stop("stopped by the operator");
        }
    }

    @Override
    public PrepareReply prepareHandover(PrepareRequest request) {
        synchronized (this) {
            requireActiveIdle("prepare a handover");
            handingOver = true;
        }
        try {
            ControlServer c = control;
            OutgoingHandover h = OutgoingHandover.prepare(new OutgoingHandover.Source(name, c.path(),
                    build.version(), build.buildId(), c.nameLock(), shutdownTimeout,
                    Optional.ofNullable(service).map(ServiceUnit::manager)), kvm, movable(), request, fault,
                    this::publish);
            synchronized (this) {
                handover = h;
                abortWhenGone(h, request.clientPid());
                return h.prepared().withLeft(vms.values().stream().map(HostedVm::vm)
                        .filter(v -> h.prepared().vms().stream().noneMatch(m -> m.name().equals(v.config().name())))
                        .map(v -> v.describe(false)).toList());
            }
        } finally {
            synchronized (this) {
                handingOver = false;
            }
        }
    }

    /**
     * A prepared handover lives as long as the console that asked for it: when that process is gone (crashed, or a
     * script or one-shot command ended) before a cutover, it is aborted, so the instance never stays prepared — and
     * its standby alive — for good.
     */
    private void abortWhenGone(OutgoingHandover h, int clientPid) {
        ConsoleWatch.onExit(clientPid, () -> isPrepared(h), () -> {
            while (true) {   // a prepare still returning, or a cutover under way, finishes first
                synchronized (this) {
                    if (handover != h) {
                        return;
                    }
                    if (!handingOver) {
                        handover = null;
                        break;
                    }
                }
                sleep(50);
            }
            LOG.log(INFO, "the console that prepared the handover (pid {0}) is gone: aborting it", clientPid);
            System.err.println("hfvisor: the console that prepared the handover (pid " + clientPid
                    + ") is gone: aborting it; the VMs never stopped");
            h.abort();
        });
    }

    private synchronized boolean isPrepared(OutgoingHandover h) {
        return handover == h;
    }

    private static void sleep(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /**
     * A standby started for a console (hyperfresh sets {@value #CONSOLE_PID_ENV}) ends with it while it has no VM:
     * nothing else would ever use or stop it. Once it maps VMs, the old instance's handover decides its fate.
     */
    public void endWithConsole(int consolePid) {
        ConsoleWatch.onExit(consolePid, this::emptyStandby, () -> {
            if (emptyStandby()) {
                standbyDone("the console that started it (pid " + consolePid + ") is gone");
            }
        });
    }

    private synchronized boolean emptyStandby() {
        return standby && vms.isEmpty() && !ended.isDone();
    }

    @Override
    public CutoverReply cutover() {
        OutgoingHandover h;
        synchronized (this) {
            if (handover == null) {
                throw new IllegalStateException("no handover is prepared: run handover-prepare (remap) first");
            }
            if (handingOver) {
                throw new IllegalStateException("a cutover is already under way");
            }
            h = handover;
            handingOver = true;
        }
        CutoverReply reply = h.cutover();
        synchronized (this) {
            handover = null;
            handingOver = false;
            committed = reply.committed();
        }
        LOG.log(INFO, "cutover {0}: {1}", reply.outcome(), reply.reason() == null ? "" : reply.reason());
        if (reply.committed()) {
            ServiceUnit s = service;
            if (s != null) {
                s.nameMain(h.target().pid());
            }
            pendingRelease = h;
            ControlServer c = control;
            if (c != null) {   // served by a control socket, which the standby's took over
                c.handedOn();
            }
        }
        return reply;
    }

    @Override
    public void cutoverReplied() {
        OutgoingHandover h = pendingRelease;
        if (h != null) {
            pendingRelease = null;
            ServiceUnit s = service;
            if (s != null) {   // after the reply: not on the console's wait
                s.moveIn(h.target().pid());
            }
            h.releaseAll();
        }
    }

    @Override
    public void abortHandover() {
        OutgoingHandover h;
        synchronized (this) {
            if (handover == null) {
                throw new IllegalStateException("no handover is prepared: nothing to abort");
            }
            if (handingOver) {
                throw new IllegalStateException("the cutover is under way and can no longer be aborted");
            }
            h = handover;
            handover = null;
        }
        h.abort();
    }

    @Override
    public void adopt(Frame request, FrameChannel channel) {
        synchronized (this) {
            if (!standby || !vms.isEmpty()) {
                request.fds().forEach(dev.hyperfresh.sys.Fd::close);
                throw new IllegalStateException("instance " + name + " is not an empty standby; it cannot adopt VMs");
            }
        }
        IncomingHandover.serve(this, request, channel);
    }

    @Override
    public void host(List<HostedVm> adopted) {
        for (HostedVm h : adopted) {
            add(h.vm(), h.console());
        }
    }

    @Override
    public void becomeActive(String oldName, Path socket, Fd nameLock, Duration oldShutdownTimeout,
                             String serviceManager) {
        synchronized (this) {
            standby = false;
            name = oldName;
        }
        if (oldShutdownTimeout != null) {
            shutdownTimeout = oldShutdownTimeout;
        }
        if (serviceManager != null) {   // the old instance checked the address it passes
            service = new ServiceUnit(ServiceManager.at(serviceManager).orElseThrow());
        }
        control.takeName(socket, nameLock == null ? control.nameLock() : nameLock);
        checkEnded();
    }

    @Override
    public void standbyDone(String why) {
        LOG.log(INFO, "standby {0} ends: {1}", name, why);
        System.err.println("hfvisor: standby " + name + " ends: " + why);
        ended.complete(0);
    }

    private void requireActiveIdle(String action) {
        if (standby) {
            throw new IllegalStateException("instance " + name + " is a standby; it has no VMs to hand over");
        }
        if (handover != null || handingOver) {
            throw new IllegalStateException("instance " + name + " has a handover under way already");
        }
        if (committed) {
            throw new IllegalStateException("instance " + name + " has handed its VMs over already");
        }
        if (ending) {
            throw new IllegalStateException("instance " + name + " is ending (SIGTERM): its guests are shutting down");
        }
        if (vms.values().stream().noneMatch(h -> h.vm().status() == VmStatus.RUNNING
                || h.vm().status() == VmStatus.RESETTING)) {
            throw new IllegalStateException("cannot " + action + ": instance " + name + " has no running VM");
        }
    }

    /**
     * The VMs a handover moves: running ones (one resetting runs again in a moment: a cutover before then rolls
     * back), and paused ones (they stay paused). A stopped or failed VM has no vCPU to move; it ends with this
     * instance, and the prepare reply names it.
     */
    private synchronized List<HostedVm> movable() {
        return vms.values().stream().filter(h -> alive(h.vm())).toList();
    }

    private static boolean alive(VirtualMachine vm) {
        VmStatus s = vm.status();
        return s == VmStatus.RUNNING || s == VmStatus.PAUSED || s == VmStatus.RESETTING;
    }

    private List<VirtualMachine> select(String vm) {
        return select(vm, false);
    }

    /** The VMs {@code vm} names; while a handover is prepared only reads ({@code duringPrepared}) are let through. */
    private synchronized List<VirtualMachine> select(String vm, boolean duringPrepared) {
        if (handingOver || (handover != null && !duringPrepared)) {
            throw new IllegalStateException("instance " + name + " is in a handover" + (handingOver
                    ? ": its cutover is under way"
                    : " (a standby has mapped its VMs' memory): finish it with `cutover` or drop it with `rollback`"
                            + " (handover-abort) first"));
        }
        if (vm == null) {
            return vms();
        }
        HostedVm v = vms.get(vm);
        if (v == null) {
            throw new IllegalArgumentException("no VM named " + vm + " in instance " + name
                    + (vms.isEmpty() ? "" : " (it has: " + String.join(", ", vms.keySet()) + ")"));
        }
        return List.of(v.vm());
    }

    /** How long {@link #shutdownGuests} waits ({@code --shutdown-timeout}); 0: it asks no guest. */
    public Duration shutdownTimeout() {
        return shutdownTimeout;
    }

    public void shutdownTimeout(Duration timeout) {
        shutdownTimeout = timeout;
    }

    /**
     * The host ends this instance (SIGTERM, e.g. its own shutdown): each running VM whose guest listens gets its ACPI
     * power button pressed, as libvirt-guests does, and this waits up to {@link #shutdownTimeout} for them to power
     * off; the caller then closes what still runs. Nothing is pressed on a standby, during a handover or with a zero
     * timeout; the service manager this instance runs under, if any, hears that it stops (but for a standby and
     * during a handover, whose instance is not the service's main process or is about to hand it on).
     *
     * @return the VMs asked to shut down
     */
    public List<String> shutdownGuests() {
        Duration timeout = shutdownTimeout;
        List<VirtualMachine> asked = new ArrayList<>();
        synchronized (this) {
            ending = true;
            if (standby || handingOver || handover != null || committed) {
                return List.of();
            }
            for (HostedVm h : vms.values()) {
                if (!timeout.isZero() && h.vm().powerButtonObjection() == null) {
                    asked.add(h.vm());
                }
            }
        }
        ServiceUnit s = service;
        if (s != null) {
            s.stopping();
        }
        for (VirtualMachine v : asked) {
            try {
                v.pressPowerButton();
            } catch (IllegalStateException raced) {   // it ended or paused just now: close() deals with it
            }
        }
        try {
            CompletableFuture.allOf(asked.stream().map(VirtualMachine::exit).toArray(CompletableFuture[]::new))
                    .get(timeout.toMillis(), TimeUnit.MILLISECONDS);
        } catch (TimeoutException | ExecutionException late) {
            // what still runs is powered off by close()
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        return asked.stream().map(v -> v.config().name()).toList();
    }

    /**
     * Powers off and releases every VM; once (SIGTERM's hook and the main thread's end both call it). The VMs are
     * closed outside this instance's lock: a close waits for the VM's vCPU threads, and a vCPU thread powering its VM
     * off at that moment (a guest answering SIGTERM's power button) reports its exit through {@link #checkEnded},
     * which takes the lock — held here, that was a 10 s wait, then the vCPU's memory unmapped under its own thread.
     */
    @Override
    public void close() {
        List<HostedVm> closing;
        synchronized (this) {
            if (closed) {
                return;
            }
            closed = true;
            if (handover != null) {
                handover.abort();
                handover = null;
            }
            closing = List.copyOf(vms.values());
        }
        closing.forEach(h -> h.vm().close());
        synchronized (this) {
            vms.clear();
        }
    }
}
