package dev.hyperfresh.testkit;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.util.List;

/** A host tool a test needs done (ip for a tap, ping for a guest), which must succeed; its output says why not. */
public final class HostCommand {
    private HostCommand() {
    }

    public static void run(String... command) throws Exception {
        Process p = new ProcessBuilder(List.of(command)).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor()).as("%s: %s", String.join(" ", command), out).isZero();
    }

    /** {@code ip ARGS...} (iproute2). */
    public static void ip(String... args) throws Exception {
        String[] command = new String[args.length + 1];
        command[0] = "ip";
        System.arraycopy(args, 0, command, 1, args.length);
        run(command);
    }
}
