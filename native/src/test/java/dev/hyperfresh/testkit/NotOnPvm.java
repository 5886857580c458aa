package dev.hyperfresh.testkit;

import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;
import org.junit.jupiter.api.Tag;

/**
 * Marks a KVM test whose guest cannot run on a PVM host, which bin/test there runs in the nested KVM on emulated SVM
 * instead (everywhere else they run with the other KVM tests). Two kinds: Linux, whose early boot is all guest ring
 * 0, which PVM runs in KVM's instruction emulator (a Debian kernel printed nothing in 4 minutes); and QEMU's own
 * replacement with KVM, after which hfguest found its vector registers zeroed on a PVM host (2026-12-02, QEMU 7.2:
 * QEMU's migration of the XSAVE state there, not ours; hfvisor's handover keeps them).
 */
@Target({ElementType.TYPE, ElementType.METHOD})
@Retention(RetentionPolicy.RUNTIME)
@Tag("not-on-pvm")
public @interface NotOnPvm {
}
