package dev.hyperfresh.vmm.vm;

import dev.hyperfresh.kvm.Cap;
import dev.hyperfresh.kvm.Cpuid;
import dev.hyperfresh.kvm.Kvm;
import dev.hyperfresh.kvm.KvmException;
import dev.hyperfresh.kvm.MpState;
import dev.hyperfresh.kvm.Vcpu;
import dev.hyperfresh.kvm.Vm;
import dev.hyperfresh.kvm.snapshot.SaveableMsrs;
import dev.hyperfresh.kvm.snapshot.VcpuSnapshot;
import dev.hyperfresh.kvm.snapshot.VmSnapshot;
import dev.hyperfresh.sys.CpuSplit;
import dev.hyperfresh.sys.RealtimePriority;
import dev.hyperfresh.sys.SysException;
import dev.hyperfresh.vmm.boot.BootLoader;
import dev.hyperfresh.vmm.boot.BootState;
import dev.hyperfresh.vmm.boot.GuestCpuid;
import dev.hyperfresh.vmm.control.InstanceInfo;
import dev.hyperfresh.vmm.devices.AcpiPm;
import dev.hyperfresh.vmm.devices.DebugConsole;
import dev.hyperfresh.vmm.devices.I8042;
import dev.hyperfresh.vmm.devices.IoBus;
import dev.hyperfresh.vmm.devices.MmioBus;
import dev.hyperfresh.vmm.devices.MmioDevice;
import dev.hyperfresh.vmm.devices.PortDevice;
import dev.hyperfresh.vmm.devices.PowerOffPort;
import dev.hyperfresh.vmm.devices.ResetLine;
import dev.hyperfresh.vmm.devices.StatefulDevice;
import dev.hyperfresh.vmm.heartbeat.GuestLine;
import dev.hyperfresh.vmm.memory.GuestMemory;
import dev.hyperfresh.vmm.memory.MemoryLayout;
import dev.hyperfresh.vmm.memory.MemoryRegion;
import dev.hyperfresh.vmm.persist.CpuidSections;
import dev.hyperfresh.vmm.persist.InPlaceState;
import dev.hyperfresh.vmm.persist.StateCodec;
import dev.hyperfresh.vmm.persist.VmState;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Queue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executor;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.BiConsumer;
import java.util.function.Consumer;

/**
 * One running VM of an hfvisor instance: its KVM VM, RAM, devices and one thread per vCPU, with pause/resume
 * and whole-VM state save/restore. Pause kicks every vCPU out of KVM_RUN and waits until all are parked.
 */
public final class VirtualMachine implements AutoCloseable {
    private static final System.Logger LOG = System.getLogger(VirtualMachine.class.getName());
    /**
     * How long a vCPU thread raised for a resume may run guest code at real-time priority: it lowers itself at its
     * next exit (VcpuLoop), and one whose guest has not exited by then is kicked out to do so.
     */
    private static final long RAISED_AT_MOST_MS = 20;
    /**
     * How long a pause waits for its vCPUs to park, kicking again every {@link #REKICK_NANOS} those still out, before
     * it is withdrawn: a cutover then rolls back instead of leaving the VM half stopped.
     */
    static final long PAUSE_LIMIT_NANOS = 5_000_000_000L;
    private static final long REKICK_NANOS = 100_000_000L;
    /** Where resets run: not on a vCPU thread, which must park for it. */
    private static final Executor RESETS = Executors.newCachedThreadPool(r -> {
        Thread t = new Thread(r, "hfvisor-reset");
        t.setDaemon(true);
        return t;
    });
    private static final ScheduledExecutorService PRIORITY_BOUND = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "hf-vcpu-priority");
        t.setDaemon(true);
        return t;
    });
    private final VmConfig config;
    private final Vm vm;
    private final GuestMemory memory;
    private final List<Vcpu> vcpus = new ArrayList<>();
    private final IoBus bus = new IoBus();
    private final MmioBus mmio = new MmioBus();
    private volatile List<VmDisk> disks = List.of();
    private volatile List<VmNic> nics = List.of();
    /** ACPI's power management registers, on a machine that has them (a Linux guest's). */
    private volatile AcpiPm powerButton;
    /** Device work a pause interrupted, for the first vCPU thread that runs again (see {@link VcpuLoop}). */
    private final Queue<Runnable> deferredDeviceWork = new ConcurrentLinkedQueue<>();
    private final Map<String, StatefulDevice> statefulDevices = new LinkedHashMap<>();
    private final List<Consumer<GuestLine>> lineListeners = new CopyOnWriteArrayList<>();
    private final List<Consumer<String>> consoleListeners = new CopyOnWriteArrayList<>();
    private final List<BiConsumer<VmStatus, String>> resetListeners = new CopyOnWriteArrayList<>();
    private final GuestOutput output;
    private final CompletableFuture<VmExit> exit = new CompletableFuture<>();
    private final List<Thread> threads = new ArrayList<>();
    private final ExitCounts exitCounts = new ExitCounts();
    private final int[] msrIndices;
    private final CpuidSections cpuidSections;
    private final int tscKhz;
    private volatile Cpuid guestCpuid;
    private final VcpuGate gate = new VcpuGate();
    private CountDownLatch ready;
    private volatile VmStatus status = VmStatus.CREATED;
    private boolean stopping;
    /** Under this monitor: a pause asked of the gate, until resume (the gate's own flag is the vCPUs'). */
    private boolean pauseRequested;
    /** What a reset puts back; null when a reset powers the VM off (no {@link VmConfig#reboot()}). */
    private final PowerOnState powerOn;
    /** Under this monitor: the reset under way (status RESETTING), which later requests join. */
    private CompletableFuture<Void> reset;

    private VirtualMachine(VmConfig config, Vm vm, GuestMemory memory, int[] msrIndices, int tscKhz,
                           Cpuid guestCpuid, CpuidSections cpuidSections, PowerOnState powerOn) {
        this.powerOn = powerOn;
        this.config = config;
        this.vm = vm;
        this.memory = memory;
        this.msrIndices = msrIndices;
        this.tscKhz = tscKhz;
        this.guestCpuid = guestCpuid;
        this.cpuidSections = cpuidSections;
        this.output = new GuestOutput(config.name(), lineListeners, consoleListeners);
    }

    /** Creates the VM with fresh RAM and boots it with the config's loader (not started yet). */
    public static VirtualMachine create(Kvm kvm, VmConfig config) {
        GuestMemory memory = GuestMemory.create(config.name(), config.memoryBytes(), config.hugePages());
        VirtualMachine machine = build(kvm, config, memory);
        try {
            machine.boot(config.loader());
            return machine;
        } catch (RuntimeException e) {
            machine.close();
            throw e;
        }
    }

    /** Loads the guest into RAM and sets the vCPUs as it starts (at power-on, or after a reset put them back). */
    private void boot(BootLoader loader) {
        BootState boot = loader.load(memory, config.vcpus());
        for (Vcpu vcpu : boot.everyVcpu() ? vcpus : vcpus.subList(0, 1)) {
            vcpu.setSregs(boot.sregs().apply(vcpu.getSregs()));
            vcpu.setRegs(boot.regs());
            if (boot.msrs().count() > 0) {
                vcpu.setMsrs(boot.msrs());
            }
            if (boot.everyVcpu()) {
                vcpu.setMpState(MpState.RUNNABLE);
                vcpu.setLapic(vcpu.getLapic().withSoftwareEnabled());
            }
        }
    }

    /**
     * Creates the VM around RAM that another instance is running (its memfd, mapped here): nothing is loaded, the
     * vCPUs wait for a saved state ({@link #startPaused()}, then {@link #restoreState}).
     */
    public static VirtualMachine adopt(Kvm kvm, VmConfig config, GuestMemory memory) {
        return build(kvm, config, memory);
    }

    private static VirtualMachine build(Kvm kvm, VmConfig config, GuestMemory memory) {
        Vm vm = null;
        VirtualMachine machine = null;
        try {
            vm = kvm.createVm();
            vm.setTssAddress(MemoryLayout.TSS_ADDRESS);
            vm.setIdentityMapAddress(MemoryLayout.IDENTITY_MAP_ADDRESS);
            vm.createIrqchip();
            vm.createPit2();
            memory.registerWith(vm);
            var supported = kvm.supportedCpuid();
            List<Vcpu> created = new ArrayList<>();
            for (int id = 0; id < config.vcpus(); id++) {
                Vcpu v = vm.createVcpu(id);
                created.add(v);
                v.setCpuid(GuestCpuid.forVcpu(supported, id));
            }
            Vcpu first = created.get(0);
            int[] msrIndices = SaveableMsrs.of(kvm, first);
            PowerOnState powerOn = config.reboot() == null ? null : PowerOnState.ofNewVm(vm, created, msrIndices);
            machine = new VirtualMachine(config, vm, memory, msrIndices, first.getTscKhz(), first.getCpuid(),
                    new CpuidSections(created), powerOn);
            machine.vcpus.addAll(created);
            DebugConsole console = new DebugConsole(machine.output::guestLine, memory, why -> LOG.log(
                    System.Logger.Level.WARNING, "VM {0}: dropped a line-console record (reported once): {1}",
                    config.name(), why));
            machine.addStatefulDevice(DebugConsole.STATE_NAME, DebugConsole.PORT, 1, console);
            machine.addDevice(DebugConsole.LINE_PORT, 1, console);
            VirtualMachine built = machine;
            machine.bus.register(PowerOffPort.PORT, 1, new PowerOffPort(code -> built.powerOff(code,
                    "guest wrote " + code + " to the power-off port")));
            if (VmConfig.HFGUEST.equals(config.guestKind())) {   // Linux's come with its PC devices
                machine.bus.register(I8042.COMMAND_PORT, 1, new ResetLine(() -> built.guestReset("reset line")));
                // hfguest reads the power button's status on its own (acpi=1): no SCI, no tables to describe one
                PcDevices.attachAcpi(machine, high -> { });
            }
            return machine;
        } catch (RuntimeException e) {
            if (machine != null) {
                machine.output.close();
            }
            memory.close();
            if (vm != null) {
                vm.close();
            }
            throw e;
        }
    }

    public VmConfig config() {
        return config;
    }

    public VmStatus status() {
        return status;
    }

    public GuestMemory memory() {
        return memory;
    }

    public Vm kvmVm() {
        return vm;
    }

    /** The MSRs a saved state of this VM carries. */
    public int[] msrIndices() {
        return msrIndices.clone();
    }

    /** vCPU 0's CPUID as the guest sees it (kept here: reading it from KVM would wait for a running vCPU). */
    public Cpuid guestCpuid() {
        return guestCpuid;
    }

    public int tscKhz() {
        return tscKhz;
    }

    /**
     * Builds KVM's stage-2 mappings of {@code parts} of guest RAM (those that hold pages) now, through vCPU 0
     * (parked, or not started), so that the guest's first touches after a handover do not each fault into KVM:
     * KVM_PRE_FAULT_MEMORY where this KVM has it (two-dimensional paging, Linux 6.11 on); nothing where it has not
     * (shadow paging such as PVM's: EOPNOTSUPP; older kernels). Populate the host mapping first, or the mappings
     * come out read-only.
     */
    public void preFaultMemory(List<MemoryRegion> parts) {
        if (!vm.kvm().has(Cap.PRE_FAULT_MEMORY)) {
            return;
        }
        try {
            for (MemoryRegion r : parts) {
                vcpus.get(0).preFaultMemory(r.gpa(), r.size());
            }
        } catch (KvmException cannot) {
            // a KVM that lists the capability yet refuses (EOPNOTSUPP): faulting on first use is just as correct
        }
    }

    /** Adds a port device (before {@link #start()}); a stateful one under {@code stateName} moves in handovers. */
    public void addDevice(int firstPort, int count, PortDevice device) {
        bus.register(firstPort, count, device);
    }

    public void addStatefulDevice(String stateName, int firstPort, int count, PortDevice device) {
        bus.register(firstPort, count, device);
        addDeviceState(stateName, (StatefulDevice) device);
    }

    /** The ACPI power management registers, whose power button {@link #pressPowerButton} presses. */
    void powerButton(AcpiPm acpi) {
        powerButton = acpi;
    }

    /** Adds a device in guest-physical memory space (before {@link #start()}). */
    public void addMmioDevice(MmioDevice device) {
        mmio.register(device);
    }

    /** Device work to do once the VM runs again, before guest code, on a vCPU thread. */
    void deferDeviceWork(Runnable work) {
        deferredDeviceWork.add(work);
    }

    /** Called by a vCPU thread before it enters KVM_RUN: a queue check, nothing more, while there is none. */
    void runDeferredDeviceWork() {
        if (!deferredDeviceWork.isEmpty()) {
            for (Runnable work = deferredDeviceWork.poll(); work != null; work = deferredDeviceWork.poll()) {
                work.run();
            }
        }
    }

    /** Records the VM's disks and interfaces (their images and taps close with the VM); see {@link VmPci}. */
    void setPciDevices(List<VmDisk> attachedDisks, List<VmNic> attachedNics) {
        disks = List.copyOf(attachedDisks);
        nics = List.copyOf(attachedNics);
    }

    public List<VmDisk> disks() {
        return disks;
    }

    public List<VmNic> nics() {
        return nics;
    }

    /** State that moves with the VM without ports of its own (a console's unfinished line). */
    public void addDeviceState(String stateName, StatefulDevice state) {
        statefulDevices.put(stateName, state);
    }

    public void onGuestLine(Consumer<GuestLine> listener) {
        lineListeners.add(listener);
    }

    /** Receives the text lines the guest writes on its serial console (Linux's COM1; hfguest has none). */
    public void onConsoleLine(Consumer<String> listener) {
        consoleListeners.add(listener);
    }

    /** Told as a reset begins ({@code RESETTING}) and once the VM runs again ({@code RUNNING}), with why. */
    public void onReset(BiConsumer<VmStatus, String> listener) {
        resetListeners.add(listener);
    }

    /** A line from the guest's serial console, for whoever listens (published on the VM's output thread). */
    public void consoleLine(String text) {
        output.serialLine(text);
    }

    public CompletableFuture<VmExit> exit() {
        return exit;
    }

    /** Starts one thread per vCPU and waits until each can be kicked. */
    public void start() {
        startThreads(false);
    }

    /** Creates one thread per vCPU, parked from the start when {@code paused}, and waits until each can be kicked. */
    private void startThreads(boolean paused) {
        synchronized (this) {
            if (status != VmStatus.CREATED) {
                throw new IllegalStateException("VM " + config.name() + " is " + status + ", cannot start");
            }
            ready = new CountDownLatch(vcpus.size());
            if (powerOn != null) {
                powerOn.devicesAtStart(statefulDevices);
            }
            gate.open(vcpus.size(), paused);
            status = paused ? VmStatus.PAUSED : VmStatus.RUNNING;
        }
        for (Vcpu v : vcpus) {
            Thread t = new Thread(new VcpuLoop(this, v, bus, mmio), "vcpu-" + config.name() + "-" + v.id());
            t.setDaemon(true);
            threads.add(t);
            t.start();
        }
        await(ready);
    }

    /**
     * Starts the vCPU threads parked, as a standby does long before the cutover so that resuming later costs a
     * wake-up rather than thread creation.
     */
    public void startPaused() {
        startThreads(true);
        gate.awaitParked();
    }

    /** Stops every vCPU at its next instruction boundary; returns once all are parked outside KVM_RUN. */
    public void pause() {
        requestPause();
        awaitPaused();
    }

    /**
     * Asks every vCPU to park and kicks each out of KVM_RUN without waiting, so that several VMs' vCPUs leave
     * together; {@link #awaitPaused()} completes the pause (and must follow, even on an error elsewhere).
     */
    public void requestPause() {
        synchronized (this) {
            requireStatus(VmStatus.RUNNING, "pause");
            gate.requestPause();
            pauseRequested = true;
        }
        // Raised, a vCPU thread a busy host had preempted leaves KVM_RUN and parks at once instead of on its turn.
        gate.noteRaised();
        for (Vcpu v : vcpus) {
            RealtimePriority.raiseThread(v.boundThreadId());
            kickQuietly(v);   // a kick that cannot be sent is sent again while the pause waits
        }
    }

    /** Waits until every vCPU asked to park by {@link #requestPause()} is parked; then the VM is paused. */
    public void awaitPaused() {
        boolean parked = awaitParkedAndQuiet();
        synchronized (this) {
            if (pauseRequested && parked && !stopping && status == VmStatus.RUNNING) {   // not a reset's pause
                status = VmStatus.PAUSED;
            }
        }
    }

    /**
     * Waits until the vCPUs asked to park are parked, then until no NIC's receiver writes guest memory: nothing of
     * the VM runs on after it. Whether the pause still stands.
     */
    private boolean awaitParkedAndQuiet() {
        if (!gate.awaitParked(REKICK_NANOS)) {
            awaitStragglers();
        }
        boolean parked = gate.awaitParked();
        for (int i = 0; i < nics.size(); i++) {   // a plain loop: this runs inside the blackout
            nics.get(i).device().quiesce();
        }
        return parked;
    }

    /**
     * vCPUs still out of the gate well after their kick: the kick was lost or could not be sent (tgkill failing), or
     * the thread is held in a device (a disk that does not answer). Kicks them again until the pause's limit, then
     * withdraws the pause rather than leave the vCPUs that did park stopped for good.
     *
     * @throws IllegalStateException when the limit passed: the VM runs on, as before the pause
     */
    private void awaitStragglers() {
        long giveUp = System.nanoTime() + PAUSE_LIMIT_NANOS - REKICK_NANOS;
        do {
            kickAllQuietly();
            if (gate.awaitParked(REKICK_NANOS)) {
                return;
            }
        } while (System.nanoTime() - giveUp < 0);
        int out = gate.unparked();
        synchronized (this) {
            pauseRequested = false;
            gate.resume();
        }
        LOG.log(System.Logger.Level.WARNING, "VM {0}: {1} vCPU(s) did not stop within {2} s; pause withdrawn",
                config.name(), out, PAUSE_LIMIT_NANOS / 1_000_000_000L);
        throw new IllegalStateException("VM " + config.name() + ": " + out + " of " + vcpus.size() + " vCPUs did not"
                + " stop within " + PAUSE_LIMIT_NANOS / 1_000_000_000L + " s of the pause (kicked every "
                + REKICK_NANOS / 1_000_000 + " ms: one is held in a device, or cannot be signalled); the pause is"
                + " withdrawn and the VM runs on");
    }

    public void resume() {
        resumeAll(List.of(this));
    }

    /**
     * Resumes paused VMs one right after the other (a cutover's), then bounds the priority of the threads raised
     * for it once for all: a bound scheduled per VM would hold up the next VM's resume.
     */
    public static void resumeAll(List<VirtualMachine> vms) {
        boolean raised = false;
        for (int i = 0; i < vms.size(); i++) {   // a plain loop: this runs inside the blackout
            raised |= vms.get(i).release();
        }
        if (raised) {
            PRIORITY_BOUND.schedule(() -> vms.forEach(VirtualMachine::kickStillRaised), RAISED_AT_MOST_MS,
                    TimeUnit.MILLISECONDS);
        }
    }

    /**
     * Puts the vCPU threads of VMs just taken over before everything else on the host for a second, while this
     * instance's code is still cold ({@link GuestFirst}); then {@code split} ends too.
     */
    public static void guestFirstAfterCutover(List<VirtualMachine> vms, Optional<CpuSplit> split) {
        GuestFirst.forAWhile(vcpuThreadIds(vms), split, PRIORITY_BOUND);
    }

    /** The threads of {@code vms}' vCPUs (started: {@link #startPaused()} or {@link #start()} has run). */
    public static List<Integer> vcpuThreadIds(List<VirtualMachine> vms) {
        List<Integer> tids = new ArrayList<>();
        for (VirtualMachine vm : vms) {
            for (Vcpu v : vm.vcpus) {
                tids.add(v.boundThreadId());
            }
        }
        return tids;
    }

    /** Lets the parked vCPU threads run; true when it raised them to get a CPU at once (they are bounded then). */
    private synchronized boolean release() {
        requireStatus(VmStatus.PAUSED, "resume");
        pauseRequested = false;
        status = VmStatus.RUNNING;
        boolean raise = !gate.allSpinning();   // spinning threads need no wake-up, nor a priority to get one promptly
        if (raise) {
            gate.noteRaised();
            for (int i = 0; i < vcpus.size(); i++) {   // a plain loop: this runs inside the blackout
                RealtimePriority.raiseThread(vcpus.get(i).boundThreadId());
            }
        }
        gate.resume();
        return raise;
    }

    /** Kicks each vCPU thread still raised from a resume: it lowers itself at the exit ({@link VcpuLoop}). */
    private void kickStillRaised() {
        synchronized (this) {
            if (status != VmStatus.RUNNING) {
                return;
            }
        }
        for (Vcpu v : vcpus) {
            int tid = v.boundThreadId();
            if (tid > 0 && RealtimePriority.isRaised(tid)) {
                v.kick();
            }
        }
    }

    /** Saves device state first (a device may still raise an interrupt), then KVM's, as docs/STATE-ORDER.md says. */
    public synchronized VmState saveState() {
        requireStatus(VmStatus.PAUSED, "save state");
        Map<String, byte[]> devices = deviceStates();
        List<VcpuSnapshot> saved = new ArrayList<>();
        for (Vcpu v : vcpus) {
            saved.add(VcpuSnapshot.save(v, msrIndices));
        }
        return new VmState(config.name(), VmSnapshot.save(vm), saved, devices);
    }

    /**
     * This paused VM with its devices' state taken now, for KVM's to be saved where the encoded state goes (the
     * handover ledger): no copy of it is made on the way ({@link InPlaceState}).
     */
    public synchronized InPlaceState.Source stateInPlace() {
        requireStatus(VmStatus.PAUSED, "save state");
        return new InPlaceState.Source(config.name(), vm, vcpus, cpuidSections, msrIndices, deviceStates());
    }

    private Map<String, byte[]> deviceStates() {
        Map<String, byte[]> devices = new LinkedHashMap<>();
        for (Map.Entry<String, StatefulDevice> d : statefulDevices.entrySet()) {   // plain loops: in the blackout
            devices.put(d.getKey(), d.getValue().saveState());
        }
        return devices;
    }

    /** Restores a saved state into this paused VM: vCPUs, then VM-wide state, then devices. */
    public synchronized void restoreState(VmState state) {
        requireStatus(VmStatus.PAUSED, "restore state");
        if (state.vcpus().size() != vcpus.size()) {
            throw new IllegalArgumentException("state has " + state.vcpus().size() + " vCPUs, VM has " + vcpus.size());
        }
        Cpuid given = vcpus.get(0).givenCpuid();
        for (int i = 0; i < vcpus.size(); i++) {
            state.vcpus().get(i).restoreInto(vcpus.get(i));
        }
        if (vcpus.get(0).givenCpuid() != given) {   // the restore set another table (compared once, there)
            guestCpuid = vcpus.get(0).getCpuid();   // what the guest sees: KVM may mask bits of what it was given
            cpuidSections.refresh(vcpus);
        }
        state.vm().restoreInto(vm);
        restoreDevices(state.devices());
    }

    /**
     * Restores the encoded state at {@code encoded}'s position into this paused VM where it lies (the handover
     * ledger), every vCPU's TSC and the kvmclock moved on by {@code advanceNanos}; a state that cannot be restored
     * in place (another CPUID) is decoded and restored as {@link #restoreState(VmState)} does.
     */
    public void restoreState(ByteBuffer encoded, long advanceNanos) {
        restoreState(encoded, advanceNanos, InPlaceState.EarlyRestore.none());
    }

    /** {@link #restoreState(ByteBuffer, long)} of a state whose first vCPUs {@code early} restored already. */
    public synchronized void restoreState(ByteBuffer encoded, long advanceNanos, InPlaceState.EarlyRestore early) {
        requireStatus(VmStatus.PAUSED, "restore state");
        Map<String, byte[]> devices;
        try {
            devices = InPlaceState.restore(encoded, vm, vcpus, cpuidSections, advanceNanos, early);
        } catch (InPlaceState.NotInPlace e) {
            restoreState(StateCodec.decode(encoded).advancedBy(advanceNanos));
            return;
        }
        restoreDevices(devices);
    }

    /**
     * Wakes this paused VM's vCPU threads to spin for the coming {@link #resume()} ({@link VcpuGate#standBy()}):
     * a standby calls it as it starts restoring, so their wake-up passes meanwhile instead of after the resume.
     */
    public void standByToResume() {
        gate.standBy();
    }

    /**
     * For this VM's vCPUs to be restored while their state is still being written (the cutover's), by the thread that
     * then restores the rest; only while the VM is paused, as for any restore.
     */
    public InPlaceState.EarlyRestore earlyRestore() {
        return new InPlaceState.EarlyRestore(vcpus, cpuidSections);
    }

    private void restoreDevices(Map<String, byte[]> devices) {
        for (Map.Entry<String, byte[]> d : devices.entrySet()) {
            StatefulDevice device = statefulDevices.get(d.getKey());
            if (device == null) {
                throw new IllegalArgumentException("state for unknown device " + d.getKey());
            }
            device.restoreState(d.getValue());
        }
    }

    /** Whether a reset boots this VM again (else the guest's reset powers it off, a triple fault fails it). */
    boolean canReboot() {
        return powerOn != null;
    }

    /**
     * The guest asked for a reset ({@code how}: its reset line, a triple fault): the VM boots again, or powers off
     * when it has nothing to boot again from. A request while the VM is paused or pausing is dropped: a guest that
     * resets retries (Linux does, hfguest does), and finds the VM running again here or on the instance that took
     * it over.
     */
    void guestReset(String how) {
        if (powerOn == null) {
            powerOff(0, "guest reset the machine (" + how + "); this VM powers off on a reset (reboot=poweroff)");
            return;
        }
        beginReset("guest reset the machine (" + how + ")");
    }

    /**
     * Resets the VM as a PC's reset button does and waits until it boots again: every vCPU parks, the vCPUs,
     * interrupt controllers and devices go back to their power-on state, the boot image is loaded again (RAM is
     * otherwise kept, as a PC's warm reset keeps it) and the vCPUs run. A paused VM is reset where it is parked and
     * stays paused: it boots once resumed.
     *
     * @throws IllegalStateException when the VM is neither running nor paused (or is pausing), has nothing to boot
     *                               again from, or failed to boot
     */
    public void reset(String why) {
        if (powerOn == null) {
            throw new IllegalStateException("VM " + config.name() + " cannot be reset: it has nothing to boot again"
                    + " from (reboot=poweroff, or it came from an hfvisor that did not say what it boots)");
        }
        try {
            beginReset(why).get(60, TimeUnit.SECONDS);
        } catch (ExecutionException e) {
            throw new IllegalStateException(e.getCause().getMessage(), e.getCause());
        } catch (TimeoutException e) {
            throw new IllegalStateException("VM " + config.name() + " did not finish its reset within 60 s");
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    private CompletableFuture<Void> beginReset(String why) {
        CompletableFuture<Void> done;
        boolean paused;
        synchronized (this) {
            if (status == VmStatus.RESETTING) {
                return reset;
            }
            paused = status == VmStatus.PAUSED;
            if (!paused && (status != VmStatus.RUNNING || pauseRequested)) {
                return CompletableFuture.failedFuture(new IllegalStateException("cannot reset VM " + config.name()
                        + ": it is " + (status != VmStatus.RUNNING ? status.word() : "pausing")));
            }
            status = VmStatus.RESETTING;
            if (!paused) {
                pauseRequested = true;
                gate.requestPause();
            }
            done = reset = new CompletableFuture<>();
        }
        if (!paused) {
            kickAllQuietly();
        }
        RESETS.execute(() -> completeReset(why, paused, done));
        return done;
    }

    /**
     * On the resetter's thread, once every vCPU is asked to park (or, {@code paused}, is parked for the operator's
     * pause, which the reset keeps); the VM's monitor keeps a close out meanwhile.
     */
    private void completeReset(String why, boolean paused, CompletableFuture<Void> done) {
        resetListeners.forEach(l -> l.accept(VmStatus.RESETTING, why));
        try {
            awaitParkedAndQuiet();   // a close meanwhile is seen below, under the monitor
        } catch (IllegalStateException stuck) {   // the pause is withdrawn: the VM runs on, not reset
            synchronized (this) {
                if (status == VmStatus.RESETTING) {
                    status = VmStatus.RUNNING;
                }
                reset = null;
            }
            resetListeners.forEach(l -> l.accept(VmStatus.RUNNING, "reset not done: " + stuck.getMessage()));
            done.completeExceptionally(stuck);
            return;
        }
        RuntimeException failure = null;
        synchronized (this) {
            if (stopping) {
                done.completeExceptionally(new IllegalStateException("VM " + config.name() + " is "
                        + status.word() + ": it ended during its reset"));
                return;
            }
            try {
                powerOn.restore(vm, vcpus, statefulDevices);
                boot(config.reboot().loader(VmPci.interrupts(disks.size() + nics.size())));
                for (MemoryRegion r : memory.regions()) {   // a pre-copy under way sends the new boot's RAM again
                    memory.deviceWrote(r.gpa(), r.size());
                }
                status = paused ? VmStatus.PAUSED : VmStatus.RUNNING;
                reset = null;
                if (!paused) {
                    pauseRequested = false;
                    gate.resume();
                }
            } catch (RuntimeException e) {
                failure = e;
            }
        }
        if (failure != null) {
            fail("reset failed (" + why + "): " + failure.getMessage());
            done.completeExceptionally(new IllegalStateException("VM " + config.name() + " failed to boot again"
                    + " after its reset: " + failure.getMessage(), failure));
            return;
        }
        LOG.log(System.Logger.Level.INFO, paused ? "VM {0} reset while paused, boots once resumed: {1}"
                : "VM {0} booted again after its reset: {1}", config.name(), why);
        resetListeners.forEach(l -> l.accept(paused ? VmStatus.PAUSED : VmStatus.RUNNING, why));
        done.complete(null);
    }

    void powerOff(int code, String why) {
        finish(new VmExit(VmStatus.POWERED_OFF, code, why));
    }

    void fail(String why) {
        finish(new VmExit(VmStatus.FAILED, -1, why));
    }

    void failWithState(String reason, Vcpu vcpu) {
        fail(GuestFault.describe(reason, vcpu, memory));
    }

    private void finish(VmExit how) {
        synchronized (this) {
            if (stopping) {
                return;
            }
            stopping = true;
            status = how.status();
        }
        gate.stop();
        output.flush();
        exit.complete(how);
        kickAllQuietly();
    }

    private void kickAllQuietly() {
        for (Vcpu v : vcpus) {
            kickQuietly(v);
        }
    }

    /**
     * A kick that fails is let go: the thread never got as far as KVM_RUN, or has just ended (ESRCH), or its signal
     * queue is full (EAGAIN); a pause kicks again those that did not park ({@link #awaitStragglers}).
     */
    private static void kickQuietly(Vcpu v) {
        try {
            v.kick();
        } catch (IllegalStateException | SysException missed) {
            // see above
        }
    }

    void vcpuReady() {
        ready.countDown();
    }

    VcpuGate gate() {
        return gate;
    }

    void instructionEmulated(ExitCounts.Emulated what, String cause) {
        if (exitCounts.recordEmulated(what) == 0) {
            LOG.log(System.Logger.Level.INFO, "VM {0}: hfvisor finishes {1} instructions itself, first after {2}",
                    config.name(), what.name().toLowerCase(Locale.ROOT), cause);
        }
    }

    /** How many #BP exceptions hfvisor delivered itself because KVM stopped on the int3 (see BreakpointDelivery). */
    public long breakpointsDelivered() {
        return exitCounts.emulatedCount(ExitCounts.Emulated.INT3);
    }

    /** This VM's exits from KVM_RUN so far, counted as they happen. */
    public ExitCounts exitCounts() {
        return exitCounts;
    }

    /**
     * This VM as {@code info} and the handover replies show it, now; {@code withExits} adds its exit counts (only
     * {@code info} has them: what moves in a handover has none of its own yet).
     */
    public InstanceInfo.Vm describe(boolean withExits) {
        InstanceInfo.Exits exits = withExits ? new InstanceInfo.Exits(exitCounts.total(), exitCounts.byReason(),
                exitCounts.ioByPort(), exitCounts.emulated()) : null;
        // huge pages are all taken as the VM is made; what counts of them is the pool's, not the file's blocks
        Long resident = config.hugePages() ? Long.valueOf(config.memoryBytes()) : memory.residentBytes();
        List<InstanceInfo.Disk> shownDisks = disks.isEmpty() ? null : disks.stream().map(VmDisk::info).toList();
        List<InstanceInfo.Nic> shownNics = nics.isEmpty() ? null : nics.stream().map(VmNic::info).toList();
        return new InstanceInfo.Vm(config.name(), config.vcpus(), config.memoryBytes(), resident, status.word(),
                config.guestKind(), exits, shownDisks, shownNics,
                powerOn == null ? InstanceInfo.Vm.REBOOT_POWEROFF : InstanceInfo.Vm.REBOOT_RESTART,
                powerButtonWord());
    }

    /** CLOCK_MONOTONIC when the last vCPU left KVM_RUN for the latest pause: the guest's last instruction here. */
    public long lastParkNanos() {
        return gate.lastParkNanos();
    }

    /** Waits until a vCPU is about to enter KVM_RUN after the latest resume; returns that CLOCK_MONOTONIC time. */
    public long awaitFirstRunNanos(long timeoutMillis) {
        return gate.awaitFirstRunNanos(timeoutMillis);
    }

    /**
     * Presses the VM's ACPI power button: a guest that listens shuts down in its own time and then powers the VM
     * off (ACPI's S5), which ends it as {@code stop} would. Returns at once.
     *
     * @throws IllegalStateException naming why the press would go unheard: the VM is not running, its machine has
     *                               no ACPI (one taken over from an older hfvisor), or its guest has not enabled
     *                               the power button
     */
    public void pressPowerButton() {
        requirePowerButtonHeard();
        powerButton.pressPowerButton();
    }

    /** @throws IllegalStateException naming why a press of the power button would not reach the guest now */
    public void requirePowerButtonHeard() {
        String objection = powerButtonObjection();
        if (objection != null) {
            throw new IllegalStateException("cannot press the power button of VM " + config.name() + ": " + objection);
        }
    }

    /** Why a press of the power button would not reach the guest now, or null when it would. */
    public String powerButtonObjection() {
        return status != VmStatus.RUNNING ? "it is " + status.word()
                : InstanceInfo.Vm.powerButtonUnheard(powerButtonWord(), config.guestKind());
    }

    /** As {@code info} shows it: whether the guest hears ACPI's power button. */
    private String powerButtonWord() {
        AcpiPm acpi = powerButton;
        return acpi == null ? InstanceInfo.Vm.POWER_BUTTON_NONE : acpi.listensToPowerButton()
                ? InstanceInfo.Vm.POWER_BUTTON_LISTENING : InstanceInfo.Vm.POWER_BUTTON_IGNORED;
    }

    /** Powers the VM off from the host side, as an operator's {@code stop} does. */
    public void stop(String why) {
        powerOff(0, why);
    }

    /** Ends this VM here because another instance now runs it: vCPUs stop, nothing of the guest is touched. */
    public void handedOver(String to) {
        finish(new VmExit(VmStatus.HANDED_OVER, 0, "handed over to " + to));
    }

    private void requireStatus(VmStatus expected, String action) {
        if (status != expected) {
            throw new IllegalStateException("cannot " + action + " VM " + config.name() + ": it is "
                    + status.name().toLowerCase().replace('_', ' '));
        }
    }

    private static void await(CountDownLatch latch) {
        try {
            if (!latch.await(60, TimeUnit.SECONDS)) {
                throw new IllegalStateException("vCPU threads did not start within 60 s");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    /** Stops the vCPUs (if running) and releases the VM, its vCPUs and RAM. */
    @Override
    public void close() {
        finish(new VmExit(VmStatus.RELEASED, 0, "released by the hypervisor"));
        for (Thread t : threads) {
            try {
                t.join(10_000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        output.close();
        nics.forEach(n -> n.device().close());   // their receivers write guest memory: gone before it goes
        vcpus.forEach(Vcpu::close);
        vm.close();
        memory.close();
        for (VmDisk d : disks) {
            d.device().image().close();
        }
    }
}
