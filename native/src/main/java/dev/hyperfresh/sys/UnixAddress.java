package dev.hyperfresh.sys;

import java.nio.charset.Charset;
import java.nio.file.Path;
import jnr.ffi.Pointer;

/**
 * A filesystem path, or a name in the abstract namespace, as a {@code struct sockaddr_un} (x86-64 Linux:
 * sa_family_t @0, char sun_path[108] @2).
 */
final class UnixAddress {
    static final int AF_UNIX = 1;
    private static final int SUN_PATH_OFFSET = 2;
    private static final int SUN_PATH_BYTES = 108;
    /** Encode the path the way the JDK's own file APIs do, so the socket lands on the file Java code sees. */
    private static final Charset PATH_ENCODING = Charset.forName(System.getProperty("native.encoding", "UTF-8"));

    private final Pointer sockaddr;
    private final int length;

    private UnixAddress(Pointer sockaddr, int length) {
        this.sockaddr = sockaddr;
        this.length = length;
    }

    /** @throws IllegalArgumentException when the path does not fit sun_path with its terminating NUL */
    static UnixAddress of(Path path) {
        return encoded(path.toString().getBytes(PATH_ENCODING), 0, "unix socket path", path.toString());
    }

    /**
     * An address as programs pass one another in the environment: a path, or {@code @NAME} for an abstract socket
     * (sun_path starts with a NUL; the name is not NUL-terminated, its length is the address's).
     */
    static UnixAddress of(String address) {
        return address.startsWith("@")
                ? encoded(address.substring(1).getBytes(PATH_ENCODING), 1, "abstract unix socket name", address)
                : of(Path.of(address));
    }

    /**
     * {@code bytes} at {@code sun_path[at]}: a path at 0, its terminating NUL after it, an abstract name at 1, after
     * its leading NUL; either way the address is one byte longer than the bytes.
     */
    private static UnixAddress encoded(byte[] bytes, int at, String what, String shown) {
        if (bytes.length + 1 > SUN_PATH_BYTES) {
            throw new IllegalArgumentException(what + " is " + bytes.length + " bytes, the kernel allows "
                    + (SUN_PATH_BYTES - 1) + ": " + shown);
        }
        // Zeroed memory, so the NUL before or after the bytes is already there.
        Pointer sockaddr = Sys.allocate(SUN_PATH_OFFSET + SUN_PATH_BYTES);
        sockaddr.putShort(0, (short) AF_UNIX);
        sockaddr.put(SUN_PATH_OFFSET + at, bytes, 0, bytes.length);
        return new UnixAddress(sockaddr, SUN_PATH_OFFSET + 1 + bytes.length);
    }

    Pointer pointer() {
        return sockaddr;
    }

    int length() {
        return length;
    }
}
