package dev.hyperfresh.shell;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * A private tmux server with one window, typed into as a person would (send-keys) and read back (capture-pane):
 * how the tests drive a real terminal. {@link #close()} kills the server and waits for what ran in it.
 */
final class Tmux implements AutoCloseable {
    private static final String WINDOW = "t";
    private final String server;

    private Tmux(String server) {
        this.server = server;
    }

    /** A 160×50 window running {@code command}. */
    static Tmux start(String name, String... command) throws Exception {
        Tmux t = new Tmux(name + "-" + ProcessHandle.current().pid());
        List<String> args = new ArrayList<>(List.of("new-session", "-d", "-x", "160", "-y", "50", "-s", WINDOW));
        args.addAll(List.of(command));
        t.run(args.toArray(String[]::new));
        return t;
    }

    /** Text as typed; the words "Enter" and "Tab" as those keys ("-l", literal, applies to a whole send-keys). */
    void type(String... keys) throws Exception {
        for (String key : keys) {
            if (key.equals("Enter") || key.equals("Tab")) {
                run("send-keys", "-t", WINDOW, key);
            } else {
                run("send-keys", "-t", WINDOW, "-l", "--", key); // "--": a key may begin with "-"
            }
        }
    }

    String screen() throws Exception {
        return run("capture-pane", "-p", "-J", "-t", WINDOW, "-S", "-200");
    }

    /** Until the screen shows {@code text}, or an AssertionError with what it shows after {@code timeout}. */
    void awaitScreen(String text, Duration timeout) throws Exception {
        long deadline = System.nanoTime() + timeout.toNanos();
        String last = "";
        while (System.nanoTime() < deadline) {
            last = screen();
            if (last.contains(text)) {
                return;
            }
            Thread.sleep(200);
        }
        throw new AssertionError("the screen never showed \"" + text + "\"; it shows:\n" + last);
    }

    /** Kills the server and waits for what ran in it: a process still exiting there may write into a test's dir. */
    @Override
    public void close() throws Exception {
        List<ProcessHandle> running = new ArrayList<>();
        for (String pid : run("list-panes", "-a", "-F", "#{pane_pid}").split("\\s+")) {
            if (pid.matches("\\d+")) {
                ProcessHandle.of(Long.parseLong(pid)).ifPresent(p -> {
                    running.add(p);
                    p.descendants().forEach(running::add);
                });
            }
        }
        run("kill-server");
        for (ProcessHandle p : running) {
            p.destroy();
            p.onExit().get(30, java.util.concurrent.TimeUnit.SECONDS);
        }
    }

    private String run(String... args) throws Exception {
        List<String> command = new ArrayList<>(List.of("tmux", "-L", server));
        command.addAll(List.of(args));
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        p.waitFor();
        return out;
    }
}
