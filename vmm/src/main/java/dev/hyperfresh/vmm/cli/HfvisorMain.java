package dev.hyperfresh.vmm.cli;

import dev.hyperfresh.kvm.Kvm;
import dev.hyperfresh.sys.IoFailure;
import dev.hyperfresh.sys.ServiceManager;
import dev.hyperfresh.vmm.BuildInfo;
import dev.hyperfresh.vmm.Hfvisor;
import dev.hyperfresh.vmm.control.ControlClient;
import dev.hyperfresh.vmm.control.ControlServer;
import dev.hyperfresh.vmm.control.NameTakenException;
import dev.hyperfresh.vmm.handover.Die;
import dev.hyperfresh.vmm.handover.FaultPoint;
import dev.hyperfresh.vmm.handover.JitWarmup;
import dev.hyperfresh.vmm.vm.VirtualMachine;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/** {@code hfvisor}: starts an instance with its VMs and control socket, runs until every VM has ended. */
public final class HfvisorMain {
    private static final String USAGE = """
            usage: hfvisor [--name INSTANCE] [--socket-dir DIR] [--shutdown-timeout SECONDS] --vm SPEC [--vm SPEC ...]
                   hfvisor [--name INSTANCE] [--socket-dir DIR] [--shutdown-timeout SECONDS] --config FILE
                     (--config: one SPEC per line, # comments)
                   hfvisor --standby [--name INSTANCE] [--socket-dir DIR]
                   hfvisor --version
              SPEC: name=N,mem=256M,cpus=1[,guest=hfguest|linux][,kernel=PATH][,initrd=PATH][,disk=PATH]...
                    [,disk-ro=PATH]...[,net=TAP[/MAC]]...[,reboot=restart|poweroff][,hugepages]
                    [,console=stdout|none|PATH][,cmdline=TEXT]   (man hfvisor)""";

    /**
     * How long SIGTERM's hook, once the VMs are closed, waits for the main thread's own close (the socket file
     * removed, the last events out) before closing the control socket itself: the JVM halts as the hook returns.
     */
    private static final Duration SERVED_OUT_WAIT = Duration.ofSeconds(5);

    private HfvisorMain() {
    }

    public static void main(String[] args) {
        System.exit(run(args));
    }

    static int run(String[] args) {
        String name = "hfvisor-" + ProcessHandle.current().pid();
        Path socketDir = null;
        boolean standby = false;
        FaultPoint fault = null;
        Duration shutdownTimeout = Hfvisor.DEFAULT_SHUTDOWN_TIMEOUT;
        List<VmSpec> specs = new ArrayList<>();
        Path socket;
        try {
            for (int i = 0; i < args.length; i++) {
                switch (args[i]) {
                    case "--version" -> {
                        System.out.println(BuildInfo.current());
                        System.out.println("KVM: " + Kvm.describeHost());
                        return 0;
                    }
                    case "--help", "-h" -> {
                        System.out.println(USAGE);
                        return 0;
                    }
                    case "--name" -> name = value(args, ++i, "--name");
                    case "--socket-dir" -> socketDir = Path.of(value(args, ++i, "--socket-dir"));
                    case "--vm" -> specs.add(VmSpec.parse(value(args, ++i, "--vm")));
                    case "--config" -> specs.addAll(VmConfigFile.read(Path.of(value(args, ++i, "--config"))));
                    case "--standby" -> standby = true;
                    case "--shutdown-timeout" -> shutdownTimeout = seconds(value(args, ++i, "--shutdown-timeout"));
                    case "--fault" -> fault = FaultPoint.parse(value(args, ++i, "--fault"));
                    default -> throw new IllegalArgumentException("unknown option " + args[i]);
                }
            }
            if (specs.isEmpty() && !standby) {
                throw new IllegalArgumentException("at least one --vm (or --config, or --standby) is needed");
            }
            if (!specs.isEmpty() && standby) {
                throw new IllegalArgumentException("a --standby instance starts without VMs: drop --vm and --config");
            }
            socket = socketDir == null ? ControlClient.socketPath(name) : ControlClient.socketPath(socketDir, name);
        } catch (IllegalArgumentException e) {
            System.err.println("hfvisor: " + e.getMessage());
            System.err.println(USAGE);
            return 2;
        } catch (UncheckedIOException e) {   // the default socket directory could not be made
            return failed(e);
        }
        return serve(name, socket, specs, standby, fault, shutdownTimeout);
    }

    private static int serve(String name, Path socket, List<VmSpec> specs, boolean standby, FaultPoint fault,
                             Duration shutdownTimeout) {
        Die.at(FaultPoint.STANDBY_START, fault);
        CountDownLatch servedOut = new CountDownLatch(1);
        try (Kvm kvm = Kvm.open(); Hfvisor hfvisor = new Hfvisor(name, kvm, standby, fault);
                ControlServer control = ControlServer.bind(socket, hfvisor)) {
            hfvisor.shutdownTimeout(shutdownTimeout);
            hfvisor.serveOn(control);
            if (!standby) {   // a standby's service, if any, is the old instance's, and comes with the VMs
                ServiceManager.fromEnvironment().ifPresent(hfvisor::runAsServiceOf);
            }
            String console = System.getenv(Hfvisor.CONSOLE_PID_ENV);
            if (standby && console != null && console.matches("[0-9]+")) {
                hfvisor.endWithConsole(Integer.parseInt(console));
            }
            Runtime.getRuntime().addShutdownHook(new Thread(() -> {
                List<String> asked = hfvisor.shutdownGuests();
                if (!asked.isEmpty()) {
                    System.err.println("hfvisor: ending: asked " + String.join(", ", asked) + " to shut down (ACPI"
                            + " power button), then powered off whatever still ran after at most "
                            + hfvisor.shutdownTimeout().toSeconds() + " s");
                }
                hfvisor.close();
                // The JVM halts as this hook returns: the main thread's own close (the socket file removed, the last
                // events out) gets a moment first, and the socket is closed here if it never came to that.
                awaitQuietly(servedOut, SERVED_OUT_WAIT);
                control.close();
            }, "hfvisor-shutdown"));
            StdinForwarder stdin = new StdinForwarder(System.in);
            for (VmSpec spec : specs) {
                VmFactory.Created created = VmFactory.create(kvm, spec);
                hfvisor.add(created.vm(), spec.console());
                stdin.offer(spec, created);
            }
            hfvisor.vms().forEach(VirtualMachine::start);
            // Only now: a client that connected since the bind (the launching console's readiness probe, a `stop`
            // right after `launch`) waited in the backlog and finds every VM of the command line running.
            control.accept();
            hfvisor.serving();
            System.err.println("hfvisor: " + BuildInfo.current() + " on " + kvm.flavor().describe() + ", "
                    + (standby ? "standby " : "instance ") + name
                    + ", control socket " + control.path());
            if (standby) {
                JitWarmup.ahead(kvm);
            } else {
                JitWarmup.early(kvm, specs.stream().mapToInt(VmSpec::vcpus).max().orElse(1));
            }
            return hfvisor.ended().join();
        } catch (NameTakenException e) {
            System.err.println("hfvisor: " + e.getMessage());
            return NameTakenException.EXIT_STATUS;
        } catch (UncheckedIOException e) {
            return failed(e);
        } catch (RuntimeException e) {
            System.err.println("hfvisor: " + e.getMessage());
            return 1;
        } finally {
            servedOut.countDown();
        }
    }

    private static void awaitQuietly(CountDownLatch latch, Duration limit) {
        try {
            latch.await(limit.toMillis(), TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** A file that could not be used: what for, and why. */
    private static int failed(UncheckedIOException e) {
        System.err.println("hfvisor: " + e.getMessage() + ": " + IoFailure.reason(e.getCause()));
        return 1;
    }

    private static Duration seconds(String value) {
        try {
            long s = Long.parseLong(value);
            if (s >= 0) {
                return Duration.ofSeconds(s);
            }
        } catch (NumberFormatException e) {
            // said below
        }
        throw new IllegalArgumentException("--shutdown-timeout takes whole seconds, 0 or more, not '" + value + "'");
    }

    private static String value(String[] args, int i, String option) {
        if (i >= args.length) {
            throw new IllegalArgumentException(option + " needs a value");
        }
        return args[i];
    }
}
