package dev.hyperfresh.engine;

/**
 * A `verify` of a cutover recorded earlier (the step-by-step way: `cutover`, then `verify`), appended as a line of
 * its own, since the history is only ever appended to; {@code verifies} is that entry's time.
 */
record HistoryVerification(String verifies, String instance, boolean verified, Long guestGapUs, Long controlGapUs) {
    /** {@code entry} with this verify's figures, when this verify is of it. */
    HistoryEntry applyTo(HistoryEntry entry) {
        if (!verifies.equals(entry.time()) || !instance.equals(entry.instance())) {
            return entry;
        }
        return new HistoryEntry(entry.time(), entry.instance(), entry.outcome(), entry.reason(), entry.blackoutUs(),
                entry.stateBytes(), entry.memoryBytes(), entry.phasesUs(), entry.versionBefore(),
                entry.versionAfter(), verified, guestGapUs, controlGapUs, entry.traceUs());
    }
}
