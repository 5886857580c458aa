package dev.hyperfresh.vmm.control;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.hyperfresh.sys.Sys;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class PeerUidTest {
    private static final int NOBODY = 65534;

    @TempDir
    Path dir;

    @Test
    void theOwnUidAndRootMayConnect() {
        assertThat(PeerUid.refusal(1000, 1000)).isEmpty();
        assertThat(PeerUid.refusal(0, 1000)).isEmpty();
    }

    @Test
    void anyOtherUidIsRefusedNamingBothUids() {
        assertThat(PeerUid.refusal(1001, 1000))
                .contains("peer uid 1001 is neither this hfvisor's uid 1000 nor root");
        assertThat(PeerUid.refusal(NOBODY, 0)).get().asString().contains("uid " + NOBODY, "uid 0");
    }

    /** Needs root to switch to nobody; the socket is opened up to everyone so only the uid check stands in the way. */
    @Test
    void aPeerRunningAsNobodyGetsTheRefusalOverTheSocket() throws Exception {
        assumeTrue(Sys.C.geteuid() == 0, "only root can start a process as nobody");
        Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwxr-xr-x"));
        try (ControlServer server = ControlServer.start(dir.resolve("open.sock"), new FakeHandler())) {
            Files.setPosixFilePermissions(server.path(), PosixFilePermissions.fromString("rw-rw-rw-"));

            String reply = runAsNobody(ForeignPeerMain.class.getName(), server.path().toString());

            assertThat(reply).contains("\"ok\":false")
                    .contains("control socket refused: peer uid " + NOBODY + " is neither this hfvisor's uid 0");
            try (ControlClient client = ControlClient.connect(server.path())) {
                client.ping();
            }
        }
    }

    private static String runAsNobody(String mainClass, String arg) throws IOException, InterruptedException {
        String java = ProcessHandle.current().info().command().orElseThrow();
        String classes = Path.of(ForeignPeerMain.class.getProtectionDomain().getCodeSource().getLocation().getPath())
                .toString();
        Process p;
        try {
            p = new ProcessBuilder(List.of("setpriv", "--reuid=" + NOBODY, "--regid=" + NOBODY, "--clear-groups",
                    java, "-cp", classes, mainClass, arg)).redirectErrorStream(true).start();
        } catch (IOException noSetpriv) {
            assumeTrue(false, "setpriv is not available: " + noSetpriv.getMessage());
            throw noSetpriv;
        }
        assertThat(p.waitFor(60, TimeUnit.SECONDS)).as("the foreign peer finished").isTrue();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.exitValue()).as(out).isZero();
        return out;
    }
}
