package dev.hyperfresh.testkit;

import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Marks a test that needs a usable {@code /dev/kvm}. Without one it is skipped with the reason, unless
 * {@code HYPERFRESH_REQUIRE_KVM=1} (set by CI), where it fails: a missing prerequisite is never a silent pass.
 */
@Target({ElementType.TYPE, ElementType.METHOD})
@Retention(RetentionPolicy.RUNTIME)
@Tag("kvm")
@ExtendWith(KvmCondition.class)
public @interface RequiresKvm {
}
