package io.fleet.transport.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.fleet.api.DeployTarget;
import io.fleet.api.Host;
import io.fleet.api.TransportException;
import io.fleet.api.TransportException.Reason;
import io.fleet.api.data.FleetData;
import io.fleet.api.spi.Command;
import io.fleet.api.spi.CommandResult;
import io.fleet.api.spi.Connection;
import io.fleet.testkit.ExternalTools;
import io.fleet.transport.SshTransport;
import io.fleet.transport.internal.HostKeyCheck;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ThreadLocalRandom;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** {@link SshTransport} against real OpenSSH servers ({@link SshdHost}). */
class SshTransportTest {
  private static SshdHost alpha;
  private static SshdHost beta;

  @TempDir Path tmp;

  @BeforeAll
  static void startHosts() {
    alpha = SshdHost.start("alpha");
    beta = SshdHost.start("beta");
  }

  @AfterAll
  static void stopHosts() {
    if (alpha != null) {
      alpha.close();
    }
    if (beta != null) {
      beta.close();
    }
  }

  private static SshTransport.Builder pinned() {
    return SshTransport.builder()
        .pinnedHostKeys(Map.of("alpha", alpha.hostKeyLine(), "beta", beta.hostKeyLine()))
        .identityFile(SshdHost.clientKey())
        .connectTimeout(Duration.ofSeconds(5));
  }

  @Test
  void argumentsArriveUnchanged() {
    List<String> args =
        List.of(
            "plain",
            "with space",
            "  leading and trailing  ",
            "single ' quote",
            "double \" quote",
            "$HOME $(id) `id` ${PATH}",
            "semi; echo injected",
            "line one\nline two\n",
            "back\\slash \\n",
            "glob * ? [a-z]",
            "",
            "-n",
            "--",
            "unicode é ✓",
            "tab\there",
            "pipe | amp & redirect > /tmp/x < /etc/passwd",
            "#comment",
            "~root",
            "a=b");
    List<String> argv = new ArrayList<>(List.of("printf", "%s\\0"));
    argv.addAll(args);
    try (SshTransport ssh = pinned().build();
        Connection c = ssh.connect(alpha.host())) {
      CommandResult r = c.run(Command.of(argv));
      assertThat(r.exitCode()).as(r.stderrText()).isZero();
      List<String> received = splitNul(r.stdoutText());
      assertThat(received).containsExactlyElementsOf(args);
      assertThat(alpha.path("/tmp/x".replace("/tmp", "/run"))).doesNotExist();
    }
  }

  @Test
  void environmentValuesArriveUnchanged() {
    String weird = "it's \"quoted\" $HOME; echo x\nnext line";
    try (SshTransport ssh = pinned().build();
        Connection c = ssh.connect(alpha.host())) {
      CommandResult r =
          c.run(
              Command.builder()
                  .addArgv("sh", "-c", "printf '%s|%s' \"$FLEET_A\" \"$FLEET_B\"")
                  .putEnv("FLEET_A", weird)
                  .putEnv("FLEET_B", "")
                  .build());
      assertThat(r.stdoutText()).isEqualTo(weird + "|");
    }
  }

  @Test
  void exitCodeAndStderrAreAResultNotAnException() {
    try (SshTransport ssh = pinned().build();
        Connection c = ssh.connect(alpha.host())) {
      CommandResult r = c.run(Command.of("sh", "-c", "echo out; echo err >&2; exit 7"));
      assertThat(r.exitCode()).isEqualTo(7);
      assertThat(r.stdoutText()).isEqualTo("out\n");
      assertThat(r.stderrText()).isEqualTo("err\n");
      CommandResult missing = c.run(Command.of("/no/such/program"));
      assertThat(missing.exitCode()).isEqualTo(127);
    }
  }

  @Test
  void stdinFromTheCommandIsFed() {
    try (SshTransport ssh = pinned().build();
        Connection c = ssh.connect(alpha.host())) {
      byte[] data = "line 1\nline 2\n".getBytes(StandardCharsets.UTF_8);
      CommandResult r = c.run(Command.builder().addArgv("wc", "-l").stdin(data).build());
      assertThat(r.stdoutText().trim()).isEqualTo("2");
    }
  }

  @Test
  void streamsLargeInputAndOutputThroughTheHost() throws Exception {
    try (SshTransport ssh = pinned().build()) {
      assertRoundTrip(ssh, 96L * 1024 * 1024);
    }
  }

  @ParameterizedTest
  @ValueSource(
      strings = {
        "aes128-gcm@openssh.com",
        "aes256-gcm@openssh.com",
        "aes128-ctr",
        "aes192-ctr",
        "aes256-ctr",
        "chacha20-poly1305@openssh.com"
      })
  void everyPreferredCipherCarriesDataIntactBothWays(String cipher) throws Exception {
    // OpenSSH takes the client's first cipher it supports, so this one is used.
    try (SshTransport ssh = pinned().ciphers(cipher).build()) {
      assertRoundTrip(ssh, 3L * 1024 * 1024 + 17);
    }
  }

  @Test
  void anUnknownCipherIsRefusedWhenBuilding() {
    assertThatThrownBy(() -> pinned().ciphers("rot13").build())
        .isInstanceOf(io.fleet.api.FleetConfigException.class)
        .hasMessageContaining("'rot13' is not supported")
        .hasMessageContaining("aes128-gcm@openssh.com");
  }

  private static void assertRoundTrip(SshTransport ssh, long size) throws Exception {
    MessageDigest sent = MessageDigest.getInstance("SHA-256");
    MessageDigest got = MessageDigest.getInstance("SHA-256");
    InputStream source = new RandomStream(size, sent);
    long[] count = new long[1];
    OutputStream sink =
        new OutputStream() {
          @Override
          public void write(int b) {
            got.update((byte) b);
            count[0]++;
          }

          @Override
          public void write(byte[] b, int off, int len) {
            got.update(b, off, len);
            count[0] += len;
          }
        };
    try (Connection c = ssh.connect(alpha.host())) {
      CommandResult r = c.run(Command.of("cat"), source, sink);
      assertThat(r.exitCode()).isZero();
      assertThat(r.stdout()).isEmpty();
    }
    assertThat(count[0]).isEqualTo(size);
    assertThat(HexFormat.of().formatHex(got.digest()))
        .isEqualTo(HexFormat.of().formatHex(sent.digest()));
  }

  @Test
  void commandsRunConcurrentlyOnOneConnection() throws Exception {
    try (SshTransport ssh = pinned().build();
        Connection c = ssh.connect(alpha.host())) {
      ExecutorService pool = Executors.newFixedThreadPool(6);
      long start = System.nanoTime();
      List<Future<CommandResult>> results = new ArrayList<>();
      for (int i = 0; i < 6; i++) {
        int n = i;
        results.add(pool.submit(() -> c.run(Command.of("sh", "-c", "sleep 1; echo " + n))));
      }
      for (int i = 0; i < 6; i++) {
        assertThat(results.get(i).get().stdoutText()).isEqualTo(i + "\n");
      }
      pool.shutdown();
      assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(4));
      assertThat(ssh.connectionsOpened("alpha")).isEqualTo(1);
    }
  }

  @Test
  void moreChannelsThanSshdAllowsIsAClearError() throws Exception {
    // SshdHost allows 64 sessions per connection (MaxSessions).
    try (SshTransport ssh = pinned().build();
        Connection c = ssh.connect(alpha.host())) {
      ExecutorService pool = Executors.newFixedThreadPool(70);
      List<Future<CommandResult>> results = new ArrayList<>();
      for (int i = 0; i < 70; i++) {
        results.add(pool.submit(() -> c.run(Command.of("sleep", "2"))));
      }
      int ok = 0;
      List<TransportException> refused = new ArrayList<>();
      for (Future<CommandResult> f : results) {
        try {
          if (f.get().isSuccess()) {
            ok++;
          }
        } catch (java.util.concurrent.ExecutionException e) {
          refused.add((TransportException) e.getCause());
        }
      }
      pool.shutdown();
      assertThat(ok).isEqualTo(64);
      assertThat(refused).hasSize(6);
      assertThat(refused.get(0).reason()).isEqualTo(Reason.OTHER);
      assertThat(refused.get(0).getMessage()).contains("alpha", "MaxSessions");
      assertThat(c.run(Command.of("true")).isSuccess()).isTrue();
    }
  }

  @Test
  void aCommandThatOutlivesItsTimeoutIsStoppedAndTheConnectionStaysUsable() {
    try (SshTransport ssh = pinned().build();
        Connection c = ssh.connect(alpha.host())) {
      long start = System.nanoTime();
      assertThatThrownBy(
              () ->
                  c.run(
                      Command.builder()
                          .addArgv("sleep", "30")
                          .timeout(Duration.ofSeconds(1))
                          .build()))
          .isInstanceOfSatisfying(
              TransportException.class,
              e -> {
                assertThat(e.reason()).isEqualTo(Reason.TIMEOUT);
                assertThat(e.host()).isEqualTo("alpha");
                assertThat(e.getMessage()).contains("sleep 30", "alpha", "within 1s");
              });
      assertThat(Duration.ofNanos(System.nanoTime() - start))
          .as(alpha.sshdLog())
          .isLessThan(Duration.ofSeconds(10));
      assertThat(c.isOpen()).isTrue();
      assertThat(c.run(Command.of("echo", "still here")).stdoutText()).isEqualTo("still here\n");
    }
  }

  @Test
  void eachConnectOpensANewConnectionAndCloseIsIdempotent() {
    int before = alpha.acceptedLogins();
    SshTransport ssh = pinned().build();
    Connection a = ssh.connect(alpha.host());
    Connection b = ssh.connect(alpha.host());
    assertThat(a).isNotSameAs(b);
    assertThat(ssh.connectionsOpened("alpha")).isEqualTo(2);
    assertThat(alpha.acceptedLogins() - before).isEqualTo(2);
    a.close();
    a.close();
    assertThat(a.isOpen()).isFalse();
    assertThatThrownBy(() -> a.run(Command.of("true")))
        .isInstanceOfSatisfying(
            TransportException.class,
            e -> assertThat(e.reason()).isEqualTo(Reason.CONNECTION_LOST));
    assertThat(b.isOpen()).isTrue();
    ssh.close();
    ssh.close();
    assertThat(b.isOpen()).isFalse();
  }

  @Test
  void pinnedKeyFromFleetDataIsAccepted() {
    FleetData data = FleetData.empty().withHostKey("alpha", alpha.hostKeyLine());
    try (SshTransport ssh =
            SshTransport.builder()
                .pinnedHostKeys(data)
                .knownHosts(tmp.resolve("no-known-hosts"))
                .identityFile(SshdHost.clientKey())
                .build();
        Connection c = ssh.connect(alpha.host())) {
      assertThat(c.run(Command.of("cat", "/etc/ssh/ssh_host_ed25519_key.pub")).stdoutText().trim())
          .isEqualTo(alpha.hostKeyLine());
    }
  }

  @Test
  void aWrongPinnedKeyRefusesNamingHostAndBothFingerprints() {
    // beta's key pinned for alpha: alpha offers a different one.
    try (SshTransport ssh =
        SshTransport.builder()
            .pinnedHostKeys(Map.of("alpha", beta.hostKeyLine()))
            .acceptUnknownHostKeys(true)
            .identityFile(SshdHost.clientKey())
            .build()) {
      int before = alpha.acceptedLogins();
      assertThatThrownBy(() -> ssh.connect(alpha.host()))
          .isInstanceOfSatisfying(
              TransportException.class,
              e -> {
                assertThat(e.reason()).isEqualTo(Reason.HOST_KEY_MISMATCH);
                assertThat(e.host()).isEqualTo("alpha");
                assertThat(e.getMessage())
                    .contains(
                        "alpha",
                        HostKeyCheck.fingerprintOfLine(beta.hostKeyLine()),
                        HostKeyCheck.fingerprintOfLine(alpha.hostKeyLine()),
                        "refusing");
              });
      assertThat(alpha.acceptedLogins()).isEqualTo(before);
    }
  }

  @Test
  void anUnknownKeyIsRefusedUnlessAcceptingIsEnabled() throws IOException {
    Path empty = Files.writeString(tmp.resolve("known_hosts"), "");
    try (SshTransport ssh =
        SshTransport.builder().knownHosts(empty).identityFile(SshdHost.clientKey()).build()) {
      assertThatThrownBy(() -> ssh.connect(alpha.host()))
          .isInstanceOfSatisfying(
              TransportException.class,
              e -> {
                assertThat(e.reason()).isEqualTo(Reason.HOST_KEY_UNKNOWN);
                assertThat(e.getMessage())
                    .contains("alpha", HostKeyCheck.fingerprintOfLine(alpha.hostKeyLine()));
              });
    }
    try (SshTransport ssh =
            SshTransport.builder()
                .knownHosts(empty)
                .acceptUnknownHostKeys(true)
                .identityFile(SshdHost.clientKey())
                .build();
        Connection c = ssh.connect(alpha.host())) {
      assertThat(c.run(Command.of("true")).isSuccess()).isTrue();
    }
  }

  @Test
  void knownHostsDecidesWithoutAPin() throws IOException {
    Path good =
        Files.writeString(
            tmp.resolve("good"), "[127.0.0.1]:" + alpha.port() + " " + alpha.hostKeyLine() + "\n");
    try (SshTransport ssh =
            SshTransport.builder().knownHosts(good).identityFile(SshdHost.clientKey()).build();
        Connection c = ssh.connect(alpha.host())) {
      assertThat(c.run(Command.of("true")).isSuccess()).isTrue();
    }
    Path bad =
        Files.writeString(
            tmp.resolve("bad"), "[127.0.0.1]:" + alpha.port() + " " + beta.hostKeyLine() + "\n");
    try (SshTransport ssh =
        SshTransport.builder()
            .knownHosts(bad)
            .acceptUnknownHostKeys(true)
            .identityFile(SshdHost.clientKey())
            .build()) {
      assertThatThrownBy(() -> ssh.connect(alpha.host()))
          .isInstanceOfSatisfying(
              TransportException.class,
              e -> {
                assertThat(e.reason()).isEqualTo(Reason.HOST_KEY_MISMATCH);
                assertThat(e.getMessage())
                    .contains(
                        HostKeyCheck.fingerprintOfLine(beta.hostKeyLine()),
                        HostKeyCheck.fingerprintOfLine(alpha.hostKeyLine()),
                        "ssh-keygen -R");
              });
    }
  }

  @Test
  void aWrongUserKeyIsAClearAuthenticationError() {
    Path wrong = SshdHost.generateKey(tmp.resolve("wrong_ed25519"), "wrong");
    try (SshTransport ssh =
        SshTransport.builder()
            .pinnedHostKeys(Map.of("alpha", alpha.hostKeyLine()))
            .identityFile(wrong)
            .build()) {
      assertThatThrownBy(() -> ssh.connect(alpha.host()))
          .isInstanceOfSatisfying(
              TransportException.class,
              e -> {
                assertThat(e.reason()).isEqualTo(Reason.AUTHENTICATION);
                assertThat(e.host()).isEqualTo("alpha");
                assertThat(e.getMessage())
                    .contains("alpha", "root", wrong.toString(), "authorized_keys");
              });
    }
  }

  @Test
  void aClosedPortIsAClearConnectionError() throws IOException {
    int port;
    try (ServerSocket s = new ServerSocket(0)) {
      port = s.getLocalPort();
    }
    Host h =
        Host.builder()
            .name("nowhere")
            .target(DeployTarget.builder().address("127.0.0.1").port(port).build())
            .build();
    try (SshTransport ssh = pinned().connectTimeout(Duration.ofSeconds(2)).build()) {
      long start = System.nanoTime();
      assertThatThrownBy(() -> ssh.connect(h))
          .isInstanceOfSatisfying(
              TransportException.class,
              e -> {
                assertThat(e.reason()).isEqualTo(Reason.UNREACHABLE);
                assertThat(e.host()).isEqualTo("nowhere");
                assertThat(e.getMessage()).contains("nowhere", "127.0.0.1:" + port, "sshd");
              });
      assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(2));
    }
  }

  @Test
  void aPortThatNeverAnswersFailsWithinTheConnectTimeout() throws IOException {
    // The kernel completes the TCP handshake (backlog) but nothing ever speaks SSH.
    try (ServerSocket silent = new ServerSocket(0, 50, java.net.InetAddress.getLoopbackAddress());
        SshTransport ssh = pinned().connectTimeout(Duration.ofSeconds(2)).build()) {
      Host h =
          Host.builder()
              .name("silent")
              .target(
                  DeployTarget.builder().address("127.0.0.1").port(silent.getLocalPort()).build())
              .build();
      long start = System.nanoTime();
      assertThatThrownBy(() -> ssh.connect(h))
          .isInstanceOfSatisfying(
              TransportException.class,
              e -> {
                assertThat(e.reason()).isEqualTo(Reason.UNREACHABLE);
                assertThat(e.getMessage()).contains("silent", "connect timeout of 2s");
              });
      Duration took = Duration.ofNanos(System.nanoTime() - start);
      assertThat(took).isGreaterThanOrEqualTo(Duration.ofMillis(1500));
      assertThat(took).isLessThan(Duration.ofSeconds(5));
    }
  }

  @Test
  void jumpsThroughAnotherHostWithProxyJumpSemantics() throws IOException {
    // alpha is the jump host (checked against known_hosts), beta the target (pinned).
    Path knownHosts =
        Files.writeString(
            tmp.resolve("kh"), "[127.0.0.1]:" + alpha.port() + " " + alpha.hostKeyLine() + "\n");
    Host viaAlpha =
        Host.builder()
            .name("beta")
            .target(
                DeployTarget.builder()
                    .address("127.0.0.1")
                    .port(beta.port())
                    .jumpHost(alpha.target())
                    .build())
            .build();
    int alphaBefore = alpha.acceptedLogins();
    int betaBefore = beta.acceptedLogins();
    try (SshTransport ssh =
            SshTransport.builder()
                .pinnedHostKeys(Map.of("beta", beta.hostKeyLine()))
                .knownHosts(knownHosts)
                .identityFile(SshdHost.clientKey())
                .build();
        Connection c = ssh.connect(viaAlpha)) {
      assertThat(c.run(Command.of("cat", "/etc/ssh/ssh_host_ed25519_key.pub")).stdoutText().trim())
          .isEqualTo(beta.hostKeyLine());
    }
    assertThat(alpha.acceptedLogins() - alphaBefore).isEqualTo(1);
    assertThat(beta.acceptedLogins() - betaBefore).isEqualTo(1);
    assertThat(beta.sshdLog()).contains("Accepted publickey for root from 127.0.0.1");
  }

  @Test
  void aDroppedConnectionIsReportedAsLost() throws Exception {
    try (SshdHost gamma = SshdHost.start("gamma");
        SshTransport ssh =
            SshTransport.builder()
                .pinnedHostKeys(Map.of("gamma", gamma.hostKeyLine()))
                .identityFile(SshdHost.clientKey())
                .build()) {
      Connection c = ssh.connect(gamma.host());
      ExecutorService pool = Executors.newSingleThreadExecutor();
      Future<CommandResult> running = pool.submit(() -> c.run(Command.of("sleep", "30")));
      Thread.sleep(500);
      long start = System.nanoTime();
      gamma.killSshd();
      assertThatThrownBy(running::get)
          .hasCauseInstanceOf(TransportException.class)
          .satisfies(
              e -> {
                TransportException t = (TransportException) e.getCause();
                assertThat(t.reason()).isEqualTo(Reason.CONNECTION_LOST);
                assertThat(t.getMessage()).contains("gamma", "sleep 30");
              });
      assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(10));
      assertThat(c.isOpen()).isFalse();
      pool.shutdown();
      assertThatThrownBy(() -> ssh.connect(gamma.host()))
          .isInstanceOfSatisfying(
              TransportException.class, e -> assertThat(e.reason()).isEqualTo(Reason.UNREACHABLE));
      gamma.restartSshd();
      try (Connection again = ssh.connect(gamma.host())) {
        assertThat(again.run(Command.of("true")).isSuccess()).isTrue();
      }
    }
  }

  @Test
  void randomArgumentsArriveUnchanged() {
    java.util.Random random = new java.util.Random(20261126);
    String alphabet = " \t\n'\"\\$`;&|<>(){}[]*?~#!=%^,.:/-_+@aZ09éß✓\u0001\u007f";
    List<String> args = new ArrayList<>();
    for (int i = 0; i < 300; i++) {
      StringBuilder sb = new StringBuilder();
      int len = random.nextInt(12);
      for (int j = 0; j < len; j++) {
        sb.append(alphabet.charAt(random.nextInt(alphabet.length())));
      }
      args.add(sb.toString());
    }
    List<String> argv = new ArrayList<>(List.of("printf", "%s\\0"));
    argv.addAll(args);
    try (SshTransport ssh = pinned().build();
        Connection c = ssh.connect(alpha.host())) {
      CommandResult r = c.run(Command.of(argv));
      assertThat(r.exitCode()).as(r.stderrText()).isZero();
      assertThat(splitNul(r.stdoutText())).containsExactlyElementsOf(args);
    }
  }

  @Test
  void keepalivesHoldAQuietConnectionAndASilentHostIsDeclaredLost() throws Exception {
    try (SshdHost delta = SshdHost.start("delta");
        SshTransport ssh =
            SshTransport.builder()
                .pinnedHostKeys(Map.of("delta", delta.hostKeyLine()))
                .identityFile(SshdHost.clientKey())
                .idleTimeout(Duration.ofSeconds(3))
                .keepAliveInterval(Duration.ofSeconds(1))
                .build()) {
      Connection c = ssh.connect(delta.host());
      Thread.sleep(4500);
      assertThat(c.isOpen()).as("a quiet connection outlives the idle timeout").isTrue();
      assertThat(c.run(Command.of("echo", "awake")).stdoutText()).isEqualTo("awake\n");
      ExecutorService pool = Executors.newSingleThreadExecutor();
      Future<CommandResult> running = pool.submit(() -> c.run(Command.of("sleep", "20")));
      Thread.sleep(300);
      delta.freeze();
      try {
        long start = System.nanoTime();
        assertThatThrownBy(() -> running.get(20, java.util.concurrent.TimeUnit.SECONDS))
            .hasCauseInstanceOf(TransportException.class)
            .satisfies(
                e ->
                    assertThat(((TransportException) e.getCause()).reason())
                        .isEqualTo(Reason.CONNECTION_LOST));
        assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(8));
      } finally {
        delta.thaw();
        pool.shutdown();
      }
    }
  }

  @Test
  void authenticatesWithTheKeysOfAnSshAgent() throws Exception {
    ExternalTools.require("ssh-agent");
    Path ed = SshdHost.generateKey(tmp.resolve("agent_ed25519"), "agent-ed25519");
    Path rsa = tmp.resolve("agent_rsa");
    Process keygen =
        new ProcessBuilder(
                "ssh-keygen", "-q", "-t", "rsa", "-b", "2048", "-N", "", "-f", rsa.toString())
            .inheritIO()
            .start();
    assertThat(keygen.waitFor()).isZero();
    Path socket = tmp.resolve("agent.sock");
    Process agent =
        new ProcessBuilder("ssh-agent", "-D", "-a", socket.toString())
            .redirectErrorStream(true)
            .redirectOutput(ProcessBuilder.Redirect.DISCARD)
            .start();
    try {
      long deadline = System.nanoTime() + Duration.ofSeconds(5).toNanos();
      while (!Files.exists(socket) && System.nanoTime() < deadline) {
        Thread.sleep(20);
      }
      SshTransport.Builder viaAgent =
          SshTransport.builder()
              .pinnedHostKeys(Map.of("beta", beta.hostKeyLine()))
              .knownHosts(tmp.resolve("none"))
              .sshAgent(socket);
      // An agent without the authorized key: a clear authentication error that names the agent.
      try (SshTransport ssh = viaAgent.build()) {
        assertThatThrownBy(() -> ssh.connect(beta.host()))
            .isInstanceOfSatisfying(
                TransportException.class,
                e -> {
                  assertThat(e.reason()).isEqualTo(Reason.AUTHENTICATION);
                  assertThat(e.getMessage()).contains("ssh-agent at " + socket);
                });
      }
      // Each key type alone: RSA (signed rsa-sha2-256 by the agent) and ed25519.
      for (Path key : List.of(rsa, ed)) {
        ProcessBuilder clear = new ProcessBuilder("ssh-add", "-q", "-D").inheritIO();
        clear.environment().put("SSH_AUTH_SOCK", socket.toString());
        assertThat(clear.start().waitFor()).isZero();
        ProcessBuilder add = new ProcessBuilder("ssh-add", "-q", key.toString()).inheritIO();
        add.environment().put("SSH_AUTH_SOCK", socket.toString());
        assertThat(add.start().waitFor()).isZero();
        beta.authorize(Files.readString(Path.of(key + ".pub")));
        int before = beta.acceptedLogins();
        try (SshTransport ssh = viaAgent.build();
            Connection c = ssh.connect(beta.host())) {
          assertThat(c.run(Command.of("echo", "via agent")).stdoutText()).isEqualTo("via agent\n");
        }
        assertThat(beta.acceptedLogins()).isEqualTo(before + 1);
      }
      assertThat(beta.sshdLog())
          .containsPattern("Accepted publickey for root .* RSA SHA256:")
          .containsPattern("Accepted publickey for root .* ED25519 SHA256:");
    } finally {
      agent.destroy();
      agent.waitFor();
    }
  }

  private static List<String> splitNul(String s) {
    List<String> parts = new ArrayList<>(Arrays.asList(s.split("\0", -1)));
    parts.remove(parts.size() - 1);
    return parts;
  }

  /** {@code size} pseudo-random bytes, generated as read, digested into {@code digest}. */
  private static final class RandomStream extends InputStream {
    private long left;
    private final MessageDigest digest;

    RandomStream(long size, MessageDigest digest) {
      this.left = size;
      this.digest = digest;
    }

    @Override
    public int read() {
      byte[] b = new byte[1];
      return read(b, 0, 1) == -1 ? -1 : b[0] & 0xff;
    }

    @Override
    public int read(byte[] b, int off, int len) {
      if (left == 0) {
        return -1;
      }
      int n = (int) Math.min(len, left);
      byte[] chunk = new byte[n];
      ThreadLocalRandom.current().nextBytes(chunk);
      System.arraycopy(chunk, 0, b, off, n);
      digest.update(chunk);
      left -= n;
      return n;
    }
  }
}
