package dev.hyperfresh.sys;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.hyperfresh.testkit.SystemdSandbox;
import java.io.IOException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * What {@link ServiceSettings} says systemd does when a service's main process is killed, against what systemd
 * (itself, in a sandbox) then does: for each Restart= value, and the exit-status sets that turn it either way; and
 * a forking service's pid file.
 */
class ServiceSettingsTest {
    private static final Map<String, String> SETTINGS = new LinkedHashMap<>();

    static {
        for (String restart : List.of("no", "always", "on-success", "on-failure", "on-abnormal", "on-abort",
                "on-watchdog")) {
            SETTINGS.put("r-" + restart, "Restart=" + restart);
        }
        SETTINGS.put("prevented", "Restart=always\nRestartPreventExitStatus=1 SIGKILL");
        SETTINGS.put("forced", "Restart=no\nRestartForceExitStatus=SIGKILL");
        SETTINGS.put("clean-failure", "Restart=on-failure\nSuccessExitStatus=KILL");
        SETTINGS.put("clean-success", "Restart=on-success\nSuccessExitStatus=SIGKILL");
    }

    @TempDir
    Path dir;

    @Test
    void saysWhetherSystemdStartsAKilledServiceAgain() throws Exception {
        Map<String, String> units = new LinkedHashMap<>();
        SETTINGS.forEach((name, settings) -> units.put(name + ".service", "[Unit]\nDefaultDependencies=no\n"
                + "[Service]\nExecStart=/bin/sleep 1000\nRestartSec=50ms\n" + settings + "\n"));
        units.put("cleaned.service", "[Unit]\nDefaultDependencies=no\n[Service]\nExecStart=/bin/sleep 1000\n"
                + "ExecStopPost=/bin/echo one two\nExecStopPost=-/bin/rm -f /tmp/nothing\n");
        try (SystemdSandbox systemd = SystemdSandbox.start(dir, units)) {
            for (String unit : SETTINGS.keySet().stream().map(name -> name + ".service").toList()) {
                Optional<String> verdict = settings(systemd, unit).restartAfterKill();
                assertThat(verdict.isPresent()).as("%s: %s", unit, verdict).isEqualTo(restartsAfterKill(systemd, unit));
            }
            assertThat(settings(systemd, "r-always.service").restartAfterKill()).contains("Restart=always");
            assertThat(settings(systemd, "r-always.service").forkingPidFile()).isEmpty();
            assertThat(settings(systemd, "r-always.service").stopPost()).isEmpty();
            assertThat(settings(systemd, "cleaned.service").stopPost()).containsExactly("/bin/echo one two",
                    "/bin/rm -f /tmp/nothing");
            assertThatThrownBy(() -> settings(systemd, "nosuch.service")).isInstanceOf(IOException.class)
                    .hasMessage("systemd has no unit nosuch.service (LoadState=not-found)");
        }
    }

    @Test
    void knowsAForkingServicesPidFileAndMainProcess() throws Exception {
        String unit = "forking.service";
        try (SystemdSandbox systemd = SystemdSandbox.start(dir, Map.of(unit, "[Unit]\nDefaultDependencies=no\n"
                + "[Service]\nType=forking\nPIDFile=/run/forking.pid\nExecStart=/bin/sh -c 'setsid sleep 1000"
                + " </dev/null >/dev/null 2>&1 & echo $$! > /run/forking.pid'\n"))) {
            systemd.systemctl("start", unit);
            ServiceSettings settings = settings(systemd, unit);
            assertThat(settings.forkingPidFile()).contains(Path.of("/run/forking.pid"));
            assertThat(settings.mainPid()).isEqualTo(Long.parseLong(systemd.run("cat", "/run/forking.pid").output()
                    .strip()));
        }
    }

    private static ServiceSettings settings(SystemdSandbox systemd, String unit) throws IOException {
        return ServiceSettings.of(systemd.inside("/usr/bin/systemctl"), unit);
    }

    /** Starts {@code unit}, kills its main process and watches what systemd does. */
    private static boolean restartsAfterKill(SystemdSandbox systemd, String unit) throws Exception {
        systemd.systemctl("start", unit);
        String first = systemd.show(unit, "MainPID").get("MainPID");
        systemd.run("kill", "-KILL", first);
        try {
            for (int i = 0; i < 100; i++) {
                Map<String, String> now = systemd.show(unit, "ActiveState", "MainPID");
                String pid = now.get("MainPID");
                if (now.get("ActiveState").equals("active") && !pid.equals("0") && !pid.equals(first)) {
                    return true;
                }
                if (now.get("ActiveState").equals("failed") || now.get("ActiveState").equals("inactive")) {
                    Thread.sleep(300);   // past RestartSec: a restart would have shown
                    return !systemd.show(unit, "ActiveState").get("ActiveState").matches("failed|inactive");
                }
                Thread.sleep(50);
            }
            throw new AssertionError(unit + " neither restarted nor ended after its main process was killed");
        } finally {
            systemd.run("systemctl", "stop", unit);
            systemd.run("systemctl", "reset-failed", unit);
        }
    }
}
