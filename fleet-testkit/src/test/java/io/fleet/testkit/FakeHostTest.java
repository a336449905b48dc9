package io.fleet.testkit;

import static io.fleet.testkit.FleetAssertions.assertThat;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.fleet.api.Fleet;
import io.fleet.api.TransportException;
import io.fleet.api.deploy.HostProtocol;
import io.fleet.api.spi.Command;
import io.fleet.api.spi.CommandResult;
import io.fleet.api.spi.Connection;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

class FakeHostTest {
  @RegisterExtension
  final FakeFleet fake =
      FakeFleet.of(Fleet.builder().host("a", h -> {}).host("b", h -> {}).build());

  @Test
  void unknownCommandsFailLoudlyAndAreRecorded() {
    try (Connection c = fake.transport().connect(fake.fleet().host("a"))) {
      assertThatThrownBy(() -> c.run(Command.of("rm", "-rf", "/")))
          .isInstanceOf(TransportException.class)
          .hasMessageContaining("rm -rf /")
          .satisfies(
              e ->
                  assertThat(((TransportException) e).reason())
                      .isEqualTo(TransportException.Reason.UNSUPPORTED_COMMAND));
    }
    assertThat(fake.host("a").unsupportedCommands()).hasSize(1);
    assertThatThrownBy(() -> assertThat(fake.host("a")).receivedOnlyKnownCommands())
        .isInstanceOf(AssertionError.class)
        .hasMessageContaining("rm -rf /");
  }

  @Test
  void handlersTeachCommands() {
    fake.host("b")
        .onCommand(
            (h, c) ->
                c.argv().equals(List.of("hostname"))
                    ? Optional.of(CommandResult.of(0, h.name() + "\n", ""))
                    : Optional.empty());
    try (Connection c = fake.transport().connect(fake.fleet().host("b"))) {
      assertThat(c.run(Command.of("hostname")).stdoutText()).isEqualTo("b\n");
    }
    assertThat(fake.host("b").commands())
        .extracting(FakeCommand::op)
        .containsExactly(FakeHost.Op.CUSTOM);
  }

  @Test
  void statusReportsMissingPathsAndImportAddsThem() {
    String next = fake.newSystem("a");
    List<String> closure =
        fake.evaluator().closure(List.of(next)).stream().map(p -> p.path()).toList();
    try (Connection c = fake.transport().connect(fake.fleet().host("a"))) {
      CommandResult st = c.run(HostProtocol.status(closure, false, null));
      List<String> missing = HostProtocol.parse(st.stdoutText()).get("missing");
      assertThat(missing).hasSize(3).contains(next);
      ByteArrayOutputStream export = new ByteArrayOutputStream();
      fake.evaluator().export(missing, export);
      ByteArrayOutputStream out = new ByteArrayOutputStream();
      CommandResult imp =
          c.run(
              HostProtocol.importPaths(false, null),
              new ByteArrayInputStream(export.toByteArray()),
              out);
      assertThat(imp.isSuccess()).isTrue();
      assertThat(out.toString(StandardCharsets.UTF_8).split("\n"))
          .containsExactlyElementsOf(missing);
    }
    assertThat(fake.host("a").hasPath(next)).isTrue();
  }

  @Test
  void theWatchdogRollsBackOnTheVirtualClock() {
    FakeHost a = fake.host("a");
    String next = fake.newSystem("a");
    a.cacheHas(fake.evaluator().closure(List.of(next)).stream().map(p -> p.path()).toList());
    try (Connection c = fake.transport().connect(fake.fleet().host("a"))) {
      c.run(HostProtocol.substitute(List.of(next), false, null));
      CommandResult armed = c.run(HostProtocol.arm("d1", 60, Optional.of(next), false, null));
      assertThat(HostProtocol.parse(armed.stdoutText()))
          .containsEntry("previous-generation", List.of("1"))
          .containsEntry("previous-current", List.of(fake.initialSystem("a")))
          .containsEntry("generation", List.of("2"));
      c.run(HostProtocol.activate(next, "switch", false, null));
    }
    assertThat(a).isOnGeneration(2).isRunning(next).hasRollbackMarker();
    fake.clock().advance(Duration.ofSeconds(59));
    assertThat(a).isOnGeneration(2);
    fake.clock().advance(Duration.ofSeconds(1));
    assertThat(a)
        .rolledBackBy("watchdog")
        .isOnGeneration(1)
        .isRunning(fake.initialSystem("a"))
        .hasNoRollbackMarker();
  }

  @Test
  void closeTwiceIsFine() {
    fake.close();
    fake.close();
    assertThatThrownBy(() -> fake.transport().connect(fake.fleet().host("a")))
        .isInstanceOf(TransportException.class);
  }

  @Test
  void theHostKeyIsARealOpenSshKeyPair(@TempDir Path dir) throws Exception {
    FakeHost a = fake.host("a");
    assertThat(a.publicKey())
        .startsWith("ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAI")
        .endsWith(" root@a");
    assertThat(a.readFile("/etc/ssh/ssh_host_ed25519_key.pub").map(String::new))
        .contains(a.publicKey() + "\n");
    assertThat(a.privateKeyOpenSsh())
        .startsWith("-----BEGIN OPENSSH PRIVATE KEY-----\n")
        .endsWith("-----END OPENSSH PRIVATE KEY-----\n");
    Path sshKeygen = ExternalTools.require("ssh-keygen");
    Path key = dir.resolve("id");
    Files.writeString(key, a.privateKeyOpenSsh());
    Files.setPosixFilePermissions(key, PosixFilePermissions.fromString("rw-------"));
    Process p =
        new ProcessBuilder(sshKeygen.toString(), "-y", "-f", key.toString())
            .redirectErrorStream(true)
            .start();
    assertThat(p.waitFor(20, TimeUnit.SECONDS)).isTrue();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
    assertThat(p.exitValue()).as(out).isZero();
    assertThat(out).isEqualTo(a.publicKey());
  }

  @Test
  void ageEncryptsToTheHostKeyAndDecryptsWithIt(@TempDir Path dir) throws Exception {
    Path age = ExternalTools.require("age");
    FakeHost a = fake.host("a");
    Path key = dir.resolve("ssh_host_ed25519_key");
    Files.writeString(key, a.privateKeyOpenSsh());
    Files.setPosixFilePermissions(key, PosixFilePermissions.fromString("rw-------"));
    Path pub = dir.resolve("key.pub");
    Files.writeString(pub, a.publicKey() + "\n");
    Path plain = dir.resolve("plain");
    Files.writeString(plain, "hello fleet");
    Path enc = dir.resolve("enc.age");
    run(age.toString(), "-R", pub.toString(), "-o", enc.toString(), plain.toString());
    String dec = run(age.toString(), "-d", "-i", key.toString(), enc.toString());
    assertThat(dec).isEqualTo("hello fleet");
  }

  private static String run(String... argv) throws Exception {
    Process p = new ProcessBuilder(argv).redirectErrorStream(true).start();
    assertThat(p.waitFor(20, TimeUnit.SECONDS)).isTrue();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(p.exitValue()).as(String.join(" ", argv) + ": " + out).isZero();
    return out;
  }
}
