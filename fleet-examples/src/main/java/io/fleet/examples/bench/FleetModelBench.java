package io.fleet.examples.bench;

import io.fleet.api.Fleet;
import io.fleet.api.FleetJson;
import io.fleet.api.Generators;
import io.fleet.api.data.FleetData;
import io.fleet.api.data.JsonFleetDataStore;
import io.fleet.api.data.SecretPart;
import io.fleet.api.data.SharedSecretData;
import io.fleet.api.data.StoredSecret;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.function.Supplier;

/**
 * How long the model takes at fleet scale: building and validating a large fleet with the DSL, its
 * JSON round trip, and an atomic save and load of large fleet data. Run with {@code mvn -q -pl
 * fleet-examples -am package exec:java -Dexec.mainClass=io.fleet.examples.bench.FleetModelBench};
 * an argument sets the number of hosts (default 2000).
 */
public final class FleetModelBench {
  private FleetModelBench() {}

  /** Runs the benchmark and prints the median of several runs of each step. */
  public static void main(String[] args) throws IOException {
    int hosts = args.length > 0 ? Integer.parseInt(args[0]) : 2000;
    Fleet fleet = fleet(hosts);
    System.out.printf(
        "fleet: %d hosts, %d host secrets, %d shared secrets%n",
        fleet.hosts().size(),
        fleet.hosts().values().stream().mapToInt(h -> h.secrets().size()).sum(),
        fleet.sharedSecrets().size());
    time("build with the DSL", () -> fleet(hosts));
    time("validate", () -> fleet.validate());
    String json = FleetJson.toJson(fleet);
    time("fleet to JSON", () -> FleetJson.toJson(fleet));
    time("fleet from JSON", () -> FleetJson.fromJson(json, Fleet.class));

    FleetData data = data(hosts);
    Path dir = Files.createTempDirectory("fleet-bench");
    Path file = dir.resolve("fleet.json");
    try {
      JsonFleetDataStore.at(file).update(d -> data);
      System.out.printf("fleet data: %d bytes of JSON%n", Files.size(file));
      JsonFleetDataStore store = JsonFleetDataStore.at(file);
      time("data store load", store::load);
      time(
          "data store save (checked, fsync, rename)",
          () -> {
            store.save(data);
            return null;
          });
    } finally {
      Files.deleteIfExists(file);
      Files.deleteIfExists(dir);
    }
  }

  static Fleet fleet(int hosts) {
    Fleet.Builder b = Fleet.builder();
    List<String> names = new ArrayList<>();
    for (int n = 0; n < hosts; n++) {
      int i = n;
      String name = "host-" + i;
      names.add(name);
      b.host(
          name,
          h ->
              h.tags(i % 10 == 0 ? "cp" : "worker")
                  .target("root@10." + (i >> 16 & 255) + "." + (i >> 8 & 255) + "." + (i & 255))
                  .secret("wg", s -> s.generator(Generators.wireguard()))
                  .secret("db", s -> s.generator(Generators.password()))
                  .secret("token", s -> s.dependsOn("db").generator(Generators.randomBytes(32))));
    }
    for (int j = 0; j < hosts / 4; j++) {
      int k = j;
      b.sharedSecret(
          "shared-" + j,
          s -> {
            s.owners(names.subList(k % hosts, Math.min(hosts, k % hosts + 8)));
            if (k > 0) {
              s.dependsOn("shared-" + (k - 1));
            }
          });
    }
    return b.build();
  }

  static FleetData data(int hosts) {
    Random random = new Random(1);
    FleetData.Builder b = FleetData.builder().gcRootPrefix("fleet-gc-bench");
    for (int i = 0; i < hosts; i++) {
      String name = "host-" + i;
      b.putHosts(
          name, io.fleet.api.data.HostData.withKey("ssh-ed25519 AAAAC3Nz" + i + " root@" + name));
      java.util.Map<String, StoredSecret> secrets = new java.util.TreeMap<>();
      for (String s : List.of("wg", "db", "token")) {
        secrets.put(s, secret(random));
      }
      b.putHostSecrets(name, secrets);
    }
    for (int j = 0; j < hosts / 4; j++) {
      b.putSharedSecrets("shared-" + j, SharedSecretData.of(List.of("host-" + j), secret(random)));
    }
    return b.build();
  }

  private static StoredSecret secret(Random random) {
    byte[] age = new byte[300];
    random.nextBytes(age);
    return StoredSecret.builder()
        .createdAt(Instant.parse("2026-01-01T00:00:00Z"))
        .putParts("secret", SecretPart.encrypted(age))
        .putParts("public", SecretPart.plaintext("public-" + random.nextInt()))
        .build();
  }

  private static void time(String what, Supplier<?> step) {
    for (int i = 0; i < 3; i++) {
      step.get();
    }
    long[] ms = new long[7];
    for (int i = 0; i < ms.length; i++) {
      long t = System.nanoTime();
      step.get();
      ms[i] = (System.nanoTime() - t) / 1_000_000;
    }
    java.util.Arrays.sort(ms);
    System.out.printf("%-42s median %5d ms (min %d, max %d)%n", what, ms[3], ms[0], ms[6]);
  }
}
