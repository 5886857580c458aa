package dev.hyperfresh.testkit;

import dev.hyperfresh.kvm.Kvm;
import java.util.Optional;
import org.junit.jupiter.api.extension.ConditionEvaluationResult;
import org.junit.jupiter.api.extension.ExecutionCondition;
import org.junit.jupiter.api.extension.ExtensionContext;

/** See {@link RequiresKvm}. */
public final class KvmCondition implements ExecutionCondition {
    public static final String REQUIRE_ENV = "HYPERFRESH_REQUIRE_KVM";

    @Override
    public ConditionEvaluationResult evaluateExecutionCondition(ExtensionContext context) {
        Optional<String> problem = Kvm.unusableReason();
        if (problem.isEmpty()) {
            return ConditionEvaluationResult.enabled("/dev/kvm is usable");
        }
        if ("1".equals(System.getenv(REQUIRE_ENV))) {
            throw new IllegalStateException(REQUIRE_ENV + "=1 but " + problem.get());
        }
        return ConditionEvaluationResult.disabled("KVM test skipped: " + problem.get()
                + " (set " + REQUIRE_ENV + "=1 to make this a failure)");
    }
}
