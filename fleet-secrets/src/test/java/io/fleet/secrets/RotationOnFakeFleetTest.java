package io.fleet.secrets;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.fleet.api.Fleet;
import io.fleet.api.Generators;
import io.fleet.api.SecretException;
import io.fleet.api.data.FleetData;
import io.fleet.api.data.JsonFleetDataStore;
import io.fleet.api.data.StoredSecret;
import io.fleet.api.spi.SecretCipher;
import io.fleet.api.spi.SecretHostCommands;
import io.fleet.secrets.age.Age;
import io.fleet.testkit.FakeCommand;
import io.fleet.testkit.FakeFleet;
import io.fleet.testkit.FakeHost;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Rotations against fake hosts: key fetching, re-encryption on a host, renewal, cascades. */
class RotationOnFakeFleetTest {
  final SecretCipher cipher = SecretCipher.discover();
  @TempDir Path dir;
  FakeFleet fake;

  @AfterEach
  void close() {
    if (fake != null) {
      fake.close();
    }
  }

  static Fleet fleet(Consumer<Fleet.Builder> more) {
    Fleet.Builder b = Fleet.builder().host("a", h -> {}).host("b", h -> {}).host("c", h -> {});
    more.accept(b);
    return b.build().validate();
  }

  JsonFleetDataStore store() {
    return JsonFleetDataStore.at(dir.resolve("fleet.json"));
  }

  SecretRotation.Builder rotation(Fleet fleet) {
    if (fake == null) {
      fake = FakeFleet.of(fleet);
    }
    return SecretRotation.builder()
        .fleet(fleet)
        .store(store())
        .transport(fake.transport())
        .clock(fake.clock())
        .cipher(cipher);
  }

  /** The host's recipient: the first two fields of its public key line. */
  String key(String host) {
    String[] f = fake.host(host).publicKey().trim().split(" ");
    return f[0] + " " + f[1];
  }

  byte[] decryptAs(String host, byte[] ageFile) {
    return cipher.decrypt(ageFile, List.of(fake.host(host).privateKeyOpenSsh()));
  }

  static List<FakeCommand> reencryptions(FakeHost h) {
    return h.commands().stream()
        .filter(c -> c.op() == FakeHost.Op.CUSTOM)
        .filter(c -> SecretHostCommands.isReencrypt(io.fleet.api.spi.Command.of(c.argv())))
        .collect(Collectors.toList());
  }

  @Test
  void fetchesMissingHostKeysThenGeneratesEncryptedToThem() {
    Fleet fleet =
        fleet(
            b ->
                b.sharedSecret(
                        "db", s -> s.expectedOwners("a", "b").generator(Generators.password()))
                    .host("c", h -> h.secret("wg", s -> s.generator(Generators.wireguard()))));
    List<String> fetched = new ArrayList<>();
    RotationResult r =
        rotation(fleet)
            .listener(
                new RotationListener() {
                  @Override
                  public void hostKeyFetched(String host, String key) {
                    fetched.add(host);
                  }
                })
            .build()
            .run();
    assertThat(fetched).containsExactly("a", "b", "c");
    assertThat(r.fetchedHostKeys()).containsEntry("a", key("a"));
    FleetData d = store().load();
    assertThat(d.hostKey("b")).contains(key("b"));
    byte[] db = d.sharedSecret("db").get().secret().part("secret").get().bytes();
    assertThat(decryptAs("a", db)).isEqualTo(decryptAs("b", db)).hasSize(32);
    assertThatThrownBy(() -> decryptAs("c", db)).isInstanceOf(SecretException.class);
    byte[] wg = d.hostSecret("c", "wg").get().part("secret").get().bytes();
    assertThat(decryptAs("c", wg)).hasSize(44);
    assertThat(fake.host("a").unsupportedCommands()).isEmpty();
  }

  @Test
  void reencryptsOnAnOwnerHostSoNewOwnersDecryptAndTheRemovedOneCannot() {
    Fleet before =
        fleet(
            b ->
                b.sharedSecret(
                    "db",
                    s ->
                        s.expectedOwners("a", "b")
                            .regenerateOnOwnerAdded(false)
                            .generator(Generators.password())));
    rotation(before).build().run();
    StoredSecret original = store().load().sharedSecret("db").get().secret();
    byte[] value = decryptAs("a", original.part("secret").get().bytes());

    Fleet after =
        fleet(
            b ->
                b.sharedSecret(
                    "db",
                    s ->
                        s.expectedOwners("a", "c")
                            .regenerateOnOwnerAdded(false)
                            .generator(Generators.password())));
    fake.hosts().forEach(FakeHost::clearCommands);
    RotationResult r = rotation(after).build().run();
    RotationStep step = r.plan().shared("db").orElseThrow();
    assertThat(step.action()).isEqualTo(RotationAction.REENCRYPT);
    assertThat(step.addedOwners()).containsExactly("c");
    assertThat(step.removedOwners()).containsExactly("b");
    assertThat(r.warnings()).singleElement().asString().contains("[b]");

    // It ran on host a (the first owner that can decrypt), as the host-side pipe.
    List<FakeCommand> onA = reencryptions(fake.host("a"));
    assertThat(onA).hasSize(1);
    assertThat(onA.get(0).argv().subList(4, onA.get(0).argv().size()))
        .containsExactly(SecretHostCommands.HOST_KEY, key("a"), key("c"));
    assertThat(reencryptions(fake.host("b"))).isEmpty();

    var stored = store().load().sharedSecret("db").get();
    assertThat(stored.owners()).containsExactly("a", "c");
    byte[] file = stored.secret().part("secret").get().bytes();
    assertThat(decryptAs("a", file)).isEqualTo(value);
    assertThat(decryptAs("c", file)).isEqualTo(value);
    assertThatThrownBy(() -> decryptAs("b", file)).isInstanceOf(SecretException.class);
  }

  @Test
  void changedHostKeyIsSeenOnRefreshAndReencryptedByAnotherOwner() {
    Fleet fleet =
        fleet(
            b ->
                b.sharedSecret(
                    "db", s -> s.expectedOwners("a", "b").generator(Generators.password())));
    // The data still records an old key of host a, which the secret was encrypted to.
    TestKeys oldKey = TestKeys.generate();
    JsonFleetDataStore s = store();
    s.load();
    fake = FakeFleet.of(fleet);
    s.save(FleetData.empty().withHostKey("a", oldKey.recipient).withHostKey("b", key("b")));
    rotation(fleet).build().run();
    byte[] before = store().load().sharedSecret("db").get().secret().part("secret").get().bytes();
    assertThatThrownBy(() -> decryptAs("a", before)).isInstanceOf(SecretException.class);

    RotationResult r = rotation(fleet).refreshHostKeys(true).build().run();
    RotationStep step = r.plan().shared("db").orElseThrow();
    assertThat(step.action()).isEqualTo(RotationAction.REENCRYPT);
    assertThat(step.reasons()).containsExactly(RotationReason.HOST_KEY_CHANGED);
    assertThat(r.fetchedHostKeys()).containsOnlyKeys("a");
    assertThat(reencryptions(fake.host("b"))).hasSize(1);
    assertThat(reencryptions(fake.host("a"))).isEmpty();
    byte[] after = store().load().sharedSecret("db").get().secret().part("secret").get().bytes();
    assertThat(decryptAs("a", after)).isEqualTo(decryptAs("b", before));
    assertThatThrownBy(() -> cipher.decrypt(after, List.of(oldKey.identity)))
        .isInstanceOf(SecretException.class);
  }

  @Test
  void renewalWindowOnTheFakeClockCascadesToTheLeaf() {
    String operator = Age.generateIdentity();
    Fleet fleet =
        fleet(
            b ->
                b.sharedSecret(
                        "ca",
                        s ->
                            s.expectedOwners("a")
                                .renewBefore(Duration.ofDays(7))
                                .generator(Generators.x509Ca("ca", Duration.ofDays(30))))
                    .host(
                        "b",
                        h ->
                            h.secret(
                                "tls",
                                s ->
                                    s.dependsOn("ca")
                                        .generator(
                                            Generators.x509Leaf(
                                                "ca",
                                                "b",
                                                List.of("b.local"),
                                                Duration.ofDays(5))))));
    rotation(fleet).operatorIdentity(operator).build().run();
    fake.clock().advance(Duration.ofDays(22));
    RotationPlan quiet = rotation(fleet).operatorIdentity(operator).build().plan();
    assertThat(quiet.shared("ca").get().action()).isEqualTo(RotationAction.UNCHANGED);
    // The leaf (5 days) expired long ago: it alone is regenerated.
    assertThat(quiet.hostSecret("b", "tls").get().reasons())
        .containsExactly(RotationReason.EXPIRED);

    fake.clock().advance(Duration.ofDays(1).plusSeconds(1));
    SecretRotation r = rotation(fleet).operatorIdentity(operator).build();
    RotationPlan due = r.plan();
    assertThat(due.shared("ca").get().reasons()).containsExactly(RotationReason.RENEWAL_DUE);
    assertThat(due.hostSecret("b", "tls").get().reasons())
        .contains(RotationReason.DEPENDENCY_REGENERATED);
    r.execute(due);
    FleetData d = store().load();
    assertThat(d.sharedSecret("ca").get().secret().createdAt()).isEqualTo(fake.clock().instant());
    assertThat(rotation(fleet).operatorIdentity(operator).build().plan().isEmpty()).isTrue();
  }

  @Test
  void removedHostLosesItsSecrets() {
    Fleet with =
        fleet(
            b -> b.host("c", h -> h.secret("token", s -> s.generator(Generators.randomBytes(16)))));
    rotation(with).build().run();
    assertThat(store().load().hostSecret("c", "token")).isPresent();
    Fleet without = Fleet.builder().host("a", h -> {}).host("b", h -> {}).build();
    RotationResult r = rotation(without).build().run();
    assertThat(r.done())
        .singleElement()
        .satisfies(s -> assertThat(s.action()).isEqualTo(RotationAction.REMOVE));
    assertThat(store().load().hostSecrets()).isEmpty();
  }
}
