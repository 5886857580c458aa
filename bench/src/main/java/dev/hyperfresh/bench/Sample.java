package dev.hyperfresh.bench;

import java.util.Map;

/**
 * One measured replacement. Times in microseconds; pages/s as hfguest's memory workers report them; bytes copied
 * by prepare and cutover together (0 in remap mode).
 */
record Sample(Scenario scenario, int run, long blackoutUs, long totalUs, long prepareUs, long populateUs,
              Map<String, Long> phasesUs, long guestGapUs, long ppsBefore, long ppsAfter, long bytesCopied,
              String outcome) {
}
