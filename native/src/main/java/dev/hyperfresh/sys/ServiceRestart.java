package dev.hyperfresh.sys;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.TimeUnit;

/**
 * Whether systemd starts a service again once its main process is killed by SIGKILL — as a replaced QEMU's is,
 * its successor running on outside the service. The answer is the unit's {@code Restart=} as systemd.service(5)'s
 * table has it for an unclean signal, overridden by {@code RestartForceExitStatus=} and {@code
 * RestartPreventExitStatus=}, with SIGKILL a clean end where {@code SuccessExitStatus=} lists it; read from the
 * unit's manager by {@code systemctl show}.
 */
public final class ServiceRestart {
    private static final String PROPERTIES = "LoadState,Restart,SuccessExitStatus,RestartPreventExitStatus,"
            + "RestartForceExitStatus";
    /** By path: the console starts no program by name (a {@code bin/} on PATH would shadow it). */
    private static final List<Path> SYSTEMCTL = List.of(Path.of("/usr/bin/systemctl"), Path.of("/bin/systemctl"));
    private static final String KILL = "KILL";
    private static final Set<String> AFTER_UNCLEAN = Set.of("always", "on-failure", "on-abnormal", "on-abort");
    private static final Set<String> AFTER_CLEAN = Set.of("always", "on-success");

    private ServiceRestart() {
    }

    /**
     * The settings of {@code unit} (e.g. {@code Restart=always}) under which systemd starts it again after SIGKILL
     * of its main process; empty if it does not.
     *
     * @throws IOException when its manager cannot be asked (no systemctl, no systemd, a unit it does not know)
     */
    public static Optional<String> afterKill(String unit) throws IOException {
        Path systemctl = SYSTEMCTL.stream().filter(Files::isExecutable).findFirst()
                .orElseThrow(() -> new IOException("there is no systemctl"));
        return afterKill(List.of(systemctl.toString()), unit);
    }

    /** The same, asked by the command {@code systemctl} (in a test: run on the machine of a sandboxed systemd). */
    static Optional<String> afterKill(List<String> systemctl, String unit) throws IOException {
        List<String> command = new ArrayList<>(systemctl);
        command.addAll(List.of("show", unit, "-p", PROPERTIES));
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        String out;
        try {
            p.getOutputStream().close();
            out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            if (!p.waitFor(10, TimeUnit.SECONDS)) {
                throw new IOException("systemctl show " + unit + " did not answer in 10 s");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted asking systemctl about " + unit, e);
        } finally {
            p.destroyForcibly();
        }
        if (p.exitValue() != 0) {
            throw new IOException("systemctl show " + unit + ": " + out.strip());
        }
        return afterKill(unit, properties(out));
    }

    private static Optional<String> afterKill(String unit, Map<String, String> properties) throws IOException {
        String load = properties.getOrDefault("LoadState", "");
        if (!load.equals("loaded")) {
            throw new IOException("systemd has no unit " + unit + " (LoadState=" + load + ")");
        }
        String restart = properties.getOrDefault("Restart", "no");
        if (lists(properties, "RestartForceExitStatus")) {
            return Optional.of("RestartForceExitStatus=" + properties.get("RestartForceExitStatus"));
        }
        if (lists(properties, "RestartPreventExitStatus")) {
            return Optional.empty();
        }
        boolean clean = lists(properties, "SuccessExitStatus");
        return (clean ? AFTER_CLEAN : AFTER_UNCLEAN).contains(restart)
                ? Optional.of("Restart=" + restart + (clean ? " with SuccessExitStatus=SIGKILL" : ""))
                : Optional.empty();
    }

    /** Whether exit-status set {@code property} (as systemctl prints it: numbers, signal names without SIG) has KILL. */
    private static boolean lists(Map<String, String> properties, String property) {
        return Arrays.asList(properties.getOrDefault(property, "").split("\\s+")).contains(KILL);
    }

    private static Map<String, String> properties(String out) {
        Map<String, String> values = new LinkedHashMap<>();
        for (String line : out.split("\n")) {
            int eq = line.indexOf('=');
            if (eq > 0) {
                values.put(line.substring(0, eq), line.substring(eq + 1).strip());
            }
        }
        return values;
    }
}
