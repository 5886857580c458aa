package dev.hyperfresh.vmm.cli;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.hyperfresh.kvm.Kvm;
import dev.hyperfresh.vmm.Hfvisor;
import dev.hyperfresh.vmm.control.ControlClient;
import dev.hyperfresh.vmm.control.ControlServer;
import dev.hyperfresh.vmm.control.Event;
import dev.hyperfresh.vmm.control.InstanceInfo;
import dev.hyperfresh.vmm.heartbeat.GuestLine;
import dev.hyperfresh.vmm.heartbeat.Heartbeat;
import dev.hyperfresh.vmm.persist.StateCodec;
import dev.hyperfresh.vmm.persist.VmState;
import dev.hyperfresh.vmm.vm.VirtualMachine;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The guided demo behind {@code bin/demo}: an hfvisor instance runs hfguest, and a client on the control socket
 * pauses it, saves its whole state and restores it while the guest checks itself. Each step says what it does.
 */
public final class DemoMain {
    private static final int CPUS = 2;
    private static final ObjectMapper JSON = new ObjectMapper();
    private final Map<Integer, Heartbeat> last = new ConcurrentHashMap<>();
    private volatile long totalErrors;

    private DemoMain() {
    }

    public static void main(String[] args) throws Exception {
        System.exit(new DemoMain().run() ? 0 : 1);
    }

    private boolean run() throws Exception {
        Path dir = Files.createTempDirectory("hyperfresh-demo");
        Path socket = dir.resolve("demo.sock");
        step("Start hfvisor instance 'demo' hosting VM 'web': 2 vCPUs, 256 MiB in a memfd, running hfguest.",
                "hfguest checks itself: memory patterns, register canaries, timer ticks, and the largest pause it sees.");
        try (Kvm kvm = Kvm.open(); Hfvisor hfvisor = new Hfvisor("demo", kvm);
                ControlServer server = ControlServer.start(socket, hfvisor)) {
            VirtualMachine vm = VmFactory.create(kvm, VmSpec.parse("name=web,mem=256M,cpus=" + CPUS
                    + ",cmdline=cpus=" + CPUS + " mem_pct=10")).vm();
            hfvisor.add(vm);
            vm.onGuestLine(line -> {
                if (line.is(GuestLine.HEARTBEAT)) {
                    server.publish(Event.heartbeat("web", line.heartbeat()));
                } else if (line.is(GuestLine.ERROR) || line.is(GuestLine.PANIC)) {
                    totalErrors++;
                    System.out.println("  guest: " + line.text());
                }
            });
            vm.start();
            try (ControlClient client = ControlClient.connect(socket);
                    ControlClient events = ControlClient.connect(socket)) {
                events.subscribe(this::onEvent);
                awaitHeartbeats(20);
                InstanceInfo info = client.info();
                System.out.printf("  info: instance %s, %s %s, pid %d, VM %s: %s%n", info.name(), "hfvisor",
                        info.version(), info.pid(), info.vms().get(0).name(), info.vms().get(0).state());

                step("Pause the VM for 200 ms through the control socket, then resume.",
                        "Every vCPU is kicked out of KVM_RUN and parked; the guest's clock keeps running.");
                client.pause("web");
                Thread.sleep(200);
                client.resume("web");
                awaitHeartbeats(10);
                long gapMax = last.values().stream().mapToLong(Heartbeat::gapMaxCycles).max().orElse(0);
                System.out.println("  the guest measured its largest pause as " + gapMax + " TSC cycles");

                step("Save the VM's whole state (what a handover moves), then restore it into the running VM.",
                        "RAM stays put in the memfd; only vCPU, VM-wide and device state is saved.");
                VmState state = client.saveState("web").get(0);
                byte[] encoded = StateCodec.encode(state);
                System.out.printf("  saved: %d vCPUs, %d MSRs each, %d-byte XSAVE areas, %d devices: %d bytes%n",
                        state.vcpus().size(), state.vcpus().get(0).msrs().count(),
                        state.vcpus().get(0).xsave().size(), state.devices().size(), encoded.length);
                client.pause("web");
                vm.restoreState(StateCodec.decode(encoded));
                client.resume("web");
                awaitHeartbeats(10);
            }
            boolean healthy = totalErrors == 0 && last.values().stream()
                    .allMatch(h -> h.memoryErrors() == 0 && h.canaryErrors() == 0 && h.tscBackwards() == 0);
            step(healthy ? "Done: the guest ran on through pause, save and restore with zero errors."
                    : "Done, but the guest reported errors (see above).",
                    "Live replacement by a second hfvisor process builds on exactly these steps.");
            return healthy;
        } finally {
            Files.deleteIfExists(socket);
            Files.deleteIfExists(dir);
        }
    }

    private void onEvent(Event e) {
        if (!Event.HEARTBEAT.equals(e.kind())) {
            return;
        }
        Heartbeat h;
        try {
            h = JSON.treeToValue(e.fields(), Heartbeat.class);
        } catch (JsonProcessingException bad) {
            throw new IllegalStateException("undecodable heartbeat event " + e.fields(), bad);
        }
        last.put(h.cpu(), h);
        synchronized (this) {
            notifyAll();
        }
        if (h.seq() % 10 == 0) {
            System.out.printf("  heartbeat cpu%d seq=%d ticks=%d pages/s=%d mem-errors=%d canary-errors=%d%n",
                    h.cpu(), h.seq(), h.ticks(), h.pagesPerSecond(), h.memoryErrors(), h.canaryErrors());
        }
    }

    private synchronized void awaitHeartbeats(int more) throws InterruptedException {
        long target = last.values().stream().mapToLong(Heartbeat::seq).min().orElse(-1) + more;
        while (last.size() < CPUS || last.values().stream().mapToLong(Heartbeat::seq).min().orElse(0) < target) {
            wait(1000);
        }
    }

    private static void step(String what, String why) {
        System.out.println();
        System.out.println("== " + what);
        System.out.println("   " + why);
    }
}
