package dev.hyperfresh.qemu.replace;

import dev.hyperfresh.qemu.qmp.QmpClient;
import java.util.HashMap;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The port each USB device sits on, by id: a USB device's state migrates under its port's path, so the new QEMU must
 * plug it into the same one. QOM's {@code port} is only the one asked for (none: the first free), and QMP has no
 * command for the rest, so this reads HMP's {@code info usb}.
 */
final class UsbPorts {
    private static final Pattern USB_DEVICE = Pattern.compile("Port (\\S+),.*ID: (\\S+)$");

    private UsbPorts() {
    }

    static Map<String, String> of(QmpClient qmp) {
        Map<String, String> ports = new HashMap<>();
        String said = qmp.execute(HotPlugged.HMP, Map.of("command-line", "info usb")).asText();
        for (String line : said.split("\r?\n")) {
            Matcher m = USB_DEVICE.matcher(line.strip());
            if (m.find()) {
                ports.put(m.group(2), m.group(1));
            }
        }
        return ports;
    }
}
