package dev.hyperfresh.qemu.replace;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.TextNode;
import dev.hyperfresh.qemu.qmp.QmpError;
import dev.hyperfresh.qemu.qmp.QmpIoException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;
import org.junit.jupiter.api.Test;

/** The cont and a rollback decide once between them, whichever thread comes first (the cont itself is faked). */
class CommitPointTest {
    private final AtomicInteger sent = new AtomicInteger();
    private final CompletableFuture<JsonNode> qemuAnswer = new CompletableFuture<>();
    private final CommitPoint point = new CommitPoint(() -> {
        sent.incrementAndGet();
        return qemuAnswer;
    });

    @Test
    void theContGoesOutOnceHoweverManyAskAndTheAnswerReachesEveryone() throws Exception {
        CompletableFuture<JsonNode> first = point.commit();
        CompletableFuture<JsonNode> second = point.commit();
        qemuAnswer.complete(TextNode.valueOf("ok"));
        assertThat(sent).hasValue(1);
        assertThat(first.get().asText()).isEqualTo("ok");
        assertThat(second.get().asText()).isEqualTo("ok");
    }

    @Test
    void onceTheContIsOutARollbackCannotResumeTheOldQemu() {
        point.commit();
        assertThat(point.withdraw()).isFalse();
        assertThat(point.withdraw()).isFalse();
    }

    @Test
    void aWithdrawnContIsNeverSent() {
        assertThat(point.withdraw()).isTrue();
        assertThat(point.commit()).isNull();
        assertThat(point.withdraw()).isTrue();
        assertThat(sent).hasValue(0);
    }

    @Test
    void aRefusalAndALostConnectionReachTheWaiterAsThemselves() {
        // as QmpClient.submit makes it: the error answer turned into a QmpError by a stage after the raw answer
        CompletableFuture<JsonNode> raw = new CompletableFuture<>();
        CommitPoint refused = new CommitPoint(() -> raw.thenApply(answer -> {
            throw new QmpError("cont", "GenericError", "Resetting the VM is required");
        }));
        CompletableFuture<JsonNode> answer = refused.commit();
        raw.complete(TextNode.valueOf("error"));
        assertThatThrownBy(answer::get).isInstanceOf(ExecutionException.class).hasCauseInstanceOf(QmpError.class);
        CommitPoint unsendable = new CommitPoint(() -> {
            throw new QmpIoException("the QMP connection broke");
        });
        assertThatThrownBy(() -> unsendable.commit().get()).hasCauseInstanceOf(QmpIoException.class);
        assertThat(unsendable.withdraw()).as("a cont that failed to send may still have been written").isFalse();
    }

    @Test
    void racingReadersAndARollbackAgreeOnOneOutcome() throws Exception {
        for (int round = 0; round < 2000; round++) {
            AtomicInteger conts = new AtomicInteger();
            CommitPoint race = new CommitPoint(() -> {
                conts.incrementAndGet();
                return CompletableFuture.completedFuture(TextNode.valueOf("ok"));
            });
            CountDownLatch go = new CountDownLatch(1);
            CompletableFuture<CompletableFuture<JsonNode>> source = CompletableFuture.supplyAsync(() -> awaitThen(go,
                    race::commit));
            CompletableFuture<CompletableFuture<JsonNode>> standby = CompletableFuture.supplyAsync(() -> awaitThen(go,
                    race::commit));
            go.countDown();
            boolean withdrawn = race.withdraw();
            CompletableFuture<JsonNode> fromSource = source.get();
            CompletableFuture<JsonNode> fromStandby = standby.get();
            assertThat(conts.get()).as("round " + round).isEqualTo(withdrawn ? 0 : 1);
            assertThat(fromSource == null && fromStandby == null).as("round " + round).isEqualTo(withdrawn);
        }
    }

    private static CompletableFuture<JsonNode> awaitThen(CountDownLatch go, Supplier<CompletableFuture<JsonNode>> step) {
        try {
            go.await();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        return step.get();
    }
}
