package dev.hyperfresh.bench;

import java.util.List;

/** One scenario: an instance replaced RUNS times in a row, each new instance being the next one's old. */
interface ReplacementChain {
    List<Sample> run(int runs) throws Exception;
}
