package io.fleet.secrets;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.fleet.api.Fleet;
import io.fleet.api.Generators;
import io.fleet.api.SecretException;
import io.fleet.api.data.FleetData;
import io.fleet.api.data.JsonFleetDataStore;
import io.fleet.api.data.SecretPart;
import io.fleet.api.data.StoredSecret;
import io.fleet.api.spi.SecretCipher;
import io.fleet.api.spi.SecretGenerator;
import io.fleet.secrets.age.Age;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.nio.file.attribute.FileTime;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Executing rotations locally (operator identity, no hosts): saving, resuming, no plaintext. */
class RotationExecutionTest {
  final PlanFixtures f = new PlanFixtures("a", "b", "c");
  final String operator = Age.generateIdentity();
  final SecretCipher cipher = SecretCipher.discover();

  @TempDir Path dir;

  Fleet fleet() {
    return Fleet.builder()
        .host(
            "a",
            h ->
                h.secret("wg", s -> s.generator(Generators.wireguard()))
                    .secret("ssh", s -> s.generator(Generators.ed25519())))
        .host("b", h -> h.secret("token", s -> s.generator(Generators.randomBytes(48))))
        .host("c", h -> {})
        .sharedSecret("db", s -> s.expectedOwners("a", "b").generator(Generators.password(40)))
        .sharedSecret(
            "ca",
            s -> s.expectedOwners("a", "b").generator(Generators.x509Ca("ca", Duration.ofDays(30))))
        .sharedSecret(
            "api",
            s ->
                s.expectedOwners("a")
                    .dependsOn("ca")
                    .generator(
                        Generators.x509Leaf("ca", "api", List.of("api.local"), Duration.ofDays(7))))
        .build()
        .validate();
  }

  JsonFleetDataStore storeWithKeys() {
    JsonFleetDataStore store = JsonFleetDataStore.at(dir.resolve("fleet.json"));
    store.load();
    store.save(f.dataWithKeys());
    return store;
  }

  SecretRotation.Builder rotation(Fleet fleet, JsonFleetDataStore store) {
    return SecretRotation.builder()
        .fleet(fleet)
        .store(store)
        .cipher(cipher)
        .operatorIdentity(operator);
  }

  /** Every private part's plaintext, decrypted with its owners' keys. */
  List<byte[]> plaintexts(FleetData d) {
    return f.plaintexts(d, cipher);
  }

  @Test
  void generatesEverythingThenHasNothingToDo_withoutPlaintextOnDiskInLogsOrToString()
      throws Exception {
    JsonFleetDataStore store = storeWithKeys();
    List<String> events = new ArrayList<>();
    Instant started = Instant.now().minusSeconds(2);
    PrintStream realErr = System.err;
    ByteArrayOutputStream logs = new ByteArrayOutputStream();
    RotationPlan plan;
    RotationResult result;
    System.setErr(new PrintStream(logs, true, StandardCharsets.UTF_8));
    try {
      SecretRotation r =
          rotation(fleet(), store)
              .listener(
                  new RotationListener() {
                    @Override
                    public void stepFinished(RotationStep step) {
                      events.add(step.id());
                    }
                  })
              .build();
      plan = r.plan();
      result = r.execute(plan);
    } finally {
      System.setErr(realErr);
    }
    assertThat(plan.counts()).containsEntry(RotationAction.GENERATE, 6);
    assertThat(result.done()).hasSize(6);
    assertThat(events)
        .containsExactly(
            "shared/ca", "shared/api", "shared/db", "host/a/ssh", "host/a/wg", "host/b/token");
    assertThat(events.indexOf("shared/ca")).isLessThan(events.indexOf("shared/api"));

    FleetData data = store.load();
    assertThat(data.sharedSecret("db").orElseThrow().owners()).containsExactly("a", "b");
    assertThat(data.hostSecret("b", "token")).isPresent();
    List<byte[]> secrets = plaintexts(data);
    assertThat(secrets).hasSize(6);

    // The log captured the rotation (so the check below can fail) but holds no plaintext.
    String logText = logs.toString(StandardCharsets.UTF_8);
    assertThat(logText).contains("GENERATE shared/db");
    List<String> texts = new ArrayList<>();
    texts.add(logText);
    texts.add(plan.toString());
    texts.add(plan.toJson());
    texts.add(result.toString());
    texts.add(data.toString());
    for (byte[] secret : secrets) {
      String needle = new String(secret, StandardCharsets.ISO_8859_1);
      String utf8 = new String(secret, StandardCharsets.UTF_8);
      for (String t : texts) {
        // A distinctive middle slice: PEM headers are not secret, the key material is.
        int mid = utf8.length() / 2;
        assertThat(t).doesNotContain(utf8.substring(mid - 8, mid + 8));
      }
      assertThat(needle.length()).isGreaterThanOrEqualTo(32);
    }
    // No file written during the rotation, in the temp dir or beside the data file, holds any
    // private part's plaintext (raw, or base64 as a careless writer would store it).
    List<Path> files = new ArrayList<>();
    collect(dir, started, files);
    collect(Paths.get(System.getProperty("java.io.tmpdir")), started, files);
    assertThat(files).contains(dir.resolve("fleet.json"));
    for (Path file : files) {
      byte[] content;
      try {
        content = Files.readAllBytes(file);
      } catch (IOException e) {
        continue;
      }
      String hay = new String(content, StandardCharsets.ISO_8859_1);
      for (byte[] secret : secrets) {
        assertThat(hay)
            .as("file %s", file)
            .doesNotContain(new String(secret, StandardCharsets.ISO_8859_1))
            .doesNotContain(java.util.Base64.getEncoder().encodeToString(secret).substring(0, 40));
      }
    }

    // A second run finds everything current.
    RotationPlan again = rotation(fleet(), store).build().plan();
    assertThat(again.isEmpty()).isTrue();
    assertThat(again.counts()).containsEntry(RotationAction.UNCHANGED, 6);
  }

  private static void collect(Path root, Instant since, List<Path> out) throws IOException {
    if (!Files.isDirectory(root)) {
      return;
    }
    try (Stream<Path> s = Files.walk(root, 6)) {
      s.filter(Files::isRegularFile)
          .filter(
              p -> {
                try {
                  FileTime t = Files.getLastModifiedTime(p);
                  return !t.toInstant().isBefore(since) && Files.size(p) < 20_000_000;
                } catch (IOException e) {
                  return false;
                }
              })
          .forEach(out::add);
    } catch (java.io.UncheckedIOException e) {
      // Another process removed a file while we walked; what was found is still checked.
    }
  }

  @Test
  void removedOwnerIsReencryptedOutWithTheOperatorIdentityAndWarned() {
    JsonFleetDataStore store = storeWithKeys();
    Fleet before =
        Fleet.builder()
            .host("a", h -> {})
            .host("b", h -> {})
            .host("c", h -> {})
            .sharedSecret(
                "db",
                s ->
                    s.expectedOwners("a", "b")
                        .regenerateOnOwnerAdded(false)
                        .generator(Generators.password()))
            .build();
    rotation(before, store).build().run();
    StoredSecret original = store.load().sharedSecret("db").orElseThrow().secret();
    byte[] value =
        cipher.decrypt(original.part("secret").get().bytes(), List.of(f.keys.get("b").identity));

    Fleet after =
        Fleet.builder()
            .host("a", h -> {})
            .host("b", h -> {})
            .host("c", h -> {})
            .sharedSecret(
                "db",
                s ->
                    s.expectedOwners("a", "c")
                        .regenerateOnOwnerAdded(false)
                        .generator(Generators.password()))
            .build();
    List<String> warnings = new ArrayList<>();
    RotationResult result =
        rotation(after, store)
            .listener(
                new RotationListener() {
                  @Override
                  public void warning(String message) {
                    warnings.add(message);
                  }
                })
            .build()
            .run();
    assertThat(result.plan().shared("db").orElseThrow().action())
        .isEqualTo(RotationAction.REENCRYPT);
    assertThat(result.warnings())
        .singleElement()
        .asString()
        .contains("[b]")
        .contains("may still hold");
    assertThat(warnings).isEqualTo(result.warnings());
    var stored = store.load().sharedSecret("db").orElseThrow();
    assertThat(stored.owners()).containsExactly("a", "c");
    assertThat(stored.secret().createdAt()).isEqualTo(original.createdAt());
    byte[] file = stored.secret().part("secret").get().bytes();
    assertThat(cipher.decrypt(file, List.of(f.keys.get("a").identity))).isEqualTo(value);
    assertThat(cipher.decrypt(file, List.of(f.keys.get("c").identity))).isEqualTo(value);
    assertThat(cipher.decrypt(file, List.of(operator))).isEqualTo(value);
    assertThatThrownBy(() -> cipher.decrypt(file, List.of(f.keys.get("b").identity)))
        .isInstanceOf(SecretException.class);
  }

  /** Fails at the n-th call while armed. */
  static final class FlakyGenerator implements SecretGenerator {
    final AtomicInteger calls = new AtomicInteger();
    volatile int failAt;

    FlakyGenerator(int failAt) {
      this.failAt = failAt;
    }

    @Override
    public String kind() {
      return Generators.PASSWORD;
    }

    @Override
    public StoredSecret generate(Request request) {
      if (calls.incrementAndGet() == failAt) {
        throw new SecretException(request.secretName(), "injected failure", null);
      }
      return StoredSecret.builder()
          .createdAt(request.now())
          .putParts(
              "secret",
              SecretPart.encrypted(
                  request.cipher().encrypt(new byte[] {1, 2, 3}, request.recipients())))
          .build();
    }
  }

  @Test
  void interruptedRotationKeepsWhatWasDoneAndARerunCompletesIt() {
    JsonFleetDataStore store = storeWithKeys();
    Fleet.Builder b = Fleet.builder().host("a", h -> {});
    for (int i = 1; i <= 5; i++) {
      b.sharedSecret("s" + i, s -> s.expectedOwners("a").generator(Generators.password()));
    }
    Fleet fleet = b.build();
    FlakyGenerator flaky = new FlakyGenerator(3);
    Clock t1 = Clock.fixed(Instant.parse("2026-01-01T00:00:00Z"), ZoneOffset.UTC);
    List<String> failed = new ArrayList<>();
    assertThatThrownBy(
            () ->
                rotation(fleet, store)
                    .generator(flaky)
                    .clock(t1)
                    .listener(
                        new RotationListener() {
                          @Override
                          public void stepFailed(RotationStep step, io.fleet.api.FleetException e) {
                            failed.add(step.id());
                          }
                        })
                    .build()
                    .run())
        .isInstanceOf(SecretException.class)
        .hasMessageContaining("shared/s3")
        .hasMessageContaining("run the rotation again");
    assertThat(failed).containsExactly("shared/s3");
    FleetData partial = store.load();
    assertThat(partial.sharedSecrets()).containsOnlyKeys("s1", "s2");
    Map<String, byte[]> firstValues =
        Map.of(
            "s1", partial.sharedSecret("s1").get().secret().part("secret").get().bytes(),
            "s2", partial.sharedSecret("s2").get().secret().part("secret").get().bytes());

    Clock t2 = Clock.fixed(Instant.parse("2026-01-02T00:00:00Z"), ZoneOffset.UTC);
    RotationResult second = rotation(fleet, store).generator(flaky).clock(t2).build().run();
    assertThat(second.done())
        .extracting(RotationStep::id)
        .containsExactly("shared/s3", "shared/s4", "shared/s5");
    FleetData done = store.load();
    assertThat(done.sharedSecrets()).containsOnlyKeys("s1", "s2", "s3", "s4", "s5");
    for (String s : List.of("s1", "s2")) {
      assertThat(done.sharedSecret(s).get().secret().part("secret").get().bytes())
          .isEqualTo(firstValues.get(s));
      assertThat(done.sharedSecret(s).get().secret().createdAt()).isEqualTo(t1.instant());
    }
    assertThat(done.sharedSecret("s5").get().secret().createdAt()).isEqualTo(t2.instant());
  }

  @Test
  void missingHostKeyWithoutTransportFailsNamingTheHost() {
    JsonFleetDataStore store = JsonFleetDataStore.at(dir.resolve("empty.json"));
    Fleet fleet =
        Fleet.builder()
            .host("a", h -> h.secret("pw", s -> s.generator(Generators.password())))
            .build();
    List<String> warnings = new ArrayList<>();
    SecretRotation r =
        SecretRotation.builder()
            .fleet(fleet)
            .store(store)
            .cipher(cipher)
            .listener(
                new RotationListener() {
                  @Override
                  public void warning(String message) {
                    warnings.add(message);
                  }
                })
            .build();
    RotationPlan plan = r.plan();
    assertThat(warnings).singleElement().asString().contains("host a has no key recorded");
    assertThatThrownBy(() -> r.execute(plan))
        .isInstanceOf(SecretException.class)
        .hasMessageContaining("owner host a")
        .hasMessageContaining("no key recorded");
  }
}
