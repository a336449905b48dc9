package io.fleet.transport.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import io.fleet.api.Fleet;
import io.fleet.api.Generators;
import io.fleet.api.Host;
import io.fleet.api.data.FleetData;
import io.fleet.api.data.JsonFleetDataStore;
import io.fleet.api.data.SharedSecretData;
import io.fleet.api.data.StoredSecret;
import io.fleet.api.spi.Connection;
import io.fleet.secrets.RotationAction;
import io.fleet.secrets.RotationResult;
import io.fleet.secrets.RotationStep;
import io.fleet.secrets.SecretRotation;
import io.fleet.testkit.ExternalTools;
import io.fleet.transport.LocalTransport;
import io.fleet.transport.SshTransport;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.function.Consumer;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Secret rotation end to end against real OpenSSH hosts ({@link SshdHost}) with the real {@code
 * age} CLI on them: host keys fetched over SSH, a script generator run on a host (encrypting
 * there), and re-encryption on an owner host in one {@code age -d | age -r} pipe; checked by
 * decrypting with the hosts' key files through the real {@code age} CLI.
 */
class SecretRotationSshTest {
  private static SshdHost a;
  private static SshdHost b;
  private static SshdHost c;
  private static Path age;

  @TempDir Path dir;

  @BeforeAll
  static void start() {
    age = ExternalTools.require("age");
    a = SshdHost.start("a");
    b = SshdHost.start("b");
    c = SshdHost.start("c");
  }

  @AfterAll
  static void stop() {
    for (SshdHost h : new SshdHost[] {a, b, c}) {
      if (h != null) {
        h.close();
      }
    }
  }

  private static Fleet fleet(Consumer<Fleet.Builder> secrets) {
    Fleet.Builder f = Fleet.builder();
    for (SshdHost h : List.of(a, b, c)) {
      Host host = h.host();
      f.host(host);
    }
    secrets.accept(f);
    return f.build().validate();
  }

  private static SshTransport transport() {
    return SshTransport.builder()
        .pinnedHostKeys(Map.of("a", a.hostKeyLine(), "b", b.hostKeyLine(), "c", c.hostKeyLine()))
        .identityFile(SshdHost.clientKey())
        .connectTimeout(Duration.ofSeconds(5))
        .build();
  }

  /** Decrypts with the real age CLI and {@code host}'s SSH host key file; null if it cannot. */
  private static byte[] ageDecrypt(SshdHost host, byte[] ageFile) throws Exception {
    Path file = Files.createTempFile("e2e", ".age");
    try {
      Files.write(file, ageFile);
      Process p =
          new ProcessBuilder(
                  age.toString(), "-d", "-i", host.hostPrivateKey().toString(), file.toString())
              .start();
      CompletableFuture<byte[]> out =
          CompletableFuture.supplyAsync(() -> readAll(p.getInputStream()));
      readAll(p.getErrorStream());
      return p.waitFor() == 0 ? out.join() : null;
    } finally {
      Files.deleteIfExists(file);
    }
  }

  private static byte[] readAll(InputStream in) {
    try {
      ByteArrayOutputStream o = new ByteArrayOutputStream();
      in.transferTo(o);
      return o.toByteArray();
    } catch (IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }

  @Test
  void generatesOnHostsAndReencryptsOnAnOwnerHostWithTheRealAgeCli() throws Exception {
    String script =
        "printf 'host-side public' > $out/public\n"
            + "head -c 24 /dev/urandom | base64 | encrypt > $out/secret\n"
            + "date -u -d @2000000000 +%Y-%m-%dT%H:%M:%SZ > $out/expires_at\n";
    Fleet before =
        fleet(
            f ->
                f.sharedSecret(
                        "db",
                        s ->
                            s.expectedOwners("a", "b")
                                .regenerateOnOwnerAdded(false)
                                .generator(Generators.password()))
                    .sharedSecret(
                        "impure",
                        s ->
                            s.expectedOwners("a", "b")
                                .regenerateOnOwnerAdded(false)
                                .generator(Generators.script(script).onHost("c")))
                    .host(
                        "b", h -> h.secret("local", s -> s.generator(Generators.script(script)))));
    JsonFleetDataStore store = JsonFleetDataStore.at(dir.resolve("fleet.json"));
    try (SshTransport ssh = transport();
        LocalTransport local = new LocalTransport();
        Connection here = local.connect(Host.builder().name("localhost").build())) {
      RotationResult first =
          SecretRotation.builder()
              .fleet(before)
              .store(store)
              .transport(ssh)
              .localConnection(here)
              .build()
              .run();
      // Only owners' keys are needed: c runs a generator but owns nothing yet.
      assertThat(first.fetchedHostKeys()).containsOnlyKeys("a", "b");
      assertThat(first.done())
          .extracting(RotationStep::action)
          .containsOnly(RotationAction.GENERATE);
      FleetData d = store.load();
      assertThat(d.hostKey("a").get()).isEqualTo(firstTwo(a.hostKeyLine()));

      StoredSecret impure = d.sharedSecret("impure").get().secret();
      assertThat(impure.part("public").get().text()).isEqualTo("host-side public");
      assertThat(impure.expiresAt())
          .hasValueSatisfying(t -> assertThat(t.getEpochSecond()).isEqualTo(2000000000L));
      byte[] impureValue = ageDecrypt(a, impure.part("secret").get().bytes());
      assertThat(impureValue)
          .isNotNull()
          .isEqualTo(ageDecrypt(b, impure.part("secret").get().bytes()));
      // Host c ran the script but does not own the secret: it cannot decrypt what it made.
      assertThat(ageDecrypt(c, impure.part("secret").get().bytes())).isNull();
      byte[] localValue =
          ageDecrypt(b, d.hostSecret("b", "local").get().part("secret").get().bytes());
      assertThat(localValue).isNotNull();
      byte[] dbValue =
          ageDecrypt(b, d.sharedSecret("db").get().secret().part("secret").get().bytes());
      assertThat(dbValue).hasSize(32);

      // Owners change from {a, b} to {a, c}: re-encrypted on host a over SSH.
      Fleet after =
          fleet(
              f ->
                  f.sharedSecret(
                          "db",
                          s ->
                              s.expectedOwners("a", "c")
                                  .regenerateOnOwnerAdded(false)
                                  .generator(Generators.password()))
                      .sharedSecret(
                          "impure",
                          s ->
                              s.expectedOwners("a", "c")
                                  .regenerateOnOwnerAdded(false)
                                  .generator(Generators.script(script).onHost("c")))
                      .host(
                          "b",
                          h -> h.secret("local", s -> s.generator(Generators.script(script)))));
      int loginsOnA = a.acceptedLogins();
      RotationResult second =
          SecretRotation.builder().fleet(after).store(store).transport(ssh).build().run();
      // Re-encryptions run in parallel, so they finish in any order.
      assertThat(second.done())
          .extracting(RotationStep::id, RotationStep::action)
          .containsExactlyInAnyOrder(
              org.assertj.core.groups.Tuple.tuple("shared/db", RotationAction.REENCRYPT),
              org.assertj.core.groups.Tuple.tuple("shared/impure", RotationAction.REENCRYPT));
      assertThat(second.fetchedHostKeys()).containsOnlyKeys("c");
      assertThat(second.warnings()).hasSize(2).allSatisfy(w -> assertThat(w).contains("[b]"));
      assertThat(a.acceptedLogins()).isGreaterThan(loginsOnA);

      FleetData d2 = store.load();
      for (String name : List.of("db", "impure")) {
        SharedSecretData s = d2.sharedSecret(name).get();
        assertThat(s.owners()).containsExactly("a", "c");
        byte[] file = s.secret().part("secret").get().bytes();
        byte[] expected = name.equals("db") ? dbValue : impureValue;
        assertThat(ageDecrypt(a, file)).isEqualTo(expected);
        assertThat(ageDecrypt(c, file)).isEqualTo(expected);
        assertThat(ageDecrypt(b, file)).as("removed owner b").isNull();
      }
      // Nothing in plaintext was left on the hosts that ran the pipe or the generator.
      for (SshdHost h : List.of(a, c)) {
        for (byte[] secret : List.of(dbValue, impureValue)) {
          assertNoFileContains(h.root(), secret);
        }
      }
      assertNoFileContains(dir, dbValue);
    }
  }

  private static String firstTwo(String line) {
    String[] f = line.trim().split("\\s+");
    return f[0] + " " + f[1];
  }

  private static void assertNoFileContains(Path root, byte[] secret) throws IOException {
    String needle = new String(secret, StandardCharsets.ISO_8859_1).strip();
    List<Path> hits = new ArrayList<>();
    try (Stream<Path> files = Files.walk(root)) {
      files
          .filter(Files::isRegularFile)
          .filter(p -> !p.startsWith(root.resolve("nix/store")))
          .forEach(
              p -> {
                try {
                  if (Files.size(p) < 10_000_000
                      && new String(Files.readAllBytes(p), StandardCharsets.ISO_8859_1)
                          .contains(needle)) {
                    hits.add(p);
                  }
                } catch (IOException e) {
                  // unreadable (a socket or vanished file): not a plaintext copy
                }
              });
    }
    assertThat(hits).as("files holding a secret's plaintext under %s", root).isEmpty();
  }
}
