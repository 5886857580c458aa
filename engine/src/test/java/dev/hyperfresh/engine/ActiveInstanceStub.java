package dev.hyperfresh.engine;

import dev.hyperfresh.vmm.control.ControlHandler;
import dev.hyperfresh.vmm.control.ControlServer;
import dev.hyperfresh.vmm.control.InstanceInfo;
import dev.hyperfresh.vmm.persist.VmState;
import java.nio.file.Path;
import java.util.List;

/** A control socket that answers {@code info} as an active instance with one VM, for step-order tests. */
public final class ActiveInstanceStub implements ControlHandler {
    private final String name;

    private ActiveInstanceStub(String name) {
        this.name = name;
    }

    public static ControlServer serve(Path dir, String name) {
        return ControlServer.start(dir.resolve(name + ".sock"), new ActiveInstanceStub(name));
    }

    @Override
    public InstanceInfo info() {
        return new InstanceInfo(name, ProcessHandle.current().pid(), "0.1.0-test", "stub", 1000, "running",
                InstanceInfo.ACTIVE,
                List.of(new InstanceInfo.Vm("web", 1, 128L << 20, "running", "hfguest")));
    }

    @Override
    public void pause(String vm) {
        throw new UnsupportedOperationException("the stub runs no VM");
    }

    @Override
    public void resume(String vm) {
        throw new UnsupportedOperationException("the stub runs no VM");
    }

    @Override
    public List<VmState> saveState(String vm) {
        throw new UnsupportedOperationException("the stub runs no VM");
    }
}
