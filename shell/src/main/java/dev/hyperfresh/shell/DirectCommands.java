package dev.hyperfresh.shell;

import dev.hyperfresh.commands.ErrorReporter;
import dev.hyperfresh.commands.ExitCodes;
import dev.hyperfresh.commands.InstanceCommands;
import dev.hyperfresh.commands.Renderer;
import dev.hyperfresh.commands.Session;
import dev.hyperfresh.commands.Targets;
import dev.hyperfresh.engine.EngineConfig;
import dev.hyperfresh.engine.HfvisorEngine;
import dev.hyperfresh.engine.QemuEngine;
import dev.hyperfresh.progress.ProgressListener;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * {@code list}, {@code info NAME} and {@code help}, one-shot, without Spring: a script looping over instances
 * would otherwise spend most of its time starting a Spring Shell. The very command methods the shell registers
 * run here ({@link InstanceCommands}), over the same engines, and print and fail as a one-shot run does
 * ({@link ErrorReporter#report}); {@code help} prints the text the shell's own {@code help} rendered at build time
 * ({@code shell/target/help.txt}). Only these exact argument shapes are taken; any other line, and {@code help}
 * without its build-time text, goes to the shell.
 */
final class DirectCommands {
    static final String HELP_FILE = "shell/target/help.txt";

    private DirectCommands() {
    }

    /** The exit code, or null when the line is not one of these (the shell then runs it). */
    static Integer run(String[] args) {
        List<String> words = new ArrayList<>(List.of(args));
        boolean debug = words.remove("--debug");
        boolean json = words.remove("--json");
        String home = setting("hyperfresh.home", "HYPERFRESH_HOME", ".");
        if (words.equals(List.of("help")) && !json) {
            return help(Path.of(home, HELP_FILE));
        }
        String instance = words.size() == 2 && words.get(0).equals("info") && !words.get(1).startsWith("-")
                ? words.get(1)
                : words.size() == 3 && words.get(0).equals("info") && words.get(1).equals("--instance") ? words.get(2)
                : null;
        if (!words.equals(List.of("list")) && instance == null) {
            return null;
        }
        Renderer renderer = new PlainRenderer();
        try {
            EngineConfig config = EngineConfig.of(setting("hyperfresh.socket-dir", "HYPERFRESH_SOCKET_DIR", ""), home,
                    setting("hyperfresh.hfvisor", "HYPERFRESH_HFVISOR", ""), Duration.ofMinutes(2));
            QemuEngine qemu = new QemuEngine(config);
            Session session = new Session();
            InstanceCommands commands = new InstanceCommands(new HfvisorEngine(config), qemu, session,
                    new Targets(session, qemu), renderer);
            renderer.line(instance == null ? commands.list(json) : commands.info(instance, json));
            return ExitCodes.SUCCESS;
        } catch (RuntimeException e) {
            return ErrorReporter.report(e, json, renderer, debug).exitCode();
        }
    }

    private static Integer help(Path text) {
        try {
            System.out.print(Files.readString(text));
            System.out.flush();
            return ExitCodes.SUCCESS;
        } catch (IOException e) {
            return null;   // not built (or not readable): the shell renders it
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
