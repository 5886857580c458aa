package dev.hyperfresh.sys;

import java.lang.ref.Reference;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import jnr.ffi.Pointer;

/**
 * Starts a program that outlives this process, as hypervisors are started: in a session of its own (setsid: a
 * Ctrl-C meant for our terminal never reaches it, and its pid leads its process group), stdin from /dev/null,
 * stdout and stderr appended to a log, no signal blocked, and given exactly the descriptors we pass it, at 3, 4, ...
 * in order and nothing else of ours. {@link ProcessBuilder} cannot pass a descriptor (it closes all but 0-2), which
 * is why this is posix_spawn(3) itself.
 */
public final class Spawn {
    private static final short POSIX_SPAWN_SETSIGMASK = 0x08;
    private static final short POSIX_SPAWN_SETSID = 0x80;
    private static final int O_WRONLY = 1;
    private static final int O_CREAT = 0100;
    private static final int O_APPEND = 02000;
    /** glibc's posix_spawn_file_actions_t is 80 bytes and posix_spawnattr_t 336 on x86-64; room to spare. */
    private static final int OPAQUE_BYTES = 512;
    /** The first descriptor a passed file gets in the child. */
    public static final int FIRST_PASSED_FD = 3;

    private Spawn() {
    }

    /**
     * @param argv      the program (looked up on PATH when it has no slash) and its arguments
     * @param extraEnv  set in the child on top of our environment, less a service manager's notification socket:
     *                  a process living on its own is not this one's to report to this one's service manager
     * @param directory the child's working directory, else ours
     * @param passed    descriptors the child gets at {@link #FIRST_PASSED_FD} and on, in this order
     */
    public static Process detached(List<String> argv, Map<String, String> extraEnv, Optional<Path> directory,
                                   Path log, List<Fd> passed) {
        Map<String, String> env = new TreeMap<>(System.getenv());
        env.remove(ServiceManager.NOTIFY_SOCKET);
        env.putAll(extraEnv);
        List<Pointer> keep = new ArrayList<>();
        Pointer argvPtr = strings(argv, keep);
        Pointer envPtr = strings(env.entrySet().stream().map(e -> e.getKey() + "=" + e.getValue()).toList(), keep);
        Pointer actions = Sys.allocate(OPAQUE_BYTES);
        Pointer attr = Sys.allocate(OPAQUE_BYTES);
        Pointer noSignals = Sys.allocate(ThreadSignals.SIGSET_BYTES);
        String what = "posix_spawn(" + argv.get(0) + ")";
        check(Sys.C.posix_spawn_file_actions_init(actions), what);
        try {
            check(Sys.C.posix_spawnattr_init(attr), what);
            try {
                int highest = FIRST_PASSED_FD + passed.size();
                for (Fd fd : passed) {
                    highest = Math.max(highest, fd.get() + 1);
                }
                // through numbers above every source first, so that no move overwrites a file still to be moved
                for (int i = 0; i < passed.size(); i++) {
                    check(Sys.C.posix_spawn_file_actions_adddup2(actions, passed.get(i).get(), highest + i), what);
                }
                check(Sys.C.posix_spawn_file_actions_addopen(actions, 0, "/dev/null", 0, 0), what);
                check(Sys.C.posix_spawn_file_actions_addopen(actions, 1, log.toAbsolutePath().toString(),
                        O_WRONLY | O_CREAT | O_APPEND, 0644), what);
                check(Sys.C.posix_spawn_file_actions_adddup2(actions, 1, 2), what);
                for (int i = 0; i < passed.size(); i++) {
                    check(Sys.C.posix_spawn_file_actions_adddup2(actions, highest + i, FIRST_PASSED_FD + i), what);
                }
                check(Sys.C.posix_spawn_file_actions_addclosefrom_np(actions, FIRST_PASSED_FD + passed.size()), what);
                if (directory.isPresent()) {
                    check(Sys.C.posix_spawn_file_actions_addchdir_np(actions, directory.get().toString()), what);
                }
                check(Sys.C.sigemptyset(noSignals), what);
                check(Sys.C.posix_spawnattr_setsigmask(attr, noSignals), what);
                check(Sys.C.posix_spawnattr_setflags(attr, (short) (POSIX_SPAWN_SETSID | POSIX_SPAWN_SETSIGMASK)),
                        what);
                int[] pid = new int[1];
                int error = Sys.C.posix_spawnp(pid, argv.get(0), actions, attr, argvPtr, envPtr);
                if (error != 0) {
                    throw new SysException(what, error, directory.map(d -> "in " + d).orElse(null));
                }
                return new SpawnedProcess(pid[0]);
            } finally {
                Sys.C.posix_spawnattr_destroy(attr);
            }
        } finally {
            Sys.C.posix_spawn_file_actions_destroy(actions);
            Reference.reachabilityFence(keep);
        }
    }

    /** A NULL-terminated array of C strings; the strings' memory is added to {@code keep}. */
    private static Pointer strings(List<String> values, List<Pointer> keep) {
        Pointer array = Sys.allocate((values.size() + 1) * Long.BYTES);
        for (int i = 0; i < values.size(); i++) {
            byte[] bytes = values.get(i).getBytes(StandardCharsets.UTF_8);
            Pointer s = Sys.allocate(bytes.length + 1);
            s.put(0, bytes, 0, bytes.length);
            s.putByte(bytes.length, (byte) 0);
            keep.add(s);
            array.putPointer((long) i * Long.BYTES, s);
        }
        array.putAddress((long) values.size() * Long.BYTES, 0L);
        keep.add(array);
        return array;
    }

    private static void check(int error, String what) {
        if (error != 0) {
            throw new SysException(what, error);
        }
    }
}
