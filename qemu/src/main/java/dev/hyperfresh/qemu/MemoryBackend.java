package dev.hyperfresh.qemu;

/**
 * One guest RAM backend of a running QEMU ({@code query-memdev} plus its QOM type). Only a shared memfd or file
 * backend can be mapped by a second QEMU: anything else is private to the process that allocated it.
 */
public record MemoryBackend(String id, String type, long sizeBytes, boolean shared) {
    public static final String MEMFD = "memory-backend-memfd";
    public static final String FILE = "memory-backend-file";

    public boolean replaceableInPlace() {
        return shared && (type.equals(MEMFD) || type.equals(FILE));
    }
}
