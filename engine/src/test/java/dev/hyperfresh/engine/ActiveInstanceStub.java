package dev.hyperfresh.engine;

import dev.hyperfresh.vmm.control.ControlHandler;
import dev.hyperfresh.vmm.control.ControlServer;
import dev.hyperfresh.vmm.control.CutoverReply;
import dev.hyperfresh.vmm.control.InstanceInfo;
import dev.hyperfresh.vmm.control.InstanceRef;
import dev.hyperfresh.vmm.control.PrepareReply;
import dev.hyperfresh.vmm.control.PrepareRequest;
import dev.hyperfresh.vmm.persist.VmState;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * A control socket that answers {@code info} as an active instance with one VM, for step-order tests. Its
 * handover ops talk to the standby for real (info on prepare, stop on abort) but move nothing: the first cutover
 * rolls back, as hfvisor's does when the standby cannot restore; later ones fail with an error reply instead.
 */
public final class ActiveInstanceStub implements ControlHandler {
    private final String name;
    private volatile Path standby;
    private int cutovers;

    private ActiveInstanceStub(String name) {
        this.name = name;
    }

    public static ControlServer serve(Path dir, String name) {
        return ControlServer.start(dir.resolve(name + ".sock"), new ActiveInstanceStub(name));
    }

    @Override
    public InstanceInfo info() {
        return new InstanceInfo(name, ProcessHandle.current().pid(), "0.1.0-test", "stub", "SVM", 1000, "running",
                InstanceInfo.ACTIVE,
                List.of(new InstanceInfo.Vm("web", 1, 128L << 20, "running", "hfguest")), null);
    }

    @Override
    public PrepareReply prepareHandover(PrepareRequest request) {
        Path targetSocket = request.target();
        InstanceInfo target = Control.query(targetSocket).info();
        standby = targetSocket;
        return new PrepareReply(new InstanceRef(target.name(), target.pid(), target.version(), target.buildId()),
                info().vms(), "remap", 128L << 20, 0, 0, 1, 5, 9, 4096, List.of(), List.of(), false);
    }

    @Override
    public CutoverReply cutover() {
        releaseStandby();
        if (cutovers++ > 0) {
            throw new IllegalStateException("the cutover broke off");
        }
        return new CutoverReply(CutoverReply.ROLLED_BACK, "the standby could not restore the VM", 0, 0,
                Map.of("pause", 1L, "save", 2L), Map.of(), null, 0, 0, List.of());
    }

    @Override
    public void abortHandover() {
        releaseStandby();
    }

    /** hfvisor's standby exits when the handover it prepared is aborted or rolled back. */
    private void releaseStandby() {
        Control.request(standby, "stop", null);
    }

    /** Returns at once, as hfvisor does once the VM runs again: the stub's VM has nothing to boot. */
    @Override
    public void reset(String vm) {
    }

    /** Returns at once, as hfvisor does once the vCPUs are parked: the stub's VM has none. */
    @Override
    public void pause(String vm) {
    }

    @Override
    public void resume(String vm) {
        throw new UnsupportedOperationException("the stub's VM never pauses");
    }

    @Override
    public List<VmState> saveState(String vm) {
        throw new UnsupportedOperationException("the stub runs no VM");
    }
}
