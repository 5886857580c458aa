package dev.hyperfresh.commands;

import org.springframework.boot.SpringBootConfiguration;

/** The configuration {@code @ShellTest} looks for; each test imports the beans it needs. */
@SpringBootConfiguration
public class CommandsTestApplication {
}
