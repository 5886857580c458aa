package dev.hyperfresh.shell;

import dev.hyperfresh.commands.ErrorReporter;
import dev.hyperfresh.commands.ExitCodes;
import dev.hyperfresh.commands.InstanceCommands;
import dev.hyperfresh.commands.Renderer;
import dev.hyperfresh.commands.ReplacementCommands;
import dev.hyperfresh.commands.Session;
import dev.hyperfresh.commands.Targets;
import dev.hyperfresh.engine.EngineConfig;
import dev.hyperfresh.engine.HfvisorEngine;
import dev.hyperfresh.engine.QemuEngine;
import dev.hyperfresh.progress.ProgressListener;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.springframework.boot.convert.DurationStyle;

/**
 * {@code list}, {@code info NAME}, {@code help} and {@code replace NAME --json [--seconds S]}, one-shot, without
 * Spring: a script looping over instances would otherwise spend most of its time starting a Spring Shell. The very
 * command methods the shell registers run here ({@link InstanceCommands}, {@link ReplacementCommands}), over the
 * same engines, and print and fail as a one-shot run does
 * ({@link ErrorReporter#report}); {@code help} prints the text the shell's own {@code help} rendered at build time
 * ({@code shell/target/help.txt}). Only these exact argument shapes are taken; any other line, and {@code help}
 * without its build-time text, goes to the shell.
 */
final class DirectCommands {
    static final String HELP_FILE = "shell/target/help.txt";

    private DirectCommands() {
    }

    /**
     * How a command answered here ends the process: {@code exitNow} after a {@code replace}, whose standby outlives
     * this process (the JDK's exit would wait on its process reaper, blocked in a native call, for 0.3 s).
     */
    record Answered(int exitCode, boolean exitNow) {
    }

    /** How the command ended, or null when the line is not one of these (the shell then runs it). */
    static Answered run(String[] args) {
        List<String> words = new ArrayList<>(List.of(args));
        boolean debug = words.remove("--debug");
        boolean json = words.remove("--json");
        String home = setting("hyperfresh.home", "HYPERFRESH_HOME", ".");
        if (words.equals(List.of("help")) && !json) {
            return help(Path.of(home, HELP_FILE)) ? new Answered(ExitCodes.SUCCESS, false) : null;
        }
        String seconds = null;
        int at = words.indexOf("--seconds");
        if (words.size() > 1 && words.get(0).equals("replace") && json && at > 0 && at == words.size() - 2) {
            seconds = words.get(at + 1);
            words = words.subList(0, at);
            if (!seconds.matches("[0-9]+(\\.[0-9]+)?")) {
                return null;   // the shell's own conversion error
            }
        }
        String instance = instanceOf(words, "info");
        String replaced = json ? instanceOf(words, "replace") : null;   // a script's replace; progress needs the shell
        if (!words.equals(List.of("list")) && instance == null && replaced == null) {
            return null;
        }
        Renderer renderer = new PlainRenderer();
        try {
            EngineConfig config = EngineConfig.of(setting("hyperfresh.socket-dir", "HYPERFRESH_SOCKET_DIR", ""), home,
                    setting("hyperfresh.hfvisor", "HYPERFRESH_HFVISOR", ""),
                    DurationStyle.detectAndParse(setting("hyperfresh.start-timeout", "HYPERFRESH_START_TIMEOUT",
                            "120s")));
            QemuEngine qemu = new QemuEngine(config);
            HfvisorEngine hfvisor = new HfvisorEngine(config);
            Session session = new Session();
            Targets targets = new Targets(session, qemu);
            if (replaced != null) {
                renderer.line(new ReplacementCommands(hfvisor, qemu, targets, renderer)
                        .replace(replaced, null, seconds == null ? null : Double.valueOf(seconds), false, null,
                        false, false, false, false, null, null, true));
                return new Answered(ExitCodes.SUCCESS, true);
            }
            InstanceCommands commands = new InstanceCommands(hfvisor, qemu, session, targets, renderer);
            renderer.line(instance == null ? commands.list(json) : commands.info(instance, json));
            return new Answered(ExitCodes.SUCCESS, false);
        } catch (RuntimeException e) {
            return new Answered(ErrorReporter.report(e, json, renderer, debug).exitCode(), replaced != null);
        }
    }

    /** NAME from {@code COMMAND NAME} or {@code COMMAND --instance NAME}, else null. */
    private static String instanceOf(List<String> words, String command) {
        if (words.isEmpty() || !words.get(0).equals(command)) {
            return null;
        }
        return words.size() == 2 && !words.get(1).startsWith("-") ? words.get(1)
                : words.size() == 3 && words.get(1).equals("--instance") ? words.get(2) : null;
    }

    /** False when the text is not built (or not readable): the shell renders it. */
    private static boolean help(Path text) {
        try {
            System.out.print(Files.readString(text));
            System.out.flush();
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    /** A system property, else the environment variable Spring would bind it from, else {@code otherwise}. */
    private static String setting(String property, String env, String otherwise) {
        String value = System.getProperty(property);
        if (value == null) {
            value = System.getenv(env);
        }
        return value == null ? otherwise : value;
    }

    private static final class PlainRenderer implements Renderer {
        @Override
        public ProgressListener progress() {
            return ProgressListener.NONE;
        }

        @Override
        public void endProgress() {
        }

        @Override
        public void line(String text) {
            System.out.println(text);
            System.out.flush();
        }

        @Override
        public void error(String text) {
            System.err.println(text);
            System.err.flush();
        }
    }
}
