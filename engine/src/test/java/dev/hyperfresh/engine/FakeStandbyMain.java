package dev.hyperfresh.engine;

import dev.hyperfresh.vmm.control.ControlHandler;
import dev.hyperfresh.vmm.control.ControlServer;
import dev.hyperfresh.vmm.control.InstanceInfo;
import dev.hyperfresh.vmm.persist.VmState;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CountDownLatch;

/**
 * A process that answers like {@code hfvisor --standby --name N --socket-dir D} and exits when told {@code stop}:
 * the standby side of the engine's host tests, where no KVM exists.
 */
public final class FakeStandbyMain implements ControlHandler {
    private final String name;
    private final CountDownLatch stopped = new CountDownLatch(1);

    private FakeStandbyMain(String name) {
        this.name = name;
    }

    public static void main(String[] args) throws Exception {
        List<String> a = List.of(args);
        String name = a.get(a.indexOf("--name") + 1);
        Path dir = Path.of(a.get(a.indexOf("--socket-dir") + 1));
        FakeStandbyMain standby = new FakeStandbyMain(name);
        try (ControlServer server = ControlServer.start(dir.resolve(name + ".sock"), standby)) {
            standby.stopped.await();
        }
        System.exit(0);
    }

    @Override
    public InstanceInfo info() {
        return new InstanceInfo(name, ProcessHandle.current().pid(), "0.2.0-fake", "fake", "SVM", 10, "standby",
                InstanceInfo.STANDBY, List.of(), null);
    }

    @Override
    public void stop(String vm) {
        stopped.countDown();
    }

    @Override
    public void pause(String vm) {
        throw new UnsupportedOperationException("a standby runs no VM");
    }

    @Override
    public void resume(String vm) {
        throw new UnsupportedOperationException("a standby runs no VM");
    }

    @Override
    public List<VmState> saveState(String vm) {
        throw new UnsupportedOperationException("a standby runs no VM");
    }
}
