package dev.hyperfresh.vmm;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.Optional;
import java.util.Properties;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** This hfvisor build's version and build id (stamped by Maven), so operators can tell two instances apart. */
public record BuildInfo(String version, String buildId) {
    /** {@link #toString}'s words, as {@code hfvisor --version} prints them first. */
    private static final Pattern SAID = Pattern.compile("hfvisor (\\S+) \\(build (\\S+)\\)");

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

    /** The build {@code text} names in {@link #toString}'s words (e.g. {@code hfvisor --version}'s output), if any. */
    public static Optional<BuildInfo> find(String text) {
        Matcher m = SAID.matcher(text);
        return m.find() ? Optional.of(new BuildInfo(m.group(1), m.group(2))) : Optional.empty();
    }
}
