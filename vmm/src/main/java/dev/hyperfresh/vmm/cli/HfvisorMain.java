package dev.hyperfresh.vmm.cli;

import dev.hyperfresh.kvm.Kvm;
import dev.hyperfresh.vmm.BuildInfo;
import dev.hyperfresh.vmm.Hfvisor;
import dev.hyperfresh.vmm.control.ControlClient;
import dev.hyperfresh.vmm.control.ControlServer;
import dev.hyperfresh.vmm.control.Event;
import dev.hyperfresh.vmm.heartbeat.GuestLine;
import dev.hyperfresh.vmm.vm.VirtualMachine;
import dev.hyperfresh.vmm.vm.VmExit;
import dev.hyperfresh.vmm.vm.VmStatus;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;

/** {@code hfvisor}: starts an instance with its VMs and control socket, runs until every VM has ended. */
public final class HfvisorMain {
    private static final String USAGE = """
            usage: hfvisor [--name INSTANCE] [--socket-dir DIR] --vm SPEC [--vm SPEC ...]
                   hfvisor [--name INSTANCE] [--socket-dir DIR] --config FILE   (one SPEC per line, # comments)
                   hfvisor --version
              SPEC: name=N,mem=256M,cpus=1[,guest=hfguest|linux][,kernel=PATH][,initrd=PATH][,hugepages]
                    [,console=stdout|none|PATH][,cmdline=TEXT]   (man hfvisor)""";

    private HfvisorMain() {
    }

    public static void main(String[] args) {
        System.exit(run(args));
    }

    static int run(String[] args) {
        String name = "hfvisor-" + ProcessHandle.current().pid();
        Path socketDir = null;
        List<VmSpec> specs = new ArrayList<>();
        try {
            for (int i = 0; i < args.length; i++) {
                switch (args[i]) {
                    case "--version" -> {
                        System.out.println(BuildInfo.current());
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
                    default -> throw new IllegalArgumentException("unknown option " + args[i]);
                }
            }
            if (specs.isEmpty()) {
                throw new IllegalArgumentException("at least one --vm (or --config) is needed");
            }
        } catch (IllegalArgumentException e) {
            System.err.println("hfvisor: " + e.getMessage());
            System.err.println(USAGE);
            return 2;
        }
        Path socket = socketDir == null ? ControlClient.socketPath(name) : socketDir.resolve(name + ".sock");
        return serve(name, socket, specs);
    }

    private static int serve(String name, Path socket, List<VmSpec> specs) {
        try (Kvm kvm = Kvm.open(); Hfvisor hfvisor = new Hfvisor(name, kvm);
                ControlServer control = ControlServer.start(socket, hfvisor)) {
            Runtime.getRuntime().addShutdownHook(new Thread(hfvisor::close, "hfvisor-shutdown"));
            List<CompletableFuture<VmExit>> exits = new ArrayList<>();
            StdinForwarder stdin = new StdinForwarder(System.in);
            for (VmSpec spec : specs) {
                ConsoleSink sink = ConsoleSink.open(spec.console(), spec.name());
                VmFactory.Created created = VmFactory.create(kvm, spec, text -> {
                    sink.line(text);
                    control.publish(Event.console(spec.name(), text));
                });
                VirtualMachine vm = created.vm();
                hfvisor.add(vm);
                stdin.offer(spec, created);
                vm.onGuestLine(line -> {
                    sink.line(line.text());
                    control.publish(line.is(GuestLine.HEARTBEAT) ? Event.heartbeat(spec.name(), line.heartbeat())
                            : Event.guestLine(spec.name(), line));
                });
                exits.add(vm.exit().whenComplete((exit, err) -> {
                    sink.line("hfvisor: VM " + spec.name() + " " + exit.status().name().toLowerCase()
                            + " (" + exit.message() + ")");
                    control.publish(Event.state(spec.name(), exit.status().name().toLowerCase()));
                }));
            }
            hfvisor.vms().forEach(VirtualMachine::start);
            System.err.println("hfvisor: " + BuildInfo.current() + ", instance " + name + ", control socket "
                    + control.path());
            CompletableFuture.allOf(exits.toArray(CompletableFuture[]::new)).join();
            boolean clean = exits.stream().map(CompletableFuture::join)
                    .allMatch(e -> e.status() == VmStatus.POWERED_OFF && e.code() == 0);
            return clean ? 0 : 1;
        } catch (RuntimeException e) {
            System.err.println("hfvisor: " + e.getMessage());
            return 1;
        }
    }

    private static String value(String[] args, int i, String option) {
        if (i >= args.length) {
            throw new IllegalArgumentException(option + " needs a value");
        }
        return args[i];
    }
}
