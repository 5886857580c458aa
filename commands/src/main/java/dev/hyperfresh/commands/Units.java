package dev.hyperfresh.commands;

import java.util.Locale;

/** Human figures: byte sizes in binary units, durations from microseconds. */
final class Units {
    private Units() {
    }

    static String bytes(long n) {
        if (n < 1024) {
            return n + " B";
        }
        String[] units = {"KiB", "MiB", "GiB", "TiB"};
        double v = n;
        int u = -1;
        while (v >= 1024 && u < units.length - 1) {
            v /= 1024;
            u++;
        }
        return (v == Math.rint(v) ? String.format(Locale.ROOT, "%.0f", v) : String.format(Locale.ROOT, "%.1f", v))
                + " " + units[u];
    }

    static String micros(long us) {
        if (us < 0) {
            return "unknown";   // the engine's -1: not measured (a reply lost), never a figure to read as one
        }
        if (us < 10_000) {
            return us + " µs";
        }
        if (us < 10_000_000) {
            return String.format(Locale.ROOT, "%.1f ms", us / 1000.0);
        }
        return String.format(Locale.ROOT, "%.1f s", us / 1_000_000.0);
    }

    static String uptime(long ms) {
        long s = ms / 1000;
        return s < 120 ? s + "s" : s < 7200 ? s / 60 + "m" : s / 3600 + "h" + (s % 3600) / 60 + "m";
    }
}
