package dev.hyperfresh.sys;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class NamespacesTest {
    @Test
    void aProcessInAMountNamespaceOfItsOwnDiffersThereOnly() throws Exception {
        Process own = new ProcessBuilder("unshare", "--mount", "--propagation", "private", "sleep", "30").start();
        try {
            for (int i = 0; i < 100 && !Namespaces.differ("mnt", own.pid()); i++) {
                Thread.sleep(20);   // unshare has not exec'd sleep yet
            }
            assertThat(Namespaces.differ("mnt", own.pid())).isTrue();
            assertThat(Namespaces.differ("pid", own.pid())).isFalse();
            assertThat(Namespaces.differ("mnt", ProcessHandle.current().pid())).isFalse();
        } finally {
            own.destroyForcibly().waitFor();
        }
    }

    @Test
    void aProcessGoneCannotBeToldApart() throws Exception {
        Process gone = new ProcessBuilder("true").start();
        gone.waitFor();
        assertThat(Namespaces.differ("pid", gone.pid())).isFalse();
    }
}
