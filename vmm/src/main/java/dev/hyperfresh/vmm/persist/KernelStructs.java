package dev.hyperfresh.vmm.persist;

/** Size checks for kernel ABI blobs and counted arrays, so a wrong size fails here and never reaches an ioctl. */
final class KernelStructs {
    private KernelStructs() {
    }

    static byte[] exact(StateInput in, String what, int size) {
        byte[] b = in.blob(what);
        if (b.length != size) {
            throw new StateFormatException(what + " is " + b.length + " bytes; the kernel struct is " + size);
        }
        return b;
    }

    static byte[] atLeast(StateInput in, String what, int minSize) {
        byte[] b = in.blob(what);
        if (b.length < minSize) {
            throw new StateFormatException(what + " is " + b.length + " bytes; the kernel struct needs at least "
                    + minSize);
        }
        return b;
    }

    /** A u32 element count, checked against the bytes left so a corrupt count cannot cause a huge allocation. */
    static int count(StateInput in, String what, int elementBytes) {
        long count = in.u32(what) & 0xffffffffL;
        if (count * elementBytes > in.remaining()) {
            throw new StateFormatException("saved state is truncated: " + count + " " + what + " need "
                    + count * elementBytes + " bytes at offset " + in.position() + ", only " + in.remaining()
                    + " remain");
        }
        return (int) count;
    }
}
