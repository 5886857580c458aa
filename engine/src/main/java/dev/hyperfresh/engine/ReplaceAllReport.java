package dev.hyperfresh.engine;

import dev.hyperfresh.vmm.BuildInfo;
import java.util.List;
import java.util.Optional;

/**
 * What replacing every instance of the socket directory came to: the build they were replaced with and each
 * instance, in the order they were taken (by name), as it ended. At most one entry failed, and it is the last one
 * tried: the instances after it were not reached. A {@code dryRun} touched nothing: it says which instances would
 * be replaced. {@code interrupted}: the caller was interrupted (Ctrl-C) during an instance's replacement, which went
 * on to its end; the instances after it were not reached.
 */
public record ReplaceAllReport(BuildInfo build, boolean dryRun, boolean interrupted, List<Entry> instances) {
    public ReplaceAllReport {
        instances = List.copyOf(instances);
    }

    public enum Result {
        /** Replaced and verified. */
        COMMITTED("committed"),
        /** Left as it is, {@code why} says why (already on the build, a standby, not answering). */
        SKIPPED("skipped"),
        /** Its replacement failed: {@code failure} says what became of its VMs; the run stopped here. */
        FAILED("failed"),
        /** Not tried: an instance before it failed. */
        NOT_REACHED("not-reached"),
        /** A dry run's: it would be replaced, {@code why} says what it runs now. */
        WOULD_REPLACE("would-replace");

        private final String word;

        Result(String word) {
            this.word = word;
        }

        public String word() {
            return word;
        }
    }

    /**
     * One instance: {@code report} is its replacement's (null when none ran or none reported: skipped, not reached,
     * a dry run, or a step that threw), {@code why} the reason it was skipped (or, in a dry run, what it runs now),
     * {@code failure} what failed.
     */
    public record Entry(String instance, Result result, String why, ReplaceReport report, EngineException failure) {
        static Entry committed(ReplaceReport report) {
            return new Entry(report.instance(), Result.COMMITTED, null, report, null);
        }

        static Entry skipped(String instance, String why) {
            return new Entry(instance, Result.SKIPPED, why, null, null);
        }

        static Entry failed(String instance, ReplaceReport report, EngineException failure) {
            return new Entry(instance, Result.FAILED, null, report, failure);
        }

        static Entry wouldReplace(String instance, String why) {
            return new Entry(instance, Result.WOULD_REPLACE, why, null, null);
        }

        static Entry notReached(String instance) {
            return new Entry(instance, Result.NOT_REACHED, null, null, null);
        }
    }

    /** The entry that failed, if one did. */
    public Optional<Entry> failed() {
        return instances.stream().filter(e -> e.result() == Result.FAILED).findFirst();
    }

    public long count(Result result) {
        return instances.stream().filter(e -> e.result() == result).count();
    }
}
