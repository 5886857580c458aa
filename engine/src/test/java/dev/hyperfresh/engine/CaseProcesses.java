package dev.hyperfresh.engine;

import dev.hyperfresh.sys.ProcStat;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

/**
 * What /proc says about the processes of one test case, found by its directory on their command line (hfvisor's
 * {@code --socket-dir}, the console's first argument, a wrapper's path): whether they live, are stopped, and which
 * of them map a guest's RAM (its memfd's name in their maps).
 */
final class CaseProcesses {
    private CaseProcesses() {
    }

    record Proc(long pid, String cmdline, char state) {
        boolean hfvisor() {
            return cmdline.contains("HfvisorMain") || cmdline.contains("hyperfresh-vmm");
        }

        boolean stopped() {
            return state == 'T' || state == 't';
        }
    }

    /** Every live process (zombies excluded) whose command line mentions {@code marker}. */
    static List<Proc> of(String marker) {
        List<Proc> out = new ArrayList<>();
        for (Path p : pids()) {
            String cmdline = read(p.resolve("cmdline")).replace('\0', ' ');
            if (!cmdline.contains(marker)) {
                continue;
            }
            char state = state(p);
            if (state != 'Z' && state != 'X' && state != '?') {
                out.add(new Proc(Long.parseLong(p.getFileName().toString()), cmdline, state));
            }
        }
        return out;
    }

    /** Every live process in process group {@code pgid}. */
    static List<Long> inGroup(long pgid) {
        List<Long> out = new ArrayList<>();
        for (Path p : pids()) {
            long pid = Long.parseLong(p.getFileName().toString());
            if (ProcStat.ofProcess(pid).filter(s -> !s.zombie() && s.processGroup() == pgid).isPresent()) {
                out.add(pid);
            }
        }
        return out;
    }

    /** The pids of every process (that we may read) mapping the memfd hfvisor named for {@code vm}. */
    static List<Long> mapping(String vm) {
        String needle = "/memfd:hfvisor-" + vm + " ";
        List<Long> out = new ArrayList<>();
        for (Path p : pids()) {
            String maps = read(p.resolve("maps"));
            if (maps.contains(needle)) {
                out.add(Long.parseLong(p.getFileName().toString()));
            }
        }
        return out;
    }

    private static char state(Path pid) {
        return ProcStat.ofProcess(Long.parseLong(pid.getFileName().toString())).map(ProcStat::state).orElse('?');
    }

    private static List<Path> pids() {
        try (Stream<Path> s = Files.list(Path.of("/proc"))) {
            return s.filter(p -> p.getFileName().toString().chars().allMatch(Character::isDigit)).toList();
        } catch (IOException e) {
            throw new IllegalStateException("cannot list /proc", e);
        }
    }

    private static String read(Path file) {
        try {
            return new String(Files.readAllBytes(file), StandardCharsets.UTF_8);
        } catch (IOException | SecurityException gone) {
            return "";   // exited meanwhile, or not ours to read
        }
    }
}
