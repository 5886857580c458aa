package dev.hyperfresh.qemu.replace;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Supplier;

/**
 * The one decision between the guest running on the new QEMU (its {@code cont} sent) and a rollback to the old one,
 * taken once whichever thread gets there first. The {@code cont} goes out on the QMP reader thread that reads the
 * later of the two migration ends, not after a wake-up of the thread waiting for them; a rollback begun before that
 * withdraws it for good. Once the {@code cont} is out, only its answer says whether the new QEMU runs the guest.
 */
final class CommitPoint {
    private enum State { OPEN, SENT, WITHDRAWN }

    private final AtomicReference<State> state = new AtomicReference<>(State.OPEN);
    private final CompletableFuture<JsonNode> answer = new CompletableFuture<>();
    private final Supplier<CompletableFuture<JsonNode>> cont;

    /** {@code cont} sends the command and returns its answer to come; it must not wait (it may run on a reader). */
    CommitPoint(Supplier<CompletableFuture<JsonNode>> cont) {
        this.cont = cont;
    }

    /**
     * Sends the {@code cont} unless it went out already or a rollback withdrew it; any thread, any number of times.
     * Returns its answer to come, or {@code null} if withdrawn.
     */
    CompletableFuture<JsonNode> commit() {
        if (state.compareAndSet(State.OPEN, State.SENT)) {
            try {
                cont.get().whenComplete((value, failure) -> {
                    if (failure == null) {
                        answer.complete(value);
                    } else {
                        answer.completeExceptionally(failure);
                    }
                });
            } catch (RuntimeException e) {
                answer.completeExceptionally(e);
            }
        }
        return state.get() == State.SENT ? answer : null;
    }

    /** True if no {@code cont} was or will ever be sent: a rollback may resume the old QEMU. */
    boolean withdraw() {
        return state.compareAndSet(State.OPEN, State.WITHDRAWN) || state.get() == State.WITHDRAWN;
    }
}
