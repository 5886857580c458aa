package dev.hyperfresh.shell;

import dev.hyperfresh.commands.Renderer;
import dev.hyperfresh.progress.Progress;
import dev.hyperfresh.progress.ProgressListener;
import java.io.PrintStream;
import java.util.Locale;
import org.jline.terminal.Terminal;
import org.springframework.stereotype.Component;

/**
 * Progress as one status line rewritten in place on a real terminal; on anything else (a pipe, a file) as plain
 * lines on the error stream, one per phase and at most one a second, so results on stdout stay clean.
 */
@Component
public class TerminalRenderer implements Renderer {
    private static final int BAR = 24;
    private static final long PLAIN_EVERY_US = 1_000_000;

    private final Terminal terminal;
    private final PrintStream err = System.err;
    private final boolean inPlace;
    private volatile boolean statusShown;
    private String lastPhase;
    private long lastPlainUs;

    public TerminalRenderer(Terminal terminal) {
        this.terminal = terminal;
        this.inPlace = !terminal.getType().startsWith(Terminal.TYPE_DUMB);
    }

    @Override
    public ProgressListener progress() {
        return this::show;
    }

    private synchronized void show(Progress p) {
        if (inPlace) {
            terminal.writer().print("\r\u001b[K" + status(p));
            terminal.writer().flush();
            statusShown = true;
        } else if (!p.phase().equals(lastPhase) || p.elapsedUs() - lastPlainUs >= PLAIN_EVERY_US || p.percent() == 100) {
            err.println(status(p));
            lastPhase = p.phase();
            lastPlainUs = p.elapsedUs();
        }
    }

    static String status(Progress p) {
        StringBuilder s = new StringBuilder(String.format(Locale.ROOT, "%-9s", p.phase()));
        if (p.percent() >= 0) {
            int filled = p.percent() * BAR / 100;
            s.append(" [").append("#".repeat(filled)).append(".".repeat(BAR - filled)).append("] ")
                    .append(String.format(Locale.ROOT, "%3d%%", p.percent()));
        } else {
            s.append(" [").append(" ".repeat(BAR)).append("]  ...");
        }
        if (p.bytes() > 0) {
            s.append(String.format(Locale.ROOT, "  %,d bytes", p.bytes()));
        }
        return s.append(String.format(Locale.ROOT, "  %.1f s", p.elapsedUs() / 1e6)).toString();
    }

    @Override
    public synchronized void endProgress() {
        if (statusShown) {
            terminal.writer().println();
            terminal.writer().flush();
            statusShown = false;
        }
        lastPhase = null;
        lastPlainUs = 0;
    }

    @Override
    public void line(String text) {
        terminal.writer().println(text);
        terminal.writer().flush();
    }

    @Override
    public void error(String text) {
        terminal.writer().flush();
        err.println(text);
        err.flush();
    }
}
