package dev.hyperfresh.commands;

import dev.hyperfresh.qemu.Accelerator;
import java.util.Arrays;
import java.util.List;
import org.springframework.shell.CompletionContext;
import org.springframework.shell.CompletionProposal;
import org.springframework.shell.standard.ValueProvider;
import org.springframework.stereotype.Component;

/** Tab completion of {@code replace --accel}: the accelerators a QEMU replacement knows, in QEMU's words. */
@Component
public class AcceleratorNames implements ValueProvider {
    /** What the REPL offers, and the generated completion scripts too (CommandModel). */
    public static final List<String> WORDS = Arrays.stream(Accelerator.values()).map(Accelerator::qemuName).toList();

    @Override
    public List<CompletionProposal> complete(CompletionContext context) {
        return WORDS.stream().map(CompletionProposal::new).toList();
    }
}
