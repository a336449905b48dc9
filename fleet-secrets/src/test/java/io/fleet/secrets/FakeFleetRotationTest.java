package io.fleet.secrets;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.fleet.api.Fleet;
import io.fleet.api.FleetConfigException;
import io.fleet.api.Generators;
import io.fleet.api.data.JsonFleetDataStore;
import io.fleet.api.spi.SecretCipher;
import io.fleet.testkit.FakeFleet;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code FakeFleet.rotation(store)}: a SecretRotation wired to the fake hosts; validation first.
 */
class FakeFleetRotationTest {
  @TempDir Path dir;

  static Fleet fleet() {
    return Fleet.builder()
        .name("shop")
        .host("a", h -> {})
        .host("b", h -> {})
        .sharedSecret("db", s -> s.expectedOwners("a", "b").generator(Generators.password()))
        .build();
  }

  @Test
  void rotationComesReadyWiredToTheFakeHosts() {
    try (FakeFleet fake = FakeFleet.of(fleet())) {
      JsonFleetDataStore store = JsonFleetDataStore.at(dir.resolve("fleet.json"));
      SecretRotation rotation = fake.rotation(store);
      assertThat(rotation.toString())
          .startsWith("SecretRotation{fleet 'shop' (2 hosts), store ")
          .contains("transport FakeTransport{2 fake hosts}");
      RotationResult r = rotation.run();
      // keys fetched from the fake hosts over the fake transport, on the virtual clock
      assertThat(r.fetchedHostKeys()).containsOnlyKeys("a", "b");
      var stored = store.load().sharedSecret("db").orElseThrow();
      assertThat(stored.owners()).containsExactly("a", "b");
      assertThat(stored.secret().createdAt()).isEqualTo(fake.clock().instant());
      byte[] secret = stored.secret().part("secret").orElseThrow().bytes();
      byte[] plain =
          SecretCipher.discover().decrypt(secret, List.of(fake.host("b").privateKeyOpenSsh()));
      assertThat(plain).hasSize(32);
    }
  }

  @Test
  void wiredWithoutAStoreSaysToUseRotation() {
    try (FakeFleet fake = FakeFleet.of(fleet())) {
      assertThatThrownBy(() -> fake.wired(SecretRotation.class))
          .isInstanceOf(FleetConfigException.class)
          .hasMessageContaining("fakeFleet.rotation(store)");
    }
  }

  @Test
  void anUnknownOwnerGivesTheValidationErrorNotAMissingKey() {
    Fleet bad = fleet().toBuilder().sharedSecret("db", s -> s.expectedOwners("c")).build();
    JsonFleetDataStore store = JsonFleetDataStore.at(dir.resolve("fleet.json"));
    assertThatThrownBy(() -> SecretRotation.builder().fleet(bad).store(store).build())
        .isInstanceOf(FleetConfigException.class)
        .hasMessageContaining(
            "shared secret 'db' names owner 'c', which is not a host of the fleet")
        .message()
        .doesNotContain("has no key recorded");
    assertThatThrownBy(() -> SecretRotation.plan(bad, store.load(), java.time.Instant.EPOCH))
        .isInstanceOf(FleetConfigException.class)
        .hasMessageContaining("names owner 'c'");
    assertThatThrownBy(() -> FakeFleet.of(bad))
        .isInstanceOf(FleetConfigException.class)
        .hasMessageContaining("names owner 'c'");
  }
}
