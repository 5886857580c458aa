package dev.hyperfresh.engine;

import dev.hyperfresh.vmm.control.InstanceRef;
/** A standby instance that answered: who it is, and how long it took from spawn to answering. */
public record StandbyReport(InstanceRef standby, String launcher, long startUs) {
}
