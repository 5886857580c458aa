package dev.hyperfresh.vmm.boot.linux;

import static org.assertj.core.api.Assertions.assertThat;

import dev.hyperfresh.vmm.vm.VirtualMachine;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.function.Consumer;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Collects what a guest writes to its serial console and waits for text in it. With HYPERFRESH_SHOW_CONSOLE=1 it
 * also echoes the console to stdout, to watch a slow boot live.
 */
final class SerialConsole implements Consumer<byte[]> {
    private static final boolean ECHO = "1".equals(System.getenv("HYPERFRESH_SHOW_CONSOLE"));
    private final ByteArrayOutputStream text = new ByteArrayOutputStream();
    private final long started = System.nanoTime();

    @Override
    public synchronized void accept(byte[] bytes) {
        text.writeBytes(bytes);
        if (ECHO) {
            System.out.write(bytes, 0, bytes.length);
            System.out.flush();
        }
        notifyAll();
    }

    synchronized String text() {
        return text.toString(StandardCharsets.ISO_8859_1);
    }

    /**
     * Waits until {@code regex} matches the console, failing early if the VM ends (a guest's reset ends it too).
     *
     * @return the match and the seconds since the console was created
     */
    synchronized Matcher await(String regex, Duration patience, VirtualMachine vm) throws InterruptedException {
        Pattern p = Pattern.compile(regex);
        long deadline = System.nanoTime() + patience.toNanos();
        while (true) {
            Matcher m = p.matcher(text());
            if (m.find()) {
                return m;
            }
            String ended = vm.exit().isDone() ? "VM ended: " + vm.exit().join().message() : null;
            long left = deadline - System.nanoTime();
            assertThat(ended == null && left > 0)
                    .as("waiting %s for /%s/: %s; console so far:%n%s", patience, regex,
                            ended != null ? ended : "timed out", tail(4000))
                    .isTrue();
            wait(Math.min(1000, Math.max(1, left / 1_000_000)));
        }
    }

    double secondsSinceStart() {
        return (System.nanoTime() - started) / 1e9;
    }

    synchronized String tail(int chars) {
        String t = text();
        return t.substring(Math.max(0, t.length() - chars));
    }
}
