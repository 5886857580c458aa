package dev.hyperfresh.bench;

import java.util.Map;

/**
 * One measured replacement, on {@code accel} (the KVM or QEMU accelerator it ran on, as rows must say). Times in
 * microseconds, -1 where a backend does not measure it (QEMU has no prepare/populate or hfvisor phases; hfvisor
 * has no QEMU downtime) or a gap window could not be measured; pages/s as hfguest's memory workers report them; the
 * largest pause the guest observed across the cutover and in a control window before it (as `verify` reports
 * them); bytes moved by the replacement (0 for hfvisor remap; QEMU shared still moves device state);
 * {@code resumeToReturnUs}: QEMU's, from the new QEMU's RESUME to {@code replace} returning; {@code traceUs}: QEMU's
 * cutover trace (each step in µs since the old QEMU's STOP), empty for hfvisor.
 */
record Sample(Scenario scenario, String accel, int run, long blackoutUs, long qemuDowntimeUs, long totalUs,
              long resumeToReturnUs, long prepareUs, long populateUs, Map<String, Long> phasesUs, long guestGapUs, long controlGapUs,
              long ppsBefore,
              long ppsAfter, long bytesCopied, String outcome, Map<String, Long> traceUs) {
}
