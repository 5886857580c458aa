package dev.hyperfresh.vmm.control;

import java.util.Optional;

/**
 * Who may talk to an hfvisor over a unix socket, either way round: a process of the same user, or root. The kernel
 * vouches for the peer's uid (SO_PEERCRED); a control client of another user is turned away, and guest RAM and the
 * ledger are never passed to a standby of another user.
 */
public final class PeerUid {
    private PeerUid() {
    }

    /** Empty when {@code peerUid} is acceptable, else why not. */
    public static Optional<String> refusal(int peerUid, int ownUid) {
        if (peerUid == ownUid || peerUid == 0) {
            return Optional.empty();
        }
        return Optional.of("peer uid " + peerUid + " is neither this hfvisor's uid " + ownUid + " nor root");
    }
}
