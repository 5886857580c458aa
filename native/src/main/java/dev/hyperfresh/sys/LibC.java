package dev.hyperfresh.sys;

import jnr.ffi.LibraryLoader;
import jnr.ffi.Pointer;
import jnr.ffi.Runtime;
import jnr.ffi.annotations.In;
import jnr.ffi.annotations.Out;
import jnr.ffi.annotations.SaveError;

/**
 * The glibc functions HyperFresh calls, bound once with JNR-FFI. Callers go through the typed wrappers in this
 * package (and {@code dev.hyperfresh.kvm}); they check results with {@link Sys#check} so every failure names its call.
 */
public interface LibC {
    LibC INSTANCE = LibraryLoader.create(LibC.class).load("c");
    Runtime RUNTIME = Runtime.getRuntime(INSTANCE);

    @SaveError int open(CharSequence path, int flags);
    @SaveError int close(int fd);
    @SaveError int open(CharSequence path, int flags, int mode);
    @SaveError int flock(int fd, int operation);
    @SaveError int ioctl(int fd, long request, Pointer arg);
    @SaveError int ioctl(int fd, long request, long arg);
    @SaveError long read(int fd, Pointer buf, long count);
    @SaveError long write(int fd, Pointer buf, long count);

    /** An eventfd's 8-byte counter, passed without allocating native memory (jffi copies the array on its stack). */
    @SaveError long write(int fd, @In long[] counter, long count);

    @SaveError long read(int fd, @Out long[] counter, long count);
    @SaveError int fcntl(int fd, int cmd, int arg);

    /** Declared with a Pointer hint: jnr-ffi's generated invoker passes garbage as the sixth of six
     * primitive arguments (jnr/jnr-ffi#181); keep every binding below six primitives or give it a Pointer. */
    @SaveError Pointer mmap(Pointer addr, long length, int prot, int flags, int fd, long offset);
    @SaveError int munmap(long addr, long length);
    @SaveError int madvise(long addr, long length, int advice);
    @SaveError int memfd_create(CharSequence name, int flags);
    @SaveError int ftruncate(int fd, long length);
    @SaveError int fallocate(int fd, int mode, long offset, long len);
    @SaveError int fstat(int fd, @Out Pointer statbuf);
    @SaveError long lseek(int fd, long offset, int whence);
    @SaveError long pread(int fd, Pointer buf, long count, long offset);
    @SaveError long pwrite(int fd, Pointer buf, long count, long offset);
    @SaveError long readv(int fd, Pointer iov, int iovcnt);
    @SaveError long writev(int fd, Pointer iov, int iovcnt);
    @SaveError int fdatasync(int fd);

    @SaveError int socket(int domain, int type, int protocol);
    @SaveError int socketpair(int domain, int type, int protocol, @Out int[] sv);
    @SaveError int bind(int fd, @In Pointer addr, int addrlen);
    @SaveError int listen(int fd, int backlog);
    @SaveError int accept4(int fd, Pointer addr, Pointer addrlen, int flags);
    @SaveError int connect(int fd, @In Pointer addr, int addrlen);
    @SaveError long sendmsg(int fd, @In Pointer msg, int flags);
    @SaveError long recvmsg(int fd, Pointer msg, int flags);
    @SaveError int getsockopt(int fd, int level, int optname, @Out Pointer optval, Pointer optlen);
    @SaveError int setsockopt(int fd, int level, int optname, @In Pointer optval, int optlen);
    @SaveError int shutdown(int fd, int how);
    @SaveError int fchmod(int fd, int mode);

    @SaveError int pidfd_open(int pid, int flags);
    @SaveError int pidfd_getfd(int pidfd, int targetfd, int flags);
    @SaveError int pidfd_send_signal(int pidfd, int sig, Pointer info, int flags);
    @SaveError int eventfd(int initval, int flags);

    /** posix_spawn(3) and its attributes: these return the error number itself, not -1 + errno. */
    int posix_spawn_file_actions_init(Pointer actions);
    int posix_spawn_file_actions_destroy(Pointer actions);
    int posix_spawn_file_actions_adddup2(Pointer actions, int fd, int newfd);
    int posix_spawn_file_actions_addopen(Pointer actions, int fd, CharSequence path, int oflag, int mode);
    int posix_spawn_file_actions_addchdir_np(Pointer actions, CharSequence path);
    int posix_spawn_file_actions_addclosefrom_np(Pointer actions, int from);
    int posix_spawnattr_init(Pointer attr);
    int posix_spawnattr_destroy(Pointer attr);
    int posix_spawnattr_setflags(Pointer attr, short flags);
    int posix_spawnattr_setsigmask(Pointer attr, @In Pointer sigmask);
    int posix_spawnp(@Out int[] pid, CharSequence file, Pointer actions, Pointer attr, @In Pointer argv,
                     @In Pointer envp);
    int sigemptyset(Pointer set);
    @SaveError int waitpid(int pid, @Out int[] status, int options);
    @SaveError int getpid();
    @SaveError int getsid(int pid);
    void _exit(int status);
    int geteuid();
    int getegid();
    @SaveError int gettid();
    @SaveError int sched_setscheduler(int pid, int policy, @In int[] param);
    @SaveError int sched_getscheduler(int pid);
    @SaveError int sched_getparam(int pid, @Out int[] param);
    @SaveError int setpriority(int which, int who, int prio);
    @SaveError int sched_setaffinity(int pid, long cpusetsize, @In long[] mask);
    @SaveError int sched_getaffinity(int pid, long cpusetsize, @Out long[] mask);
    @SaveError int tgkill(int tgid, int tid, int sig);
    @SaveError int kill(int pid, int sig);
    @SaveError int poll(Pointer fds, long nfds, int timeout);

    /** Returns the error number itself (pthread style), not -1 + errno. */
    int pthread_sigmask(int how, @In Pointer set, @Out Pointer oldset);
    /** Returns the previous handler; SIG_ERR (-1) on failure. */
    @SaveError long signal(int signum, long handler);
    @SaveError int sigtimedwait(@In Pointer set, Pointer info, @In Pointer timeout);
    int __libc_current_sigrtmin();

    @SaveError int clock_gettime(int clockId, @Out Pointer timespec);

    /** syscall(2) for futex(2), which glibc does not wrap: its first five arguments (FUTEX_WAIT and WAKE need no more). */
    @SaveError long syscall(long number, Pointer uaddr, int op, int val, Pointer timeout);
    /** syscall(2) for sched_setattr(2) and sched_getattr(2), which glibc before 2.41 does not wrap. */
    @SaveError long syscall(long number, int pid, Pointer attr, int sizeOrFlags, int flags);
    String strerror(int errnum);
}
