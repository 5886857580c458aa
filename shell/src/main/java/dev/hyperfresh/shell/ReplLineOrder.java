package dev.hyperfresh.shell;

import dev.hyperfresh.commands.PositionalWords;
import java.util.List;
import org.jline.reader.ParsedLine;
import org.jline.reader.Parser;
import org.jline.reader.SyntaxError;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.beans.factory.config.BeanPostProcessor;
import org.springframework.stereotype.Component;

/**
 * The REPL's line parser, a line typed and entered read as one-shot and script lines are
 * ({@link PositionalWords}): {@code console --seconds 1 web} follows web, not the attached instance. Lines being
 * completed are left as typed, so completion sees the words where the cursor is.
 */
@Component
class ReplLineOrder implements BeanPostProcessor {
    private final ObjectProvider<PositionalWords> positional;

    ReplLineOrder(ObjectProvider<PositionalWords> positional) {
        this.positional = positional;
    }

    @Override
    public Object postProcessAfterInitialization(Object bean, String name) {
        if (!(bean instanceof Parser parser)) {
            return bean;
        }
        return new Ordered(parser);
    }

    /** Spring Shell's parser, with what it made of an entered line reordered. */
    private final class Ordered implements Parser {
        private final Parser parser;

        Ordered(Parser parser) {
            this.parser = parser;
        }

        @Override
        public ParsedLine parse(String line, int cursor, ParseContext context) throws SyntaxError {
            ParsedLine parsed = parser.parse(line, cursor, context);
            return context == ParseContext.ACCEPT_LINE
                    ? new Entered(parsed, positional.getObject().first(parsed.words())) : parsed;
        }

        @Override
        public boolean isEscapeChar(char ch) {
            return parser.isEscapeChar(ch);
        }

        @Override
        public boolean validCommandName(String name) {
            return parser.validCommandName(name);
        }

        @Override
        public boolean validVariableName(String name) {
            return parser.validVariableName(name);
        }

        @Override
        public String getCommand(String line) {
            return parser.getCommand(line);
        }

        @Override
        public String getVariable(String line) {
            return parser.getVariable(line);
        }
    }

    /** An entered line, its words in the order the shell binds. */
    private record Entered(ParsedLine typed, List<String> words) implements ParsedLine {
        @Override
        public String word() {
            return typed.word();
        }

        @Override
        public int wordCursor() {
            return typed.wordCursor();
        }

        @Override
        public int wordIndex() {
            return typed.wordIndex();
        }

        @Override
        public String line() {
            return typed.line();
        }

        @Override
        public int cursor() {
            return typed.cursor();
        }
    }
}
