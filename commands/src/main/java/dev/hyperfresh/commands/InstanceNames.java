package dev.hyperfresh.commands;

import dev.hyperfresh.engine.Engine;
import dev.hyperfresh.engine.QemuEngine;
import java.util.List;
import java.util.stream.Stream;
import org.springframework.shell.CompletionContext;
import org.springframework.shell.CompletionProposal;
import org.springframework.shell.standard.ValueProvider;
import org.springframework.stereotype.Component;

/** Tab completion of instance names: the answering hfvisor instances and QEMUs of the socket directory. */
@Component
public class InstanceNames implements ValueProvider {
    private final Engine engine;
    private final QemuEngine qemu;

    public InstanceNames(Engine engine, QemuEngine qemu) {
        this.engine = engine;
        this.qemu = qemu;
    }

    @Override
    public List<CompletionProposal> complete(CompletionContext context) {
        return Stream.concat(engine.list().stream().filter(i -> !i.isStale())
                .map(i -> new CompletionProposal(i.name()).description(i.role() + ", " + i.info().vms().size()
                        + " VM(s)")),
                qemu.list().stream().filter(q -> !q.isStale())
                        .map(q -> new CompletionProposal(q.name()).description("QEMU, " + QemuViews.vmSummary(q))))
                .toList();
    }

}
