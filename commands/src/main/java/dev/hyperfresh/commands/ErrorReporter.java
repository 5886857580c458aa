package dev.hyperfresh.commands;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.concurrent.atomic.AtomicLong;
import org.springframework.beans.factory.annotation.Value;
import org.springframework.core.Ordered;
import org.springframework.core.annotation.Order;
import org.springframework.shell.command.CommandExceptionResolver;
import org.springframework.shell.command.CommandHandlingResult;
import org.springframework.stereotype.Component;

/**
 * Prints every command failure as its {@link Outcome}: what the command still shows (a rolled-back report), under
 * {@code --json} as the one JSON object on stdout, and always one sentence on the error stream (the stack trace
 * only with {@code --debug}); the outcome's exit code becomes the run's. Counts failures so a script knows when
 * to stop.
 */
@Component
@Order(Ordered.HIGHEST_PRECEDENCE)
public class ErrorReporter implements CommandExceptionResolver {
    private final Renderer renderer;
    private final CommandLine line;
    private final boolean debug;
    private final AtomicLong failures = new AtomicLong();
    private volatile int lastExitCode = ExitCodes.SUCCESS;

    public ErrorReporter(Renderer renderer, CommandLine line, @Value("${hyperfresh.debug:false}") boolean debug) {
        this.renderer = renderer;
        this.line = line;
        this.debug = debug;
    }

    @Override
    public CommandHandlingResult resolve(Exception e) {
        Outcome outcome = report(e, line.json(), renderer, debug);
        lastExitCode = outcome.exitCode();
        failures.incrementAndGet();
        return CommandHandlingResult.of(null, outcome.exitCode());
    }

    /**
     * Prints {@code e} as its outcome through {@code renderer} and returns it: what the command still shows, the
     * one JSON object under {@code --json}, the sentence on the error stream, the stack trace with {@code --debug}.
     */
    public static Outcome report(Exception e, boolean json, Renderer renderer, boolean debug) {
        Outcome outcome = Outcome.of(e);
        renderer.endProgress();
        Object shown = e instanceof OutputAndFailure withOutput ? withOutput.shown() : null;
        if (json) {
            renderer.line(outcome.render(shown instanceof ObjectNode node ? node : null));
        } else if (shown != null) {
            renderer.line(shown.toString());
        }
        renderer.error("hyperfresh: " + outcome.reason());
        if (debug) {
            StringWriter trace = new StringWriter();
            e.printStackTrace(new PrintWriter(trace));
            renderer.error(trace.toString());
        }
        return outcome;
    }

    public long failures() {
        return failures.get();
    }

    public int lastExitCode() {
        return lastExitCode;
    }

    /** Reports a failure found outside a command (a line naming no command), as a command's own. */
    public void failed(Exception e) {
        resolve(e);
    }
}
