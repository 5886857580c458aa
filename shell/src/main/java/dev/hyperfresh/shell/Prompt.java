package dev.hyperfresh.shell;

import dev.hyperfresh.commands.Session;
import org.jline.utils.AttributedString;
import org.jline.utils.AttributedStyle;
import org.springframework.shell.jline.PromptProvider;
import org.springframework.stereotype.Component;

/** {@code hyperfresh:demo>} when attached to demo, {@code hyperfresh>} otherwise. */
@Component
public class Prompt implements PromptProvider {
    private final Session session;

    public Prompt(Session session) {
        this.session = session;
    }

    @Override
    public AttributedString getPrompt() {
        String attached = session.attached();
        return new AttributedString(attached == null ? "hyperfresh> " : "hyperfresh:" + attached + "> ",
                AttributedStyle.DEFAULT.foreground(AttributedStyle.CYAN).bold());
    }
}
