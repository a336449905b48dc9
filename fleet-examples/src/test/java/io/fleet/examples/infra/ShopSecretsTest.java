package io.fleet.examples.infra;

import static org.assertj.core.api.Assertions.assertThat;

import io.fleet.api.Fleet;
import io.fleet.api.data.FleetData;
import io.fleet.api.spi.SecretCipher;
import io.fleet.nix.FleetNixFile;
import io.fleet.secrets.RotationAction;
import io.fleet.secrets.RotationPlan;
import io.fleet.secrets.SecretRotation;
import io.fleet.testkit.FakeFleet;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * How to test your fleet's secrets with fake hosts: generate them into a {@code fleet.nix}, change
 * the fleet, and check the plan and that each owner, and only an owner, can decrypt.
 */
class ShopSecretsTest {
  @TempDir Path dir;

  private static SecretRotation rotation(Fleet fleet, FakeFleet fake, Path file) {
    return SecretRotation.builder()
        .fleet(fleet)
        .store(FleetNixFile.at(file))
        .transport(fake.transport())
        .clock(fake.clock())
        .build();
  }

  @Test
  void addingAnOwnerReEncryptsTheSharedSecretWithoutRegeneratingIt() throws Exception {
    Path file = dir.resolve("fleet.nix");
    Fleet before = ShopFleet.build().validate();
    try (FakeFleet fake = FakeFleet.of(before)) {
      // fake.rotation(store) rotates the fake fleet's own secrets, wired to its hosts and clock.
      SecretRotation initial = fake.rotation(FleetNixFile.at(file));
      RotationPlan first = initial.plan();
      assertThat(first.counts()).containsEntry(RotationAction.GENERATE, 4); // 3 TLS keys + password
      initial.execute(first);
      byte[] sealed = sealedPassword(file);

      // The changed fleet, on the same hosts (same host keys): a rotation built by hand.
      Fleet after = ShopFleet.build(List.of("db-1", "web-1", "web-2", "web-3"));
      RotationPlan second = rotation(after, fake, file).plan();
      assertThat(second.shared("db-password").get().action()).isEqualTo(RotationAction.REENCRYPT);
      assertThat(second.shared("db-password").get().addedOwners()).containsExactly("web-3");
      rotation(after, fake, file).execute(second);

      SecretCipher age = SecretCipher.discover();
      byte[] original = age.decrypt(sealed, List.of(fake.host("db-1").privateKeyOpenSsh()));
      for (String owner : List.of("db-1", "web-1", "web-2", "web-3")) {
        byte[] plain =
            age.decrypt(sealedPassword(file), List.of(fake.host(owner).privateKeyOpenSsh()));
        assertThat(plain).as(owner).isEqualTo(original); // re-encrypted, same password
      }
      assertThat(rotation(after, fake, file).plan().isEmpty()).isTrue();
      assertThat(Files.readString(file)).doesNotContain(new String(original));
    }
  }

  private static byte[] sealedPassword(Path file) {
    FleetData data = FleetNixFile.at(file).load();
    return data.sharedSecret("db-password").get().secret().part("secret").get().bytes();
  }
}
