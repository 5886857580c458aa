package dev.hyperfresh.vmm.control;

import java.util.Arrays;
import java.util.Optional;
import java.util.stream.Collectors;

/** The request ops; their wire names are a contract with the shell. */
enum Op {
    INFO("info"),
    PAUSE("pause"),
    RESUME("resume"),
    SAVE_STATE("save-state"),
    SUBSCRIBE("subscribe"),
    PING("ping"),
    STOP("stop"),
    RESET("reset"),
    SHUTDOWN("shutdown"),
    HANDOVER_PREPARE("handover-prepare"),
    HANDOVER_CUTOVER("handover-cutover"),
    HANDOVER_ABORT("handover-abort"),
    /** Sent by an instance handing its VMs over, to the standby: the connection becomes the handover session. */
    ADOPT("adopt");

    final String wireName;

    Op(String wireName) {
        this.wireName = wireName;
    }

    static Optional<Op> of(String wireName) {
        return Arrays.stream(values()).filter(op -> op.wireName.equals(wireName)).findFirst();
    }

    static String known() {
        return Arrays.stream(values()).map(op -> op.wireName).collect(Collectors.joining(", "));
    }
}
