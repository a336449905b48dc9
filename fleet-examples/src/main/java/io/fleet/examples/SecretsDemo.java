package io.fleet.examples;

import io.fleet.api.Fleet;
import io.fleet.api.FleetException;
import io.fleet.api.Generators;
import io.fleet.api.data.FleetData;
import io.fleet.api.spi.SecretCipher;
import io.fleet.nix.FleetNixFile;
import io.fleet.secrets.RotationPlan;
import io.fleet.secrets.RotationResult;
import io.fleet.secrets.RotationStep;
import io.fleet.secrets.SecretRotation;
import io.fleet.testkit.FakeFleet;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * The secrets half of the demo, on fake hosts: generate every secret of a small fleet into a {@code
 * fleet.nix} (encrypted to the hosts' SSH keys, which the rotation fetches from the hosts), then
 * add an owner to a shared secret and watch it re-encrypted on a host that owns it, without the
 * plaintext leaving that host.
 */
final class SecretsDemo {
  private SecretsDemo() {}

  static Fleet fleet(List<String> dbOwners) {
    Fleet.Builder b = Fleet.builder();
    for (String h : List.of("web-1", "web-2", "db-1")) {
      b.host(h, x -> x.tags(h.startsWith("web") ? "web" : "db"));
    }
    return b.module(new WireguardMesh("wg0", "web-1", "web-2", "db-1"))
        .sharedSecret(
            "db-password",
            s ->
                s.owners(dbOwners).regenerateOnOwnerAdded(false).generator(Generators.password(40)))
        .build()
        .validate();
  }

  static void run() {
    Path dir;
    try {
      dir = Files.createTempDirectory("fleet-demo-");
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    Path file = dir.resolve("fleet.nix");
    Fleet before = fleet(List.of("web-1", "db-1"));
    try (FakeFleet fake = FakeFleet.of(before)) {
      System.out.println("== secrets: generating into " + file);
      RotationResult first = rotation(before, fake, file).run();
      print(first.plan());

      Fleet after = fleet(List.of("web-1", "web-2", "db-1"));
      System.out.println("== secrets: web-2 joins the owners of db-password");
      RotationResult second = rotation(after, fake, file).run();
      print(second.plan());

      FleetData data = FleetNixFile.at(file).load();
      byte[] sealed = data.sharedSecret("db-password").get().secret().part("secret").get().bytes();
      SecretCipher cipher = SecretCipher.discover();
      for (String host : List.of("web-1", "web-2", "db-1")) {
        int length = cipher.decrypt(sealed, List.of(fake.host(host).privateKeyOpenSsh())).length;
        System.out.println(
            "   " + host + " decrypts db-password with its host key: " + length + " bytes");
      }
      List<String> lines = Files.readAllLines(file);
      System.out.println("== " + file.getFileName() + " (first 16 of " + lines.size() + " lines):");
      lines.stream().limit(16).forEach(l -> System.out.println("   " + l));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (FleetException e) {
      System.out.println("secrets demo failed: " + e.getMessage());
      throw e;
    }
  }

  private static SecretRotation rotation(Fleet fleet, FakeFleet fake, Path file) {
    return SecretRotation.builder()
        .fleet(fleet)
        .store(FleetNixFile.at(file))
        .transport(fake.transport())
        .clock(fake.clock())
        .build();
  }

  private static void print(RotationPlan plan) {
    for (RotationStep step : plan.steps()) {
      System.out.printf(
          "   %-10s %-24s %s%n",
          step.action(),
          step.host().map(h -> h + "/").orElse("") + step.name(),
          step.description());
    }
  }
}
