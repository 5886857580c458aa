package dev.hyperfresh.sys;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

class EventFdTest {
    @Test
    void readTakesTheWholeCounter() {
        try (EventFd event = EventFd.create(2, EventFd.Option.NONBLOCKING)) {
            event.signal(3);
            event.signal(5);

            assertThat(event.read()).isEqualTo(10);
            assertThat(event.read()).isZero();
        }
    }

    @Test
    void semaphoreReadTakesOne() {
        try (EventFd event = EventFd.create(0, EventFd.Option.SEMAPHORE, EventFd.Option.NONBLOCKING)) {
            event.signal(2);

            assertThat(event.read()).isEqualTo(1);
            assertThat(event.read()).isEqualTo(1);
            assertThat(event.read()).isZero();
        }
    }

    @Test
    void nonblockingReadOfAnEmptyCounterReturnsZero() {
        try (EventFd event = EventFd.create(0, EventFd.Option.NONBLOCKING)) {
            assertThat(event.read()).isZero();
        }
    }

    @Test
    void blockingReadWaitsForASignal() throws Exception {
        try (EventFd event = EventFd.create(0)) {
            CompletableFuture<Long> reader = CompletableFuture.supplyAsync(event::read);
            Thread.sleep(50);
            assertThat(reader).isNotDone();

            event.signal(4);

            assertThat(reader.get(5, TimeUnit.SECONDS)).isEqualTo(4);
        }
    }

    @Test
    void overflowingANonblockingCounterNamesTheCall() {
        try (EventFd event = EventFd.create(0, EventFd.Option.NONBLOCKING)) {
            event.signal(0xffff_ffff_ffff_fffeL);

            assertThatThrownBy(() -> event.signal(1))
                    .isInstanceOf(SysException.class)
                    .hasMessageContaining("write(eventfd)")
                    .hasMessageContaining("EAGAIN");
        }
    }

    @Test
    void usingAClosedEventFdIsAClearError() {
        EventFd event = EventFd.create(0);
        event.close();
        event.close();

        assertThatThrownBy(() -> event.signal(1))
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("eventfd is closed");
    }
}
