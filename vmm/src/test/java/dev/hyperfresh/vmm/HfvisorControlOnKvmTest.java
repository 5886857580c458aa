package dev.hyperfresh.vmm;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.hyperfresh.kvm.Kvm;
import dev.hyperfresh.sys.UnixSocket;
import dev.hyperfresh.testkit.RequiresKvm;
import dev.hyperfresh.vmm.boot.MultibootLoader;
import dev.hyperfresh.vmm.control.ControlClient;
import dev.hyperfresh.vmm.control.ControlException;
import dev.hyperfresh.vmm.control.ControlServer;
import dev.hyperfresh.vmm.control.Event;
import dev.hyperfresh.vmm.control.InstanceInfo;
import dev.hyperfresh.vmm.heartbeat.GuestLine;
import dev.hyperfresh.vmm.persist.VmState;
import dev.hyperfresh.vmm.vm.VirtualMachine;
import dev.hyperfresh.vmm.vm.VmConfig;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The control socket of a real hfvisor instance running hfguest on KVM, including clients that misbehave. */
@RequiresKvm
class HfvisorControlOnKvmTest {
    @TempDir
    Path dir;

    @Test
    void opsWorkAndBadClientsNeverDisturbTheVm() throws Exception {
        Path socket = dir.resolve("t.sock");
        AtomicLong heartbeats = new AtomicLong();
        AtomicLong errors = new AtomicLong();
        try (Kvm kvm = Kvm.open(); Hfvisor hfvisor = new Hfvisor("t", kvm);
                ControlServer server = ControlServer.start(socket, hfvisor)) {
            VirtualMachine vm = VirtualMachine.create(kvm, new VmConfig("web", 128 << 20, 1, false,
                    new MultibootLoader(MultibootLoader.embeddedGuest(), "cpus=1 mem_pct=5"), "hfguest"));
            hfvisor.add(vm);
            vm.onGuestLine(line -> {
                if (line.is(GuestLine.HEARTBEAT)) {
                    heartbeats.incrementAndGet();
                    server.publish(Event.heartbeat("web", line.heartbeat()));
                } else if (line.is(GuestLine.ERROR) || line.is(GuestLine.PANIC)) {
                    errors.incrementAndGet();
                }
            });
            vm.start();
            try (ControlClient client = ControlClient.connect(socket);
                    ControlClient subscriber = ControlClient.connect(socket)) {
                List<Event> events = new CopyOnWriteArrayList<>();
                subscriber.subscribe(events::add);
                awaitMore(heartbeats, 5);

                InstanceInfo info = client.info();
                assertThat(info.name()).isEqualTo("t");
                assertThat(info.pid()).isEqualTo(ProcessHandle.current().pid());
                assertThat(info.kvm()).isEqualTo(kvm.flavor().label()).isNotEqualTo("unknown");
                assertThat(info.vms()).singleElement().satisfies(v -> {
                    assertThat(v.name()).isEqualTo("web");
                    assertThat(v.state()).isEqualTo("running");
                    assertThat(v.vcpus()).isEqualTo(1);
                });

                client.pause("web");
                assertThat(client.info().vms().get(0).state()).isEqualTo("paused");
                Thread.sleep(100); // a line written before the pause may still be on its way through the output thread
                long during = heartbeats.get();
                Thread.sleep(300);
                assertThat(heartbeats.get()).as("no heartbeat while paused").isEqualTo(during);
                client.resume("web");

                List<VmState> saved = client.saveState("web");
                assertThat(saved).singleElement().satisfies(s -> {
                    assertThat(s.vmName()).isEqualTo("web");
                    assertThat(s.vcpus()).hasSize(1);
                });
                assertThat(client.info().vms().get(0).state()).as("save-state resumes a running VM")
                        .isEqualTo("running");
                assertThatThrownBy(() -> client.pause("nosuch")).isInstanceOf(ControlException.class)
                        .hasMessageContaining("no VM named nosuch");

                for (byte[] junk : new byte[][] {"hello".getBytes(), {0, 0, 0, 8, 0, 0, 0, 4, '{', '{', '{', '{'},
                    {(byte) 0x7f, (byte) 0xff, (byte) 0xff, (byte) 0xff}}) {
                    try (UnixSocket bad = UnixSocket.connect(socket)) {
                        bad.send(junk);
                    }
                }
                awaitMore(heartbeats, 5);
                assertThat(events).as("subscribed heartbeats").anyMatch(e -> Event.HEARTBEAT.equals(e.kind()));
                assertThat(client.info().vms().get(0).state()).isEqualTo("running");
            }
            assertThat(errors.get()).as("guest-reported errors").isZero();
            assertThat(vm.exit()).isNotDone();
        }
    }

    private static void awaitMore(AtomicLong counter, long more) throws InterruptedException {
        long target = counter.get() + more;
        long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(3);
        while (counter.get() < target) {
            assertThat(System.nanoTime()).as("waiting for heartbeats").isLessThan(deadline);
            Thread.sleep(20);
        }
    }
}
