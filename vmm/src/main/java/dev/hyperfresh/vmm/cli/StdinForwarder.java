package dev.hyperfresh.vmm.cli;

import dev.hyperfresh.vmm.devices.Uart8250;
import java.io.IOException;
import java.io.InputStream;
import java.util.Arrays;

/**
 * Types hfvisor's standard input at a Linux guest's serial console: the first Linux VM whose console is stdout
 * gets it, so an operator can talk to that guest's shell. The guest's receive FIFO is bounded; when it is full
 * the forwarder waits for the guest to read, as a terminal would.
 */
final class StdinForwarder {
    private static final long FIFO_FULL_WAIT_MS = 10;

    private final InputStream in;
    private boolean taken;

    StdinForwarder(InputStream in) {
        this.in = in;
    }

    void offer(VmSpec spec, VmFactory.Created vm) {
        if (taken || vm.pc() == null || !spec.console().equals("stdout")) {
            return;
        }
        taken = true;
        Thread t = new Thread(() -> forward(vm.pc().com1()), "stdin-to-" + spec.name());
        t.setDaemon(true);
        t.start();
    }

    private void forward(Uart8250 uart) {
        byte[] buffer = new byte[256];
        try {
            for (int n = in.read(buffer); n > 0; n = in.read(buffer)) {
                byte[] pending = Arrays.copyOf(buffer, n);
                while (pending.length > 0) {
                    int took = uart.input(pending);
                    pending = Arrays.copyOfRange(pending, took, pending.length);
                    if (pending.length > 0) {
                        Thread.sleep(FIFO_FULL_WAIT_MS);
                    }
                }
            }
        } catch (IOException | InterruptedException e) {
            // stdin closed or unreadable: the console stays output-only
        }
    }
}
