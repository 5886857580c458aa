package dev.hyperfresh.sys;

import com.kenai.jffi.MemoryIO;
import java.nio.ByteBuffer;
import jnr.ffi.Memory;
import jnr.ffi.Pointer;

/** Result checking and small helpers shared by the typed wrappers. */
public final class Sys {
    public static final LibC C = LibC.INSTANCE;

    public static final int EINTR = 4;
    public static final int EAGAIN = 11;
    public static final int EINVAL = 22;

    private Sys() {
    }

    public static int errno() {
        return LibC.RUNTIME.getLastError();
    }

    /** Throws {@link SysException} naming {@code call} when {@code result} is negative; returns it otherwise. */
    public static int check(int result, String call) {
        if (result < 0) {
            throw new SysException(call, errno());
        }
        return result;
    }

    public static long check(long result, String call) {
        if (result < 0) {
            throw new SysException(call, errno());
        }
        return result;
    }

    /** Native memory that lives until garbage-collected; reuse it on hot paths instead of allocating per call. */
    public static Pointer allocate(int size) {
        return Memory.allocateDirect(LibC.RUNTIME, size, true);
    }

    public static Pointer pointer(long address, long size) {
        return LibC.RUNTIME.getMemoryManager().newPointer(address, size);
    }

    /** The memory of a direct buffer from its first byte (whatever its position), e.g. a mapping to pass to ioctls. */
    public static Pointer pointer(ByteBuffer direct) {
        if (!direct.isDirect()) {
            throw new IllegalArgumentException("a heap buffer has no native address");
        }
        return pointer(MemoryIO.getInstance().getDirectBufferAddress(direct), direct.capacity());
    }
}
