package dev.hyperfresh.commands;

import dev.hyperfresh.engine.Engine;
import java.util.List;
import org.springframework.shell.CompletionContext;
import org.springframework.shell.CompletionProposal;
import org.springframework.shell.standard.ValueProvider;
import org.springframework.stereotype.Component;

/** Tab completion of instance names: the answering instances of the socket directory. */
@Component
public class InstanceNames implements ValueProvider {
    private final Engine engine;

    public InstanceNames(Engine engine) {
        this.engine = engine;
    }

    @Override
    public List<CompletionProposal> complete(CompletionContext context) {
        return engine.list().stream().filter(i -> !i.isStale())
                .map(i -> new CompletionProposal(i.name()).description(i.role() + ", " + i.info().vms().size()
                        + " VM(s)"))
                .toList();
    }

}
