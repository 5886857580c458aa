package dev.hyperfresh.engine;

import java.util.Map;

/**
 * One past replacement as the history file keeps it: {@code time} in ISO-8601 UTC; {@code verified} is null when
 * nobody verified it; {@code guestGapUs}/{@code controlGapUs} as the verify reported them (null when unmeasured);
 * {@code traceUs} the cutover's steps as the report has them (null when not recorded).
 */
public record HistoryEntry(String time, String instance, String outcome, String reason, long blackoutUs,
                           long stateBytes, long memoryBytes, Map<String, Long> phasesUs, String versionBefore,
                           String versionAfter, Boolean verified, Long guestGapUs,
                           Long controlGapUs, Map<String, Long> traceUs) {
}
