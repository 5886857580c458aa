package dev.hyperfresh.vmm.cli;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * {@code hfvisor --config FILE}: the VMs of an instance, one {@code --vm} SPEC per line. Blank lines and lines
 * starting with '#' are skipped; a bad line is reported as FILE:LINE with the reason.
 */
final class VmConfigFile {
    private VmConfigFile() {
    }

    static List<VmSpec> read(Path file) {
        List<String> lines;
        try {
            lines = Files.readAllLines(file);
        } catch (NoSuchFileException e) {
            throw new IllegalArgumentException("config file " + file + " does not exist");
        } catch (IOException e) {
            throw new IllegalArgumentException("cannot read config file " + file + ": " + e.getMessage());
        }
        List<VmSpec> specs = new ArrayList<>();
        for (int i = 0; i < lines.size(); i++) {
            String line = lines.get(i).strip();
            if (line.isEmpty() || line.startsWith("#")) {
                continue;
            }
            try {
                specs.add(VmSpec.parse(line));
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException(file + ":" + (i + 1) + ": " + e.getMessage());
            }
        }
        if (specs.isEmpty()) {
            throw new IllegalArgumentException("config file " + file + " names no VM (one --vm SPEC per line)");
        }
        return specs;
    }
}
