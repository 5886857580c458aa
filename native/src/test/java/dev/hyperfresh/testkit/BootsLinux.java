package dev.hyperfresh.testkit;

import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;
import org.junit.jupiter.api.Tag;

/**
 * Marks a KVM test that boots Linux. Linux's early boot runs entirely in guest ring 0, which a PVM host executes in
 * KVM's instruction emulator (a Debian kernel printed nothing in 4 minutes there), so on a PVM host bin/test runs
 * these in the nested KVM on emulated SVM instead; everywhere else they run with the other KVM tests.
 */
@Target({ElementType.TYPE, ElementType.METHOD})
@Retention(RetentionPolicy.RUNTIME)
@Tag("linux-guest")
public @interface BootsLinux {
}
