package dev.hyperfresh.sys;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * The fields of a process's or thread's {@code stat} file (proc(5)) that HyperFresh reads. The command name in
 * parentheses may itself hold spaces and parentheses, so fields are counted from the last ')'.
 */
public record ProcStat(char state, long processGroup, int nice, int processor) {
    /** Indexes after the command: state is field 3 of proc(5), the process group 5, nice 19, processor 39. */
    private static final int STATE = 0;
    private static final int PGRP = 2;
    private static final int NICE = 16;
    private static final int PROCESSOR = 36;

    /** Thread {@code tid} of this process, or empty when it has gone. */
    public static Optional<ProcStat> ofThread(int tid) {
        return of(Path.of("/proc/self/task/" + tid + "/stat"));
    }

    /** Process {@code pid}, or empty when it has gone. */
    public static Optional<ProcStat> ofProcess(long pid) {
        return of(Path.of("/proc/" + pid + "/stat"));
    }

    /** This process's threads now (some may end before the caller looks at them). */
    public static List<Integer> threadsOfThisProcess() {
        return threads(Path.of("/proc/self/task"));
    }

    /** Process {@code pid}'s threads now; none when it has gone. */
    public static List<Integer> threadsOf(long pid) {
        return threads(Path.of("/proc/" + pid + "/task"));
    }

    private static List<Integer> threads(Path taskDirectory) {
        List<Integer> tids = new ArrayList<>();
        try (DirectoryStream<Path> tasks = Files.newDirectoryStream(taskDirectory)) {
            for (Path task : tasks) {
                tids.add(Integer.parseInt(task.getFileName().toString()));
            }
        } catch (IOException unreadable) {
            return List.of();
        }
        return tids;
    }

    private static Optional<ProcStat> of(Path stat) {
        try {
            return Optional.of(parse(Files.readString(stat)));
        } catch (IOException | RuntimeException goneOrGoing) {
            return Optional.empty();   // gone, or read while it went (an empty or cut file)
        }
    }

    static ProcStat parse(String text) {
        String[] f = text.substring(text.lastIndexOf(')') + 2).trim().split(" ");
        return new ProcStat(f[STATE].charAt(0), Long.parseLong(f[PGRP]), Integer.parseInt(f[NICE]),
                Integer.parseInt(f[PROCESSOR]));
    }

    public boolean zombie() {
        return state == 'Z';
    }

    /**
     * One process's state letter, read again and again through one open file without allocating: cheap enough for a
     * watch loop in an interpreted JVM, where {@link #ofProcess} (a string per field) costs about a millisecond.
     */
    public static final class StateReader implements AutoCloseable {
        private final FileChannel file;
        private final ByteBuffer buffer = ByteBuffer.allocate(1024);

        private StateReader(FileChannel file) {
            this.file = file;
        }

        /** A reader for process {@code pid}, or empty when it has gone. */
        public static Optional<StateReader> of(long pid) {
            try {
                return Optional.of(new StateReader(FileChannel.open(Path.of("/proc/" + pid + "/stat"))));
            } catch (IOException gone) {
                return Optional.empty();
            }
        }

        /** The state letter of proc(5) (R, S, T, t, Z, ...), or 0 once the process has gone. */
        public char state() {
            buffer.clear();
            int n;
            try {
                n = file.read(buffer, 0);
            } catch (IOException gone) {
                return 0;
            }
            for (int i = n - 3; i >= 0; i--) {
                if (buffer.get(i) == ')') {
                    return (char) buffer.get(i + 2);
                }
            }
            return 0;
        }

        @Override
        public void close() {
            try {
                file.close();
            } catch (IOException ignored) {
                // a read-only /proc file: nothing was written that could be lost
            }
        }
    }
}
