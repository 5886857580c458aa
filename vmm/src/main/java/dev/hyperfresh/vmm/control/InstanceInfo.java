package dev.hyperfresh.vmm.control;

import java.util.List;
import java.util.Map;

/**
 * What {@code info} reports about a running hfvisor. States are lower-case words the shell shows as they are:
 * for a VM e.g. {@code created}, {@code running}, {@code paused}, {@code stopped}, {@code failed}. {@code kvm} is
 * the KVM backend the instance runs on: {@code VMX}, {@code SVM}, {@code PVM} or {@code unknown} (null from an
 * hfvisor older than the field). {@code shutdownTimeoutS}: how long, on SIGTERM, it waits for the guests it asked to
 * shut down before powering off what still runs ({@code --shutdown-timeout}; it moves with the instance in a
 * handover; null from an hfvisor older than the field).
 */
public record InstanceInfo(String name, long pid, String version, String buildId, String kvm, long uptimeMs,
                           String state,
                           String role, List<Vm> vms, Long shutdownTimeoutS) {
    public static final String ACTIVE = "active";
    public static final String STANDBY = "standby";

    public InstanceInfo {
        vms = List.copyOf(vms);
    }

    /**
     * One VM: {@code residentBytes} the host memory its pages take (what the guest has touched of its
     * {@code memoryBytes}; null from an hfvisor older than the field); {@code guestKind} names what it boots, e.g.
     * {@code hfguest} or {@code linux}; {@code exits} what its vCPUs cost in exits so far (null where not counted,
     * e.g. in a handover reply; built by {@code VirtualMachine.describe}); {@code reboot} what a reset does to it,
     * {@value #REBOOT_RESTART} or {@value #REBOOT_POWEROFF} (null from an hfvisor older than resets);
     * {@code powerButton} whether the guest hears ACPI's power button ({@code shutdown}):
     * {@value #POWER_BUTTON_LISTENING}, {@value #POWER_BUTTON_IGNORED} (its guest has not enabled it) or
     * {@value #POWER_BUTTON_NONE} (its machine has no ACPI; null from an hfvisor older than ACPI).
     */
    public record Vm(String name, int vcpus, long memoryBytes, Long residentBytes, String state, String guestKind,
                     Exits exits, List<Disk> disks, List<Nic> nics, String reboot, String powerButton) {
        public static final String REBOOT_RESTART = "restart", REBOOT_POWEROFF = "poweroff";
        public static final String POWER_BUTTON_LISTENING = "listening", POWER_BUTTON_IGNORED = "ignored";
        public static final String POWER_BUTTON_NONE = "none";

        public Vm(String name, int vcpus, long memoryBytes, String state, String guestKind) {
            this(name, vcpus, memoryBytes, null, state, guestKind, null, null, null, REBOOT_RESTART,
                    POWER_BUTTON_NONE);
        }

        /**
         * Why a guest whose {@code powerButton} is as {@code info} says would not hear it, or null when it would: the
         * words hfvisor refuses a press with, and the console before it asks.
         */
        public static String powerButtonUnheard(String powerButton, String guestKind) {
            return switch (powerButton == null ? POWER_BUTTON_NONE : powerButton) {
                case POWER_BUTTON_LISTENING -> null;
                case POWER_BUTTON_IGNORED -> "its guest has not enabled ACPI's power button (booted with acpi=off,"
                        + " or without ACPI's button driver, or not that far yet); `stop` powers it off";
                default -> "its machine has no ACPI power button (" + guestKind + "'s); `stop` powers it off";
            };
        }
    }

    /** A VM's disk: its image and whether the guest may write it. */
    public record Disk(String path, boolean readOnly) {
    }

    /**
     * A VM's network interface: the host tap it is attached to, the MAC address the guest has, and whether the tap
     * is gone from the host (deleted under the VM: no frame passes; null from an hfvisor older than the field).
     */
    public record Nic(String tap, String mac, Boolean gone) {
        public Nic(String tap, String mac) {
            this(tap, mac, null);
        }
    }

    /**
     * Returns from KVM_RUN since the VM started in this instance: {@code total}, non-zero counts {@code byReason}
     * (e.g. {@code io}, {@code hlt}, {@code intr} for kicks) and {@code ioByPort} (e.g. {@code "0xe9"}), and the
     * instructions KVM failed to emulate that hfvisor finished itself ({@code emulated}: {@code int3},
     * {@code xgetbv}).
     */
    public record Exits(long total, Map<String, Long> byReason, Map<String, Long> ioByPort,
                        Map<String, Long> emulated) {
    }
}
