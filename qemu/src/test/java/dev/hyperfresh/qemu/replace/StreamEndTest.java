package dev.hyperfresh.qemu.replace;

import static dev.hyperfresh.qemu.replace.StreamBytes.DESCRIPTION;
import static dev.hyperfresh.qemu.replace.StreamBytes.concat;
import static dev.hyperfresh.qemu.replace.StreamBytes.end;
import static dev.hyperfresh.qemu.replace.StreamBytes.random;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/** Where a migration stream may end, as far as it has been read ({@link StreamHoldTest}: the hold around it). */
class StreamEndTest {
    @Test
    void theEndIsTheMarkerAndADescriptionAsFarAsReadOrAMarkerAlone() {
        for (int before = 0; before < 20; before++) {   // the scan goes eight bytes at a time: every alignment
            byte[] end = concat(random(before), end(DESCRIPTION));
            for (int read = before + 1; read <= end.length; read++) {
                assertThat(StreamEnd.possibleEnd(ByteBuffer.wrap(end), 0, read)).as("%d + %d bytes", before, read)
                        .isEqualTo(before);
            }
        }
        byte[] noDescription = {1, 2, 0};   // machines that send none end on the marker
        assertThat(StreamEnd.possibleEnd(ByteBuffer.wrap(noDescription), 0, 3)).isEqualTo(2);
        assertThat(StreamEnd.possibleEnd(ByteBuffer.wrap(noDescription), 0, 2)).isEqualTo(2);
    }

    @Test
    void lookAlikesOfTheEndAreLetGo() {
        byte[] notJson = concat(new byte[] {1}, end("[1, 2]".getBytes(StandardCharsets.US_ASCII)));
        assertThat(StreamEnd.possibleEnd(ByteBuffer.wrap(notJson), 0, notJson.length)).isEqualTo(notJson.length);
        byte[] tooLong = concat(end(DESCRIPTION), new byte[] {7});   // more follows than the length says
        assertThat(StreamEnd.possibleEnd(ByteBuffer.wrap(tooLong), 0, tooLong.length)).isEqualTo(tooLong.length);
        byte[] markerThenState = {0, 0x04, 1, 1};
        assertThat(StreamEnd.possibleEnd(ByteBuffer.wrap(markerThenState), 0, 4)).isEqualTo(4);
        byte[] lookAlikeThenEnd = concat(concat(end(DESCRIPTION), random(100)), end(DESCRIPTION));
        assertThat(StreamEnd.possibleEnd(ByteBuffer.wrap(lookAlikeThenEnd), 0, lookAlikeThenEnd.length))
                .isEqualTo(lookAlikeThenEnd.length - end(DESCRIPTION).length);
    }

    @Test
    void theWholeEndIsTheMarkerAndTheDescriptionOfTheLengthItGives() {
        byte[] stream = concat(random(10), end(DESCRIPTION));
        ByteBuffer b = ByteBuffer.allocateDirect(stream.length).put(stream);
        assertThat(StreamEnd.isWholeEnd(b, 10, stream.length)).isTrue();
        assertThat(StreamEnd.isWholeEnd(b, 10, stream.length - 1)).isFalse();
        assertThat(StreamEnd.isWholeEnd(b, 10, 17)).as("a header alone").isFalse();
    }

    @Test
    void theWarmUpFindsWhatItShould() {
        assertThatCode(StreamEnd::warmUp).doesNotThrowAnyException();
    }
}
