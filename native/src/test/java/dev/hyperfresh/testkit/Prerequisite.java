package dev.hyperfresh.testkit;

import static org.junit.jupiter.api.Assertions.fail;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.util.Optional;

/** A KVM test's other prerequisites (a built guest): as for {@link RequiresKvm}, missing fails under CI. */
public final class Prerequisite {
    private Prerequisite() {
    }

    /** Skips the test with the reason when something is {@code missing}, or fails it where KVM tests are required. */
    public static void require(Optional<String> missing) {
        if (missing.isEmpty()) {
            return;
        }
        if ("1".equals(System.getenv(KvmCondition.REQUIRE_ENV))) {
            fail(KvmCondition.REQUIRE_ENV + "=1 but " + missing.get());
        }
        assumeTrue(false, missing.get());
    }
}
