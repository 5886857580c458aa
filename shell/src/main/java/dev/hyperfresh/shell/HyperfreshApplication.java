package dev.hyperfresh.shell;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.jline.utils.InfoCmp;
import org.springframework.boot.Banner;
import org.springframework.boot.SpringApplication;
import org.springframework.boot.SpringBootConfiguration;
import org.springframework.boot.autoconfigure.ImportAutoConfiguration;
import org.springframework.boot.autoconfigure.context.PropertyPlaceholderAutoConfiguration;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.context.annotation.ComponentScan;
import org.springframework.shell.boot.ApplicationRunnerAutoConfiguration;
import org.springframework.shell.boot.CommandCatalogAutoConfiguration;
import org.springframework.shell.boot.CompleterAutoConfiguration;
import org.springframework.shell.boot.ExitCodeAutoConfiguration;
import org.springframework.shell.boot.JLineAutoConfiguration;
import org.springframework.shell.boot.JLineShellAutoConfiguration;
import org.springframework.shell.boot.LineReaderAutoConfiguration;
import org.springframework.shell.boot.ParameterResolverAutoConfiguration;
import org.springframework.shell.boot.ShellContextAutoConfiguration;
import org.springframework.shell.boot.ShellRunnerAutoConfiguration;
import org.springframework.shell.boot.SpringShellAutoConfiguration;
import org.springframework.shell.boot.StandardAPIAutoConfiguration;
import org.springframework.shell.boot.StandardCommandsAutoConfiguration;
import org.springframework.shell.boot.ThemingAutoConfiguration;
import org.springframework.shell.boot.UserConfigAutoConfiguration;

/**
 * {@code hyperfresh}: the operator's console. No arguments: the REPL. {@code --script FILE}: a batch. Anything
 * else: one command, e.g. {@code hyperfresh replace demo --json}. {@code --debug} anywhere shows stack traces.
 * Exit codes: man hyperfresh.
 */
@SpringBootConfiguration
@ComponentScan({"dev.hyperfresh.shell", "dev.hyperfresh.commands"})
// Only what a shell needs, not every auto-configuration the class path allows (Jackson, validation, task
// executors, SSL, ...): each one costs start time in every one-shot command.
@ImportAutoConfiguration({PropertyPlaceholderAutoConfiguration.class, SpringShellAutoConfiguration.class,
        ShellContextAutoConfiguration.class, ShellRunnerAutoConfiguration.class, ApplicationRunnerAutoConfiguration.class,
        CommandCatalogAutoConfiguration.class, LineReaderAutoConfiguration.class, CompleterAutoConfiguration.class,
        UserConfigAutoConfiguration.class, JLineAutoConfiguration.class, JLineShellAutoConfiguration.class,
        ParameterResolverAutoConfiguration.class, StandardAPIAutoConfiguration.class, ThemingAutoConfiguration.class,
        StandardCommandsAutoConfiguration.class, ExitCodeAutoConfiguration.class})
public class HyperfreshApplication {
    public static void main(String[] args) {
        runNoProgramsForTheTerminal();
        List<String> rest = new ArrayList<>(List.of(args));
        boolean debug = rest.remove("--debug");
        SpringApplication app = new SpringApplication(HyperfreshApplication.class);
        app.setBannerMode(Banner.Mode.OFF);
        // --json, --instance ... are command options, not Spring properties
        app.setAddCommandLineProperties(false);
        // spring.shell.interactive.enabled counts where the context is built at run time (the tests); bin/hyperfresh's
        // ahead-of-time context always has the REPL's runner, and BatchRunner, first in line, takes one-shot runs.
        // spring.config.location: the one file there is, instead of probing a dozen places (the working directory's
        // among them) for application.properties and its variants at every start
        app.setDefaultProperties(Map.of("hyperfresh.debug", debug,
                "spring.shell.interactive.enabled", rest.isEmpty(),
                "spring.config.location", "classpath:/application.properties"));
        ConfigurableApplicationContext context = app.run(rest.toArray(String[]::new));
        System.exit(SpringApplication.exit(context));
    }

    /**
     * JLine's exec provider runs {@code test -t N} by its name on PATH for each standard stream Jansi does not call
     * a terminal (and once to probe itself): with this checkout's bin/ on PATH that was bin/test, the whole test
     * suite, started by a {@code pause}. Jansi's isatty answers alone. And JLine asks {@code infocmp} for the
     * terminal's capabilities before it looks at the ones it carries: given those for the terminals it knows (a
     * one-shot's {@code dumb}, {@code xterm-256color}, ...), a start spawns no process at all.
     */
    private static void runNoProgramsForTheTerminal() {
        System.setProperty("org.jline.terminal.exec", "false");
        for (String type : new String[] {System.getenv("TERM"), "dumb", "dumb-color"}) {
            String known = type == null ? null : InfoCmp.getDefaultInfoCmp(type);
            if (known != null) {
                InfoCmp.setLoadedInfoCmp(type, known);
            }
        }
    }
}
