package dev.hyperfresh.qemu.replace;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;

/**
 * Where a QEMU precopy migration stream ends: QEMU's end-of-state marker ({@code QEMU_VM_EOF}, 0x00) and the VM
 * description after it ({@code QEMU_VM_VMDESCRIPTION}, 0x06, a be32 length, JSON). {@link StreamHold} looks at every
 * byte of the stream with {@link #possibleEnd} on its way to the new QEMU, the device state after the guest stopped
 * included, so the scan must be compiled, and stay compiled, before the stream comes: {@link #warmUp}.
 *
 * <p>The marker is recognised by what follows it: {@code 0x00 0x06}, a length of at most {@link #MAX_DESCRIPTION},
 * then {@code {"}; and a candidate is let go once more than its length follows it (it was guest RAM or device state
 * that looked alike). A marker with nothing after it (machines that send no description) is held as the last byte.
 */
final class StreamEnd {
    private static final byte EOF_MARKER = 0x00;
    private static final byte DESCRIPTION = 0x06;
    /** Far more than any VM's description (tens of KiB): longer candidates are not the end. */
    private static final int MAX_DESCRIPTION = 16 << 20;
    private static final long ONES = 0x0101010101010101L;
    private static final long HIGHS = 0x8080808080808080L;
    private static final long SIXES = DESCRIPTION * ONES;
    /**
     * Eight bytes at a time, in whatever order (a 0x06 among them is one either way): in a console JVM that compiles
     * with C1 only, this reads 200 KiB in ~75 µs where {@code ByteBuffer.getLong} took ~185 µs (C2: ~30 µs both).
     */
    private static final VarHandle EIGHT_BYTES = MethodHandles.byteBufferViewVarHandle(long[].class,
            ByteOrder.LITTLE_ENDIAN);
    private static final int WARM_UP_BYTES = 64 << 10;
    private static final int WARM_UP_ROUNDS = 100;
    /** How far apart the warm-up's look-alikes stand: each kind many times, filler between them. */
    private static final int LOOK_ALIKE_SPACING = 512;
    /** Where the scans of an end read in part begin: not a multiple of eight before it, so every loop runs. */
    private static final int WARM_UP_LOOK_BACK = 61;
    /** Headers of the end in guest RAM or device state; after them, filler (more than 64 bytes until the next). */
    private static final byte[][] LOOK_ALIKES = {
        {EOF_MARKER, DESCRIPTION, 0, 0, 0, 0},                    // a length too short
        {EOF_MARKER, DESCRIPTION, 0x7f, -1, -1, -1},              // a length too long
        {EOF_MARKER, DESCRIPTION, 0, 0, 0, 64, '[', '1'},         // not JSON
        {EOF_MARKER, DESCRIPTION, 0, 0, 0, 64, '{', '1'},         // not a JSON object's key
        {EOF_MARKER, DESCRIPTION, 0, 0, 0, 64, '{', '"'},         // an end, unless more than 64 bytes follow
    };
    /** The one of {@link #LOOK_ALIKES} that, read only as far as its header, may still be the end. */
    private static final int MAY_BE_END = 4;
    private static final byte[] WARM_UP_DESCRIPTION = "{\"page_size\": 4096, \"devices\": [{\"name\": \"warm-up\"}]}"
            .getBytes(StandardCharsets.US_ASCII);

    private StreamEnd() {
    }

    /**
     * Where in {@code b}'s bytes {@code [from, to)} the stream's end may begin: the first end-of-state marker that
     * could still be it (a description header after it, as far as read, with no more bytes after it than its length
     * says; or nothing after it); {@code to} if none. A candidate is found by its second byte, eight bytes at a time:
     * 0x06 is rare in RAM and device state, where zeros are everywhere.
     */
    static int possibleEnd(ByteBuffer b, int from, int to) {
        int j = from + 1;
        for (; j + Long.BYTES <= to; j += Long.BYTES) {
            long x = (long) EIGHT_BYTES.get(b, j) ^ SIXES;
            if (((x - ONES) & ~x & HIGHS) != 0) {   // one of these eight bytes is 0x06
                for (int k = j; k < j + Long.BYTES; k++) {
                    if (isCandidate(b, k - 1, to)) {
                        return k - 1;
                    }
                }
            }
        }
        for (; j < to; j++) {
            if (isCandidate(b, j - 1, to)) {
                return j - 1;
            }
        }
        return to > from && b.get(to - 1) == EOF_MARKER ? to - 1 : to;
    }

    /** Whether {@code [at, to)} is a whole end: the marker and a description of exactly the length it gives. */
    static boolean isWholeEnd(ByteBuffer b, int at, int to) {
        return to - at > 7 && b.get(at) == EOF_MARKER && to - at == 6 + (b.getInt(at + 2) & 0xffffffffL);
    }

    /**
     * Runs the scan over a stream shaped like a real one, look-alikes of every kind and then an end, read as far as
     * every kind of place (the end, and each look-alike, cut short), and checks what it finds. Every branch the real
     * stream takes is then in the compiler's profile: code compiled from a profile that lacked one was thrown away
     * when the real stream took it, and the scan ran interpreted and was compiled again while the guest was stopped
     * (seen in the JIT's log, each replacement).
     */
    static void warmUp() {
        ByteBuffer sample = warmUpStream();
        int to = sample.capacity();
        int end = to - 6 - WARM_UP_DESCRIPTION.length;
        for (int i = 0; i < WARM_UP_ROUNDS; i++) {
            expect(possibleEnd(sample, 0, end) == end);   // the look-alikes let go, nothing held
            expect(possibleEnd(sample, 0, to) == end && isWholeEnd(sample, end, to));
            for (int read = end + 1; read < to; read++) {   // the end arriving: the marker, its header, the JSON
                expect(possibleEnd(sample, end - WARM_UP_LOOK_BACK, read) == end && !isWholeEnd(sample, end, read));
            }
            for (int k = 0; k < LOOK_ALIKES.length; k++) {   // reads that stop just after a look-alike's header
                int at = lookAlikeAt(k);
                expect(possibleEnd(sample, at - WARM_UP_LOOK_BACK, at + 8) == (k == MAY_BE_END ? at : at + 8));
            }
        }
    }

    private static void expect(boolean found) {
        if (!found) {
            throw new IllegalStateException("the stream's end is not recognised as it should be");
        }
    }

    /**
     * Filler in which 0x06 stands after anything but 0x00, the look-alikes of the end's header again and again
     * ({@link #lookAlikeAt}), and an end.
     */
    private static ByteBuffer warmUpStream() {
        ByteBuffer b = ByteBuffer.allocateDirect(WARM_UP_BYTES);
        int end = WARM_UP_BYTES - 6 - WARM_UP_DESCRIPTION.length;
        for (int i = 0; i < end; i++) {
            b.put(i, (byte) (i * 31 + 7));   // consecutive bytes 31 apart: no 0x00 before a 0x06
        }
        for (int n = 0; lookAlikeAt(n) + LOOK_ALIKE_SPACING < end; n++) {
            b.put(lookAlikeAt(n), LOOK_ALIKES[n % LOOK_ALIKES.length]);
        }
        b.put(end - 1, (byte) 1);   // a read that stops short of the end ends on no marker
        b.put(end, EOF_MARKER).put(end + 1, DESCRIPTION).putInt(end + 2, WARM_UP_DESCRIPTION.length)
                .put(end + 6, WARM_UP_DESCRIPTION);
        return b;
    }

    /** Where the warm-up stream's {@code n}th look-alike stands (of kind {@code n % LOOK_ALIKES.length}). */
    private static int lookAlikeAt(int n) {
        return (n + 1) * LOOK_ALIKE_SPACING;
    }

    /** Whether a marker and description header begin at {@code i}, as far as {@code to}, and may be the end. */
    private static boolean isCandidate(ByteBuffer b, int i, int to) {
        if (b.get(i + 1) != DESCRIPTION || b.get(i) != EOF_MARKER) {
            return false;
        }
        int after = to - i;
        if (after < 6) {
            return true;
        }
        long size = b.getInt(i + 2) & 0xffffffffL;
        return size >= 2 && size <= MAX_DESCRIPTION && after <= 6 + size
                && (after <= 6 || b.get(i + 6) == '{') && (after <= 7 || b.get(i + 7) == '"');
    }
}
