package dev.hyperfresh.qemu;

/**
 * One guest RAM backend of a running QEMU ({@code query-memdev} plus its QOM type). Only a shared memfd or file
 * backend can be mapped by a second QEMU: anything else is private to the process that allocated it. And a QEMU of
 * 8.1 or later leaves only a named file's shared RAM out of a migration with {@code x-ignore-shared} (QEMU's commit
 * "exec/memory: Introduce RAM_NAMED_FILE flag": a memfd's has no name a destination could open, it reasoned), so it
 * would send a memfd's RAM to a new QEMU that maps it already and expects none.
 */
public record MemoryBackend(String id, String type, long sizeBytes, boolean shared) {
    public static final String MEMFD = "memory-backend-memfd";
    public static final String FILE = "memory-backend-file";

    /** Whether a new QEMU can map it where it is, replacing {@code owner}'s QEMU. */
    public boolean replaceableInPlace(QemuInfo owner) {
        return shared && (type.equals(FILE) || type.equals(MEMFD) && !owner.migratesUnnamedSharedRam());
    }
}
