package dev.hyperfresh.vmm;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.Properties;

/** This hfvisor build's version and build id (stamped by Maven), so operators can tell two instances apart. */
public record BuildInfo(String version, String buildId) {
    public static BuildInfo current() {
        Properties p = new Properties();
        try (InputStream in = BuildInfo.class.getResourceAsStream("/hfvisor-build.properties")) {
            if (in != null) {
                p.load(in);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return new BuildInfo(p.getProperty("version", "dev"), p.getProperty("build", "unknown"));
    }

    @Override
    public String toString() {
        return "hfvisor " + version + " (build " + buildId + ")";
    }
}
