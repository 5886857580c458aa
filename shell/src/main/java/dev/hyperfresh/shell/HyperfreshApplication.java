package dev.hyperfresh.shell;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.springframework.boot.Banner;
import org.springframework.boot.SpringApplication;
import org.springframework.boot.autoconfigure.SpringBootApplication;
import org.springframework.context.ConfigurableApplicationContext;

/**
 * {@code hyperfresh}: the operator's console. No arguments: the REPL. {@code --script FILE}: a batch. Anything
 * else: one command, e.g. {@code hyperfresh replace demo --json}. {@code --debug} anywhere shows stack traces.
 * Exit codes: man hyperfresh.
 */
@SpringBootApplication(scanBasePackages = {"dev.hyperfresh.shell", "dev.hyperfresh.commands"})
public class HyperfreshApplication {
    public static void main(String[] args) {
        List<String> rest = new ArrayList<>(List.of(args));
        boolean debug = rest.remove("--debug");
        SpringApplication app = new SpringApplication(HyperfreshApplication.class);
        app.setBannerMode(Banner.Mode.OFF);
        // --json, --instance ... are command options, not Spring properties
        app.setAddCommandLineProperties(false);
        app.setDefaultProperties(Map.of("hyperfresh.debug", debug,
                "spring.shell.interactive.enabled", rest.isEmpty()));
        ConfigurableApplicationContext context = app.run(rest.toArray(String[]::new));
        System.exit(SpringApplication.exit(context));
    }
}
