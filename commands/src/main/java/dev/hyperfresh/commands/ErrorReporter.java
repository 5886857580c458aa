package dev.hyperfresh.commands;

import dev.hyperfresh.engine.EngineException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.concurrent.atomic.AtomicLong;
import org.springframework.beans.factory.annotation.Value;
import org.springframework.core.Ordered;
import org.springframework.core.annotation.Order;
import org.springframework.shell.command.CommandExecution.CommandParserExceptionsException;
import org.springframework.shell.command.CommandExceptionResolver;
import org.springframework.shell.command.CommandHandlingResult;
import org.springframework.shell.command.CommandParser.CommandParserException;
import org.springframework.stereotype.Component;

/**
 * Turns every command failure into one sentence on the error stream and an exit code (ExitCodes); the stack
 * trace only with {@code --debug}. Counts failures so a script knows when to stop.
 */
@Component
@Order(Ordered.HIGHEST_PRECEDENCE)
public class ErrorReporter implements CommandExceptionResolver {
    private final Renderer renderer;
    private final boolean debug;
    private final AtomicLong failures = new AtomicLong();
    private volatile int lastExitCode = ExitCodes.SUCCESS;

    public ErrorReporter(Renderer renderer, @Value("${hyperfresh.debug:false}") boolean debug) {
        this.renderer = renderer;
        this.debug = debug;
    }

    @Override
    public CommandHandlingResult resolve(Exception e) {
        int code;
        String message;
        if (e instanceof EngineException ee) {
            code = ExitCodes.of(ee.kind());
            message = ee.getMessage();
        } else if (e instanceof CommandParserExceptionsException parse) {
            code = ExitCodes.USAGE;
            message = String.join("; ", parse.getParserExceptions().stream()
                    .map(CommandParserException::getMessage).toList());
        } else if (e instanceof IllegalArgumentException) {
            code = ExitCodes.USAGE;
            message = e.getMessage();
        } else {
            code = ExitCodes.FAILURE;
            message = e.getMessage() != null ? e.getMessage() : e.getClass().getSimpleName();
        }
        renderer.endProgress();
        if (e instanceof OutputAndFailure withOutput) {
            renderer.line(withOutput.output());
        }
        renderer.error("hyperfresh: " + message);
        if (debug) {
            StringWriter trace = new StringWriter();
            e.printStackTrace(new PrintWriter(trace));
            renderer.error(trace.toString());
        }
        lastExitCode = code;
        failures.incrementAndGet();
        return CommandHandlingResult.of(null, code);
    }

    public long failures() {
        return failures.get();
    }

    public int lastExitCode() {
        return lastExitCode;
    }

    /** Records a failure found outside a command (a script line naming no command). */
    public void failed(int code, String message) {
        renderer.error("hyperfresh: " + message);
        lastExitCode = code;
        failures.incrementAndGet();
    }
}
