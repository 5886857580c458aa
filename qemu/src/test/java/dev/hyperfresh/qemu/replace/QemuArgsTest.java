package dev.hyperfresh.qemu.replace;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class QemuArgsTest {
    private static QemuArgs args(String... words) {
        return QemuArgs.parse(List.of(words), Path.of("/srv/vm"));
    }

    @Test
    void monitorsAreNumberedAsQemuNumbersThemAndTellQmpFromHuman() {
        QemuArgs a = args("qemu-system-x86_64", "-monitor", "none", "-qmp", "unix:a.qmp,server=on,wait=off",
                "-monitor", "telnet:127.0.0.1:4444,server=on", "-qmp", "chardev:ctl", "-chardev",
                "socket,id=mon2,path=/run/m.sock,server=on,wait=off", "-mon", "chardev=mon2,mode=control",
                "-mon", "hmp0");
        assertThat(a.monitors()).isEqualTo(Map.of("compat_monitor0", true, "compat_monitor1", false, "ctl", true,
                "mon2", true, "hmp0", false));
    }

    @Test
    void theQmpSocketsAreTheListeningUnixOnesAsTheOperatorNamesThem() {
        QemuArgs a = args("qemu-system-x86_64", "-qmp", "unix:a.qmp,server=on,wait=off", "-qmp",
                "unix:/run/b.qmp.next-4242,server,nowait", "-qmp", "unix:/run/client.qmp", "-qmp", "tcp::4444,server",
                "-chardev", "socket,id=mon2,path=/run/m.sock,server=on,wait=off", "-mon", "chardev=mon2,mode=control",
                "-chardev", "socket,id=ser,path=/run/serial.sock,server=on", "-serial", "chardev:ser",
                "-name", "guest=web,debug-threads=on");
        assertThat(a.qmpSockets()).containsExactly(Path.of("/srv/vm/a.qmp"), Path.of("/run/b.qmp"),
                Path.of("/run/m.sock"));
        assertThat(a.vmName()).isEqualTo("web");
        assertThat(args("qemu-system-x86_64", "-name", "db").vmName()).isEqualTo("db");
        assertThat(args("qemu-system-x86_64").vmName()).isEmpty();
    }
}
