package dev.hyperfresh.commands;

import dev.hyperfresh.engine.Engine;
import java.util.List;
import org.springframework.shell.CompletionContext;
import org.springframework.shell.CompletionProposal;
import org.springframework.shell.standard.ValueProvider;
import org.springframework.stereotype.Component;

/** Tab completion of VM names: those of the attached instance, or of every answering instance. */
@Component
public class VmNames implements ValueProvider {
    private final Engine engine;
    private final Session session;

    public VmNames(Engine engine, Session session) {
        this.engine = engine;
        this.session = session;
    }

    @Override
    public List<CompletionProposal> complete(CompletionContext context) {
        return engine.list().stream().filter(i -> !i.isStale())
                .filter(i -> session.attached() == null || i.name().equals(session.attached()))
                .flatMap(i -> i.info().vms().stream().map(vm -> new CompletionProposal(vm.name())
                        .description(i.name() + ", " + vm.vcpus() + " vCPU, " + Units.bytes(vm.memoryBytes()))))
                .toList();
    }
}
