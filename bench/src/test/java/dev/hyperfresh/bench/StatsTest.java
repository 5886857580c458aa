package dev.hyperfresh.bench;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class StatsTest {
    @Test
    void nearestRankFiguresAreMeasuredValues() {
        assertThat(Stats.of(new long[] {4, 1, 3, 2})).isEqualTo(new Stats(1, 2, 4, 4, 4));
        assertThat(Stats.of(new long[] {5, 1, 3})).isEqualTo(new Stats(1, 3, 5, 5, 3));
    }

    @Test
    void p99OfAHundredIsTheNinetyNinthValue() {
        long[] v = new long[100];
        for (int i = 0; i < v.length; i++) {
            v[i] = 100 - i;
        }
        Stats s = Stats.of(v);
        assertThat(s.min()).isEqualTo(1);
        assertThat(s.median()).isEqualTo(50);
        assertThat(s.p99()).isEqualTo(99);
        assertThat(s.max()).isEqualTo(100);
    }

    @Test
    void leavesItsInputUnsortedAndAnEmptySampleIsMinusOne() {
        long[] v = {3, 1, 2};
        Stats.of(v);
        assertThat(v).containsExactly(3, 1, 2);
        assertThat(Stats.of(new long[0])).isEqualTo(new Stats(-1, -1, -1, -1, 0));
    }
}
