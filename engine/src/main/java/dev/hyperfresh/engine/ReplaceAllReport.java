package dev.hyperfresh.engine;

import dev.hyperfresh.vmm.BuildInfo;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;

/**
 * What replacing every instance of the socket directory came to: the hfvisor build and the QEMU binary they were
 * replaced with ({@code build} null when there was no hfvisor instance, {@code qemu} null when there was no QEMU) and
 * each instance, in the order they were taken (by name), as it ended. In a run at most one entry failed, and it is
 * the last one tried: the instances after it were not reached. A {@code dryRun} touched nothing: it says which
 * instances would be replaced, and its failed entries are the QEMUs whose pre-flight refuses (the run would stop at
 * the first). {@code interrupted}: the caller was interrupted (Ctrl-C) during an instance's replacement, which went on
 * to its end; the instances after it were not reached.
 */
public record ReplaceAllReport(BuildInfo build, QemuBinary qemu, boolean dryRun, boolean interrupted,
                               List<Entry> instances) {
    public ReplaceAllReport {
        instances = List.copyOf(instances);
    }

    /** The QEMU binary the QEMUs are replaced with, and what its {@code --version} says of it. */
    public record QemuBinary(Path path, String version) {
        @Override
        public String toString() {
            return path + " (" + version + ")";
        }
    }

    public enum Result {
        /** Replaced (an hfvisor instance: and verified). */
        COMMITTED("committed"),
        /** Left as it is, {@code why} says why (already on the build, a standby, not answering). */
        SKIPPED("skipped"),
        /** Its replacement failed, or a dry run's pre-flight refused it: {@code failure} says where its VMs are. */
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
     * One instance, an hfvisor's or ({@code qemu}) a QEMU's: {@code report} or {@code qemuReport} is its replacement's
     * (both null when none ran or none reported: skipped, not reached, a dry run, or a step that threw), {@code why}
     * the reason it was skipped (or, in a dry run, what it runs now), {@code failure} what failed.
     */
    public record Entry(String instance, boolean qemu, Result result, String why, ReplaceReport report,
                        QemuReplaceReport qemuReport, EngineException failure) {
        static Entry committed(ReplaceReport report) {
            return new Entry(report.instance(), false, Result.COMMITTED, null, report, null, null);
        }

        static Entry committed(QemuReplaceReport report) {
            return new Entry(report.instance(), true, Result.COMMITTED, null, null, report, null);
        }

        static Entry skipped(String instance, boolean qemu, String why) {
            return new Entry(instance, qemu, Result.SKIPPED, why, null, null, null);
        }

        /** One whose replacement, or a dry run's pre-flight, threw: no report. */
        static Entry failed(String instance, boolean qemu, EngineException failure) {
            return new Entry(instance, qemu, Result.FAILED, null, null, null, failure);
        }

        static Entry failed(String instance, ReplaceReport report, EngineException failure) {
            return new Entry(instance, false, Result.FAILED, null, report, null, failure);
        }

        static Entry failed(String instance, QemuReplaceReport report, EngineException failure) {
            return new Entry(instance, true, Result.FAILED, null, null, report, failure);
        }

        static Entry wouldReplace(String instance, boolean qemu, String why) {
            return new Entry(instance, qemu, Result.WOULD_REPLACE, why, null, null, null);
        }

        static Entry notReached(String instance, boolean qemu) {
            return new Entry(instance, qemu, Result.NOT_REACHED, null, null, null, null);
        }
    }

    /** The entry that failed, if one did (in a dry run: the first refused). */
    public Optional<Entry> failed() {
        return instances.stream().filter(e -> e.result() == Result.FAILED).findFirst();
    }

    public long count(Result result) {
        return instances.stream().filter(e -> e.result() == result).count();
    }
}
