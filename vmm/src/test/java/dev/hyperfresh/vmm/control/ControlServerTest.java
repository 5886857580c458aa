package dev.hyperfresh.vmm.control;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.hyperfresh.vmm.heartbeat.GuestLineParser;
import dev.hyperfresh.vmm.heartbeat.Heartbeat;
import dev.hyperfresh.vmm.persist.VmState;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.ServerSocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

@Timeout(30)
class ControlServerTest {
    @TempDir
    Path dir;
    private final FakeHandler handler = new FakeHandler();
    private ControlServer server;
    private ControlClient client;

    @BeforeEach
    void start() {
        server = ControlServer.start(dir.resolve("test.sock"), handler);
        client = ControlClient.connect(server.path());
    }

    @AfterEach
    void stop() {
        client.close();
        server.close();
    }

    @Test
    void pingRepliesWithTheProtocolVersionAndTheRequestsId() {
        Frame reply = client.request(Json.object().put("op", "ping").put("id", "abc"));

        assertThat(reply.header().get("v").intValue()).isEqualTo(ControlProtocol.VERSION);
        assertThat(reply.header().get("id").textValue()).isEqualTo("abc");
        assertThat(reply.ok()).isTrue();
        client.ping();
    }

    /** As an instance that has just handed its VMs over does: it exits while a console holds a connection. */
    @Test
    void aServerGoneAfterAcceptingIsAClosedConnectionNotASystemError() {
        client.ping();
        server.close();
        assertThatThrownBy(() -> client.request(Json.object().put("op", "ping")))
                .isInstanceOf(ControlException.class).hasMessageContaining("closed the control connection");
    }

    /** An instance binds before it creates its VMs; a client that comes meanwhile is answered only after. */
    @Test
    void aBoundServerAnswersNobodyUntilItAccepts() throws Exception {
        try (ControlServer bound = ControlServer.bind(dir.resolve("early.sock"), handler);
                ControlClient early = ControlClient.connect(bound.path())) {
            CountDownLatch answered = new CountDownLatch(1);
            Thread asking = new Thread(() -> {
                early.ping();
                answered.countDown();
            });
            asking.start();
            assertThat(answered.await(300, TimeUnit.MILLISECONDS)).as("answered before accept").isFalse();

            bound.accept();

            assertThat(answered.await(10, TimeUnit.SECONDS)).as("answered after accept").isTrue();
        }
    }

    @Test
    void handoverPrepareTakesTheMemoryModeAndVerifyOrRefusesThemClearly() {
        ObjectNode copy = Json.object().put("op", "handover-prepare").put("target", "/run/next.sock")
                .put("memory", "copy").put("verify", true);
        assertThatThrownBy(() -> client.request(copy)).hasMessageContaining("fake: no standby at /run/next.sock");
        int self = (int) ProcessHandle.current().pid();
        assertThat(handler.lastPrepare).as("the kernel's word for the client, not the request's")
                .isEqualTo(new PrepareRequest(Path.of("/run/next.sock"), MemoryMode.COPY, true, self));

        ObjectNode plain = Json.object().put("op", "handover-prepare").put("target", "/run/next.sock");
        assertThatThrownBy(() -> client.request(plain)).isInstanceOf(ControlException.class);
        assertThat(handler.lastPrepare).isEqualTo(new PrepareRequest(Path.of("/run/next.sock"), MemoryMode.REMAP,
                false, self));

        assertThatThrownBy(() -> client.request(plain.deepCopy().put("memory", "rsync")))
                .hasMessage("\"memory\" is \"remap\" or \"copy\", not \"rsync\"");
        assertThatThrownBy(() -> client.request(plain.deepCopy().put("verify", "yes")))
                .hasMessage("\"verify\" must be true or false, not \"yes\"");
        assertThat(handler.lastPrepare.memory()).isEqualTo(MemoryMode.REMAP);
    }

    @Test
    void infoRoundTrips() {
        assertThat(client.info()).isEqualTo(handler.info());
    }

    @Test
    void pauseAndResumeOneVmOrAll() {
        client.pause("db");
        assertThat(handler.state("db")).isEqualTo("paused");
        assertThat(handler.state("web")).isEqualTo("running");

        client.pause(null);
        assertThat(client.info().vms()).extracting(InstanceInfo.Vm::state).containsOnly("paused");

        client.resume("web");
        assertThat(handler.state("web")).isEqualTo("running");
        client.resume(null);
        assertThat(handler.state("db")).isEqualTo("running");
    }

    @Test
    void aHandlersExceptionBecomesAnErrorReplyWithItsSentence() {
        assertThatThrownBy(() -> client.pause("nope")).isInstanceOf(ControlException.class)
                .hasMessage("no VM named nope");
        client.ping();
    }

    @Test
    void errorRepliesCarryNoStackTrace() {
        assertThatThrownBy(() -> client.resume("wedged")).isInstanceOf(ControlException.class)
                .hasMessageContaining("vCPU 1 of wedged did not stop");

        ObjectNode raw = rawReply("{\"v\":1,\"op\":\"resume\",\"vm\":\"wedged\",\"id\":9}");
        assertThat(raw.get("ok").booleanValue()).isFalse();
        assertThat(raw.get("id").intValue()).isEqualTo(9);
        assertThat(raw.get("v").intValue()).isEqualTo(ControlProtocol.VERSION);
        assertThat(raw.get("error").textValue()).contains("vCPU 1 of wedged did not stop").doesNotContain("\tat ");
    }

    @Test
    void saveStateOfEveryVmDecodesToWhatTheHandlerSaved() {
        List<VmState> states = client.saveState(null);

        assertThat(states).containsExactlyElementsOf(handler.saved.values());
    }

    @Test
    void saveStateOfOneVmNamesItInTheReply() {
        Frame reply = client.request(Json.object().put("op", "save-state").put("vm", "db"));

        assertThat(reply.header().get("vms").toString()).isEqualTo("[\"db\"]");
        assertThat(reply.payloads()).hasSize(1);
        assertThat(client.saveState("db")).containsExactly(handler.saved.get("db"));
    }

    @Test
    void subscriberReceivesPublishedEventsInOrder() throws Exception {
        BlockingQueue<Event> received = new LinkedBlockingQueue<>();
        client.subscribe(received::add);

        server.publish(Event.heartbeat("web", new Heartbeat(1, 42, 1000, 7, 500, 0, 0, 10, 20, 0)));
        server.publish(Event.console("web", "login: "));
        server.publish(Event.guestLine("db", GuestLineParser.parse("ERR cpu=1 what=canary")));
        server.publish(Event.state("db", "paused"));

        Event heartbeat = received.poll(5, TimeUnit.SECONDS);
        assertThat(heartbeat.vm()).isEqualTo("web");
        assertThat(heartbeat.kind()).isEqualTo(Event.HEARTBEAT);
        assertThat(heartbeat.fields().get("seq").longValue()).isEqualTo(42);
        assertThat(heartbeat.fields().has("op")).isFalse();
        assertThat(received.poll(5, TimeUnit.SECONDS)).isEqualTo(Event.console("web", "login: "));
        Event line = received.poll(5, TimeUnit.SECONDS);
        assertThat(line.kind()).isEqualTo(Event.GUEST_LINE);
        assertThat(line.fields().get("type").textValue()).isEqualTo("ERR");
        assertThat(line.fields().get("fields").get("what").textValue()).isEqualTo("canary");
        assertThat(received.poll(5, TimeUnit.SECONDS)).isEqualTo(Event.state("db", "paused"));
    }

    @Test
    void aSlowSubscriberLosesCountedEventsAndNeverBlocksThePublisher() throws Exception {
        CountDownLatch release = new CountDownLatch(1);
        BlockingQueue<Event> received = new LinkedBlockingQueue<>();
        client.subscribe(e -> {
            await(release);
            received.add(e);
        });
        int published = 20 * Subscription.CAPACITY;

        assertTimeoutPreemptively(Duration.ofSeconds(2), () -> {
            for (int i = 0; i < published; i++) {
                server.publish(Event.console("web", "line " + i));
            }
        });
        release.countDown();

        long delivered = 0;
        long dropped = 0;
        while (delivered + dropped < published) {
            Event e = received.poll(5, TimeUnit.SECONDS);
            assertThat(e).as("after %d delivered and %d dropped", delivered, dropped).isNotNull();
            if (e.kind().equals(Event.DROPPED)) {
                dropped += e.fields().get("count").longValue();
            } else {
                delivered++;
            }
        }
        assertThat(dropped).isPositive();
        assertThat(delivered + dropped).isEqualTo(published);
    }

    @Test
    void aSubscribedConnectionServesNoMoreRequests() {
        client.subscribe(e -> { });

        assertThatThrownBy(() -> client.ping()).isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("open another");
    }

    @Test
    void subscribingTwiceOnOneConnectionIsAnError() {
        try (RawConnection raw = new RawConnection(server.path())) {
            raw.sendFrame("{\"v\":1,\"op\":\"subscribe\",\"id\":1}", 0);
            assertThat(raw.reply().get("ok").booleanValue()).isTrue();
            raw.sendFrame("{\"v\":1,\"op\":\"subscribe\",\"id\":2}", 0);
            assertThat(raw.reply().get("error").textValue()).isEqualTo("this connection is already subscribed");
        }
    }

    @Test
    void closingTheServerEndsClientsAndRemovesTheSocketFile() {
        server.close();

        assertThat(server.path()).doesNotExist();
        assertThatThrownBy(() -> client.ping()).isInstanceOf(RuntimeException.class);
    }

    @Test
    void aStaleSocketFileIsReplacedButALiveOneIsNot() throws Exception {
        Path stale = dir.resolve("stale.sock");
        try (ServerSocketChannel dead = ServerSocketChannel.open(StandardProtocolFamily.UNIX)) {
            dead.bind(UnixDomainSocketAddress.of(stale));
        }
        assertThat(stale).exists();

        try (ControlServer replaced = ControlServer.start(stale, handler);
                ControlClient c = ControlClient.connect(replaced.path())) {
            c.ping();
        }
        assertThatThrownBy(() -> ControlServer.start(server.path(), handler)).isInstanceOf(NameTakenException.class)
                .hasMessageContaining("another hfvisor holds its lock test.lock");
        Path regular = Files.writeString(dir.resolve("notes.sock"), "keep me");
        assertThatThrownBy(() -> ControlServer.start(regular, handler)).hasMessageContaining("not a socket");
    }

    /** The name's lock, not the socket file, decides: a live instance's name stays its own even if its file goes. */
    @Test
    void aNameWhoseLockIsHeldIsRefusedEvenWithoutItsSocketFile() throws Exception {
        Files.delete(server.path());

        assertThatThrownBy(() -> ControlServer.start(dir.resolve("test.sock"), handler))
                .isInstanceOf(NameTakenException.class);
        server.close();
        try (ControlServer again = ControlServer.start(dir.resolve("test.sock"), handler)) {
            assertThat(again.path()).exists();
        }
    }

    /** A clean-up that took the live socket too: the instance binds it again, its clients never noticed. */
    @Test
    void aDeletedSocketFileIsBoundAgain() throws Exception {
        Files.delete(server.path());

        awaitSocket(server.path());
        client.ping();
        try (ControlClient again = ControlClient.connect(server.path())) {
            again.ping();
        }
        assertThatThrownBy(() -> ControlServer.start(server.path(), handler)).isInstanceOf(NameTakenException.class);
    }

    /** The socket directory removed (a user's runtime directory at logout): made again, owner only, lock and all. */
    @Test
    void aRemovedSocketDirectoryIsMadeAgain() throws Exception {
        Path sub = Files.createDirectory(dir.resolve("sub"), PosixFilePermissions.asFileAttribute(
                PosixFilePermissions.fromString("rwx------")));
        try (ControlServer inSub = ControlServer.start(sub.resolve("web.sock"), handler)) {
            try (var files = Files.list(sub)) {
                for (Path f : files.toList()) {
                    Files.delete(f);
                }
            }
            Files.delete(sub);

            awaitSocket(inSub.path());
            assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(sub))).isEqualTo("rwx------");
            try (ControlClient c = ControlClient.connect(inSub.path())) {
                c.ping();
            }
            assertThatThrownBy(() -> ControlServer.start(inSub.path(), handler))
                    .isInstanceOf(NameTakenException.class);
        }
    }

    /** Another instance that took the name while it was free keeps it: two never serve one name. */
    @Test
    void aNameTakenWhileItsFilesWereGoneStaysWithItsNewHolder() throws Exception {
        Path path = server.path();
        Files.delete(path);
        Files.delete(dir.resolve("test.lock"));
        try (ControlServer other = ControlServer.start(path, handler)) {
            Object inode = Files.getAttribute(path, "unix:ino");

            Thread.sleep(3 * ControlServer.WATCH_MS);

            assertThat(Files.getAttribute(path, "unix:ino")).isEqualTo(inode);
            client.ping();   // the first one's connections go on
        }
    }

    private static void awaitSocket(Path path) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(5 * ControlServer.WATCH_MS);
        while (!Files.exists(path) && System.nanoTime() < deadline) {
            Thread.sleep(20);
        }
        assertThat(path).as("bound again").exists();
    }

    @Test
    void aSocketDirectoryOthersCanWriteToIsRefused() throws Exception {
        Path shared = Files.createDirectory(dir.resolve("shared"));
        assertThat(new ProcessBuilder("chmod", "1777", shared.toString()).start().waitFor()).isZero();

        assertThatThrownBy(() -> ControlServer.start(shared.resolve("web.sock"), handler))
                .hasMessageContaining("writable by others (mode 1777, sticky)");
        assertThat(shared.resolve("web.sock")).doesNotExist();
    }

    @Test
    void aSocketDirectoryOfAnotherUserIsRefused() throws Exception {
        Path theirs = Files.createDirectory(dir.resolve("theirs"));
        if ((Integer) Files.getAttribute(theirs, "unix:uid") == 0) {   // CI runs as root: give it to nobody
            assertThat(new ProcessBuilder("chown", "65534", theirs.toString()).start().waitFor()).isZero();
        }
        int owner = (Integer) Files.getAttribute(theirs, "unix:uid");

        assertThatThrownBy(() -> SocketDirectory.check(theirs, owner + 1000))
                .hasMessageContaining("belongs to uid " + owner);
        SocketDirectory.check(theirs, owner);
    }

    @Test
    void socketPathsFollowXdgRuntimeDir() throws Exception {
        Path runtime = Files.createDirectory(dir.resolve("runtime"));

        Path socketDir = ControlClient.socketDir(Map.of("XDG_RUNTIME_DIR", runtime.toString()));

        assertThat(socketDir).isEqualTo(runtime.resolve("hyperfresh")).isDirectory();
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(socketDir)))
                .isEqualTo("rwx------");
        assertThatThrownBy(() -> ControlClient.socketPath("../escape")).isInstanceOf(IllegalArgumentException.class);
    }

    private ObjectNode rawReply(String header) {
        try (RawConnection raw = new RawConnection(server.path())) {
            raw.sendFrame(header, 0);
            return raw.reply();
        }
    }

    private static void await(CountDownLatch latch) {
        try {
            latch.await();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
