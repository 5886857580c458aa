package dev.hyperfresh.commands;

import dev.hyperfresh.progress.ProgressListener;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.jline.terminal.Terminal;
import org.springframework.stereotype.Component;

/** The tests' renderer: lines and errors on the (emulated) terminal, progress phases recorded. */
@Component
public class ScreenRenderer implements Renderer {
    private final Terminal terminal;
    final List<String> phases = new CopyOnWriteArrayList<>();

    public ScreenRenderer(Terminal terminal) {
        this.terminal = terminal;
    }

    @Override
    public ProgressListener progress() {
        return p -> phases.add(p.phase());
    }

    @Override
    public void endProgress() {
    }

    @Override
    public void line(String text) {
        terminal.writer().println(text);
        terminal.writer().flush();
    }

    @Override
    public void error(String text) {
        line(text);
    }
}
