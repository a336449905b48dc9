package io.fleet.secrets;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.fleet.api.Fleet;
import io.fleet.api.Generators;
import io.fleet.api.SecretException;
import io.fleet.api.data.FleetData;
import io.fleet.api.data.JsonFleetDataStore;
import io.fleet.api.data.SharedSecretData;
import io.fleet.api.spi.SecretCipher;
import io.fleet.secrets.age.Age;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Rotations of many secrets: re-encrypted in parallel, saved once at the end through the journal,
 * and nothing finished lost when the run is killed or fails part way.
 */
class BatchedRotationTest {
  static final int SECRETS = 120;
  final PlanFixtures f = new PlanFixtures("a", "b", "c");
  final SecretCipher cipher = SecretCipher.discover();
  final byte[] value = "value".getBytes(StandardCharsets.UTF_8);

  @TempDir Path dir;

  /** Secrets s000… stored for owners a and b, declared for a and c: every one is re-encrypted. */
  static Fleet fleet(int secrets) {
    Fleet.Builder b = Fleet.builder().host("a", h -> {}).host("b", h -> {}).host("c", h -> {});
    for (int i = 0; i < secrets; i++) {
      b.sharedSecret(
          String.format("s%03d", i),
          s ->
              s.expectedOwners("a", "c")
                  .regenerateOnOwnerAdded(false)
                  .generator(Generators.password()));
    }
    return b.build();
  }

  /** A store whose file holds the secrets for a and b (and the operator), counting its saves. */
  CountingStore store(String operatorRecipient) {
    FleetData d = f.dataWithKeys();
    for (int i = 0; i < SECRETS; i++) {
      var secret =
          io.fleet.api.data.StoredSecret.builder()
              .createdAt(java.time.Instant.parse("2026-01-01T00:00:00Z"))
              .putParts(
                  "secret",
                  io.fleet.api.data.SecretPart.encrypted(
                      Age.encrypt(
                          value,
                          List.of(
                              f.keys.get("a").recipient,
                              f.keys.get("b").recipient,
                              operatorRecipient))))
              .build();
      d =
          d.withSharedSecret(
              String.format("s%03d", i), SharedSecretData.of(List.of("a", "b"), secret));
    }
    CountingStore s = new CountingStore(dir.resolve("fleet.json"));
    s.load();
    s.save(d);
    s.saves.set(0);
    return s;
  }

  /** Counts the atomic rewrites of the data file. */
  static final class CountingStore extends JsonFleetDataStore {
    final AtomicInteger saves = new AtomicInteger();

    CountingStore(Path p) {
      super(p);
    }

    @Override
    protected void writeTemp(Path tmp, byte[] bytes) throws IOException {
      saves.incrementAndGet();
      super.writeTemp(tmp, bytes);
    }
  }

  /** How many stored secrets are re-encrypted: owners a and c, and c's key opens them. */
  int reencrypted(FleetData d) {
    int n = 0;
    for (Map.Entry<String, SharedSecretData> e : d.sharedSecrets().entrySet()) {
      if (e.getValue().ownerSet().equals(new java.util.TreeSet<>(List.of("a", "c")))) {
        byte[] file = e.getValue().secret().part("secret").orElseThrow().bytes();
        assertThat(cipher.decrypt(file, List.of(f.keys.get("c").identity))).isEqualTo(value);
        assertThatThrownBy(() -> cipher.decrypt(file, List.of(f.keys.get("b").identity)))
            .isInstanceOf(SecretException.class);
        n++;
      }
    }
    return n;
  }

  @Test
  void manySecretsAreReencryptedInParallelAndTheFileIsSavedOnce() {
    String operator = Age.generateIdentity();
    CountingStore store = store(Age.recipientOf(operator));
    Set<String> threads = ConcurrentHashMap.newKeySet();
    List<String> listenerThreads = new ArrayList<>();
    SecretCipher recording =
        new SecretCipher() {
          @Override
          public byte[] encrypt(byte[] plaintext, Collection<String> recipients) {
            threads.add(Thread.currentThread().getName());
            return cipher.encrypt(plaintext, recipients);
          }

          @Override
          public byte[] decrypt(byte[] ciphertext, Collection<String> identities) {
            return cipher.decrypt(ciphertext, identities);
          }
        };
    RotationResult r =
        SecretRotation.builder()
            .fleet(fleet(SECRETS))
            .store(store)
            .cipher(recording)
            .operatorIdentity(operator)
            .parallelism(4)
            .listener(
                new RotationListener() {
                  @Override
                  public void stepFinished(RotationStep step) {
                    listenerThreads.add(Thread.currentThread().getName());
                  }
                })
            .build()
            .run();
    assertThat(r.done()).hasSize(SECRETS);
    assertThat(threads).as("re-encrypted on several worker threads").hasSizeGreaterThan(1);
    assertThat(listenerThreads).hasSize(SECRETS).containsOnly(Thread.currentThread().getName());
    assertThat(store.saves.get()).as("data file rewrites").isEqualTo(1);
    assertThat(reencrypted(JsonFleetDataStore.at(store.path()).load())).isEqualTo(SECRETS);
    assertThat(store.journal().path()).doesNotExist();
  }

  @Test
  void withoutBatchingEachSecretIsSavedAsItFinishes() {
    String operator = Age.generateIdentity();
    CountingStore store = store(Age.recipientOf(operator));
    SecretRotation.builder()
        .fleet(fleet(SECRETS))
        .store(store)
        .operatorIdentity(operator)
        .batchSaves(false)
        .parallelism(1)
        .build()
        .run();
    assertThat(store.saves.get()).isEqualTo(SECRETS);
    assertThat(reencrypted(store.load())).isEqualTo(SECRETS);
  }

  @Test
  void aFailurePartWaySavesEverythingFinishedAndTheRerunCompletes() {
    String operator = Age.generateIdentity();
    CountingStore store = store(Age.recipientOf(operator));
    AtomicInteger encrypts = new AtomicInteger();
    SecretCipher failing =
        new SecretCipher() {
          @Override
          public byte[] encrypt(byte[] plaintext, Collection<String> recipients) {
            if (encrypts.incrementAndGet() == 40) {
              throw new SecretException("s?", "injected failure", null);
            }
            return cipher.encrypt(plaintext, recipients);
          }

          @Override
          public byte[] decrypt(byte[] ciphertext, Collection<String> identities) {
            return cipher.decrypt(ciphertext, identities);
          }
        };
    List<String> finished = new ArrayList<>();
    assertThatThrownBy(
            () ->
                SecretRotation.builder()
                    .fleet(fleet(SECRETS))
                    .store(store)
                    .cipher(failing)
                    .operatorIdentity(operator)
                    .parallelism(3)
                    .listener(
                        new RotationListener() {
                          @Override
                          public void stepFinished(RotationStep step) {
                            finished.add(step.name());
                          }
                        })
                    .build()
                    .run())
        .isInstanceOf(SecretException.class)
        .hasMessageContaining("rotation stopped at shared/s")
        .hasMessageContaining("finished before it are saved");
    // Workers run ahead of the rotating thread, so a few more than 39 may finish; never all.
    assertThat(finished).hasSizeBetween(39, SECRETS - 1);
    FleetData after = JsonFleetDataStore.at(store.path()).load();
    assertThat(reencrypted(after)).isEqualTo(finished.size());
    for (String name : finished) {
      assertThat(after.sharedSecret(name).orElseThrow().owners()).containsExactly("a", "c");
    }
    assertThat(store.journal().path()).doesNotExist();
    assertThat(store.saves.get()).isEqualTo(1);

    RotationResult rerun =
        SecretRotation.builder()
            .fleet(fleet(SECRETS))
            .store(JsonFleetDataStore.at(store.path()))
            .operatorIdentity(operator)
            .build()
            .run();
    assertThat(rerun.done()).hasSize(SECRETS - finished.size());
    assertThat(reencrypted(JsonFleetDataStore.at(store.path()).load())).isEqualTo(SECRETS);
  }

  @Test
  void aRotationKilledPartWayLosesNothingFinishedAndTheRerunCompletes() throws Exception {
    String operator = Age.generateIdentity();
    CountingStore store = store(Age.recipientOf(operator));
    byte[] before = Files.readAllBytes(store.path());
    Path identity = Files.writeString(dir.resolve("operator.key"), operator);
    Process child =
        new ProcessBuilder(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-cp",
                System.getProperty("java.class.path"),
                KilledRotation.class.getName(),
                store.path().toString(),
                identity.toString(),
                Integer.toString(SECRETS))
            .redirectError(ProcessBuilder.Redirect.DISCARD)
            .start();
    List<String> finished = new ArrayList<>();
    try (BufferedReader out =
        new BufferedReader(new InputStreamReader(child.getInputStream(), StandardCharsets.UTF_8))) {
      String line;
      while (finished.size() < 30 && (line = out.readLine()) != null) {
        if (line.startsWith("finished ")) {
          finished.add(line.substring(9));
        }
      }
      child.destroyForcibly(); // SIGKILL: no finally, no shutdown hook runs
      assertThat(child.waitFor(30, TimeUnit.SECONDS)).isTrue();
    }
    assertThat(finished).hasSizeBetween(30, SECRETS - 1);
    assertThat(Files.readAllBytes(store.path())).as("the file was not saved yet").isEqualTo(before);
    assertThat(store.journal().path()).exists();

    FleetData folded = JsonFleetDataStore.at(store.path()).load();
    assertThat(store.journal().path()).doesNotExist();
    int done = reencrypted(folded);
    assertThat(done).isGreaterThanOrEqualTo(finished.size());
    for (String name : finished) {
      assertThat(folded.sharedSecret(name).orElseThrow().owners()).containsExactly("a", "c");
    }

    RotationResult rerun =
        SecretRotation.builder()
            .fleet(fleet(SECRETS))
            .store(JsonFleetDataStore.at(store.path()))
            .operatorIdentity(operator)
            .build()
            .run();
    assertThat(rerun.done()).hasSize(SECRETS - done);
    assertThat(reencrypted(JsonFleetDataStore.at(store.path()).load())).isEqualTo(SECRETS);
  }

  /** The child process of the kill test: rotates slowly, printing each finished secret. */
  public static final class KilledRotation {
    private KilledRotation() {}

    /** Arguments: data file, operator identity file, number of secrets. */
    public static void main(String[] args) throws Exception {
      SecretCipher age = SecretCipher.discover();
      SecretCipher slow =
          new SecretCipher() {
            @Override
            public byte[] encrypt(byte[] plaintext, Collection<String> recipients) {
              try {
                Thread.sleep(20);
              } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
              }
              return age.encrypt(plaintext, recipients);
            }

            @Override
            public byte[] decrypt(byte[] ciphertext, Collection<String> identities) {
              return age.decrypt(ciphertext, identities);
            }
          };
      SecretRotation.builder()
          .fleet(fleet(Integer.parseInt(args[2])))
          .store(JsonFleetDataStore.at(Path.of(args[0])))
          .cipher(slow)
          .operatorIdentity(Files.readString(Path.of(args[1])))
          .parallelism(2)
          .listener(
              new RotationListener() {
                @Override
                public void stepFinished(RotationStep step) {
                  System.out.println("finished " + step.name());
                  System.out.flush();
                }
              })
          .build()
          .run();
    }
  }
}
