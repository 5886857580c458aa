package dev.hyperfresh.sys;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * A systemd service's settings and main process as its manager has them ({@code systemctl show}): what systemd does
 * when the service's main process is killed by SIGKILL — as a replaced QEMU's is —, what it runs then, and which pid
 * file it reads a new main process from.
 */
public final class ServiceSettings {
    private static final String PROPERTIES = "LoadState,Type,PIDFile,MainPID,Restart,SuccessExitStatus,"
            + "RestartPreventExitStatus,RestartForceExitStatus,ExecStopPost";
    private static final String STOP_POST = "ExecStopPost";
    private static final Duration ANSWER_LIMIT = Duration.ofSeconds(10);
    private static final String ARGV = "argv[]=";
    /** By path: the console starts no program by name (a {@code bin/} on PATH would shadow it). */
    private static final List<Path> SYSTEMCTL = List.of(Path.of("/usr/bin/systemctl"), Path.of("/bin/systemctl"));
    private static final String KILL = "KILL";
    private static final Set<String> AFTER_UNCLEAN = Set.of("always", "on-failure", "on-abnormal", "on-abort");
    private static final Set<String> AFTER_CLEAN = Set.of("always", "on-success");

    private final String unit;
    private final Map<String, String> properties;
    private final List<String> stopPost;

    private ServiceSettings(String unit, Map<String, String> properties, List<String> stopPost) {
        this.unit = unit;
        this.properties = properties;
        this.stopPost = List.copyOf(stopPost);
    }

    /**
     * {@code unit}'s settings, asked of the system's service manager.
     *
     * @throws IOException when it cannot be asked (no systemctl, no systemd) or does not know the unit
     */
    public static ServiceSettings of(String unit) throws IOException {
        Path systemctl = SYSTEMCTL.stream().filter(Files::isExecutable).findFirst()
                .orElseThrow(() -> new IOException("there is no systemctl"));
        return of(List.of(systemctl.toString()), unit);
    }

    /** The same, asked by the command {@code systemctl} (in a test: run on the machine of a sandboxed systemd). */
    static ServiceSettings of(List<String> systemctl, String unit) throws IOException {
        List<String> command = new ArrayList<>(systemctl);
        command.addAll(List.of("show", unit, "-p", PROPERTIES));
        ProgramOutput shown;
        try {
            shown = ProgramOutput.of(command, ANSWER_LIMIT);   // a systemctl hanging on the bus: so long
        } catch (IOException e) {
            throw new IOException("systemctl show " + unit + ": " + e.getMessage(), e);
        }
        String out = shown.output();
        if (shown.status() != 0) {
            throw new IOException("systemctl show " + unit + ": " + out.strip());
        }
        Map<String, String> values = new LinkedHashMap<>();
        List<String> stopPost = new ArrayList<>();
        for (String line : out.split("\n")) {
            int eq = line.indexOf('=');
            if (eq > 0 && line.substring(0, eq).equals(STOP_POST)) {
                int argv = line.indexOf(ARGV) + ARGV.length();   // one line per command: "{ path=... ; argv[]=... ; ..."
                stopPost.add(line.substring(argv, line.indexOf(" ; ", argv)));
            } else if (eq > 0) {
                values.put(line.substring(0, eq), line.substring(eq + 1).strip());
            }
        }
        String load = values.getOrDefault("LoadState", "");
        if (!load.equals("loaded")) {
            throw new IOException("systemd has no unit " + unit + " (LoadState=" + load + ")");
        }
        return new ServiceSettings(unit, values, stopPost);
    }

    public String unit() {
        return unit;
    }

    /** Its main process as systemd knows it (in systemd's pid namespace); 0 while it has none. */
    public long mainPid() {
        return Long.parseLong(properties.getOrDefault("MainPID", "0"));
    }

    /**
     * The settings (e.g. {@code Restart=always}) under which systemd starts the service again after SIGKILL of its
     * main process; empty if it does not. systemd.service(5)'s table for an unclean signal, overridden by {@code
     * RestartForceExitStatus=} and {@code RestartPreventExitStatus=}, SIGKILL a clean end where {@code
     * SuccessExitStatus=} lists it.
     */
    public Optional<String> restartAfterKill() {
        String restart = properties.getOrDefault("Restart", "no");
        if (lists("RestartForceExitStatus")) {
            return Optional.of("RestartForceExitStatus=" + properties.get("RestartForceExitStatus"));
        }
        if (lists("RestartPreventExitStatus")) {
            return Optional.empty();
        }
        boolean clean = lists("SuccessExitStatus");
        return (clean ? AFTER_CLEAN : AFTER_UNCLEAN).contains(restart)
                ? Optional.of("Restart=" + restart + (clean ? " with SuccessExitStatus=SIGKILL" : ""))
                : Optional.empty();
    }

    /**
     * The commands systemd runs once the service's main process has ended ({@code ExecStopPost=}), whoever ended it:
     * what they undo (a tap, a file) goes from under a successor that runs on outside the service.
     */
    public List<String> stopPost() {
        return stopPost;
    }

    /**
     * The pid file of a {@code Type=forking} service: when its main process dies systemd reads it and, if it names
     * another live process, takes that one for its main process and keeps the service (from a file root owns even
     * when that process is outside the service's cgroup).
     */
    public Optional<Path> forkingPidFile() {
        String file = properties.getOrDefault("PIDFile", "");
        return properties.getOrDefault("Type", "").equals("forking") && !file.isEmpty() ? Optional.of(Path.of(file))
                : Optional.empty();
    }

    /** Whether exit-status set {@code property} (as systemctl prints it: numbers, signal names without SIG) has KILL. */
    private boolean lists(String property) {
        return Arrays.asList(properties.getOrDefault(property, "").split("\\s+")).contains(KILL);
    }
}
