package dev.hyperfresh.commands;

import dev.hyperfresh.progress.ProgressListener;

/**
 * What commands need from the console beyond returning their result: a live progress display, streamed lines
 * (console, demo narration) and error sentences. The shell implements it for its terminal.
 */
public interface Renderer {
    /** A progress display for one long step: in place on a terminal, plain lines otherwise. */
    ProgressListener progress();

    /** Ends the progress display so the next output starts on a fresh line. */
    void endProgress();

    /** One line of output, written at once (for streams that run while the command does). */
    void line(String text);

    /** One error sentence, to the error stream. */
    void error(String text);
}
