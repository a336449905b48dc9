package io.fleet.examples.bench;

import io.fleet.api.data.FleetData;
import io.fleet.api.data.HostData;
import io.fleet.api.data.SecretPart;
import io.fleet.api.data.SharedSecretData;
import io.fleet.api.data.StoredSecret;
import io.fleet.nix.FleetNixFile;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * Loads and saves a {@code fleet.nix} of 1,000 hosts and 1,000 to 10,000 secrets (about 10 MB at
 * 10,000), through {@link FleetNixFile} as a store (read + parse; format + write + fsync + rename),
 * and prints the median wall and CPU times (the CPU time of the calling thread is not inflated by
 * other processes on a shared machine; it excludes the fsync wait and the garbage collector's
 * threads). Target: under 1 second each at 10,000 secrets, growing linearly.
 *
 * <p>Run: {@code mvn -q -pl fleet-examples -am compile exec:java
 * -Dexec.mainClass=io.fleet.examples.bench.FleetNixBenchmark}
 */
public final class FleetNixBenchmark {
  private static final int HOSTS = 1_000;
  private static final int[] SECRETS = {1_000, 2_500, 5_000, 10_000};
  private static final int RUNS = 7;

  private FleetNixBenchmark() {}

  /** Runs the benchmark and prints a table. */
  public static void main(String[] args) throws IOException {
    Path dir = Files.createTempDirectory("fleet-nix-bench");
    System.out.printf(
        Locale.ROOT,
        "%7s %8s %6s %9s %9s %9s %9s %10s %10s%n",
        "hosts",
        "secrets",
        "MB",
        "load ms",
        "(cpu)",
        "save ms",
        "(cpu)",
        "parse cpu",
        "format cpu");
    for (int n : SECRETS) {
      FleetData data = fleet(HOSTS, n, new Random(n));
      Path file = dir.resolve("fleet-" + n + ".nix");
      FleetNixFile store = FleetNixFile.at(file);
      store.load();
      store.save(data);
      String text = Files.readString(file);
      long[] load = new long[RUNS];
      long[] save = new long[RUNS];
      long[] loadCpu = new long[RUNS];
      long[] saveCpu = new long[RUNS];
      long[] parse = new long[RUNS];
      long[] format = new long[RUNS];
      FleetData loaded = null;
      for (int r = 0; r < RUNS; r++) {
        FleetNixFile s = FleetNixFile.at(file);
        long c0 = cpu();
        long t0 = System.nanoTime();
        loaded = s.load();
        long t1 = System.nanoTime();
        long c1 = cpu();
        s.save(loaded);
        long t2 = System.nanoTime();
        long c2 = cpu();
        FleetData parsed = FleetNixFile.parse(text);
        long c3 = cpu();
        String formatted = FleetNixFile.format(parsed);
        long c4 = cpu();
        if (formatted.length() != text.length()) {
          throw new IllegalStateException("format changed the file");
        }
        load[r] = t1 - t0;
        save[r] = t2 - t1;
        loadCpu[r] = c1 - c0;
        saveCpu[r] = c2 - c1;
        parse[r] = c3 - c2;
        format[r] = c4 - c3;
      }
      if (!data.equals(loaded)) {
        throw new IllegalStateException("loaded data differs from saved data");
      }
      System.out.printf(
          Locale.ROOT,
          "%7d %8d %6.1f %9.0f %9.0f %9.0f %9.0f %10.0f %10.0f%n",
          HOSTS,
          n,
          Files.size(file) / 1e6,
          median(load),
          median(loadCpu),
          median(save),
          median(saveCpu),
          median(parse),
          median(format));
      Files.delete(file);
    }
    Files.delete(dir);
  }

  /** CPU time of this thread: unlike wall time, not inflated by other processes on the machine. */
  private static long cpu() {
    return ManagementFactory.getThreadMXBean().getCurrentThreadCpuTime();
  }

  private static double median(long[] nanos) {
    long[] s = nanos.clone();
    Arrays.sort(s);
    return s[s.length / 2] / 1e6;
  }

  /** A fleet like a real one: half the secrets shared by 2-3 hosts, half host secrets. */
  static FleetData fleet(int hosts, int secrets, Random random) {
    FleetData.Builder b = FleetData.builder().gcRootPrefix("fleet-gc-Bench123");
    List<String> names = new ArrayList<>();
    for (int i = 0; i < hosts; i++) {
      String name = String.format(Locale.ROOT, "host-%04d", i);
      names.add(name);
      byte[] key = new byte[51];
      random.nextBytes(key);
      b.putHosts(
          name,
          HostData.withKey(
              "ssh-ed25519 " + Base64.getEncoder().encodeToString(key) + " root@" + name));
    }
    Map<String, Map<String, StoredSecret>> hostSecrets = new TreeMap<>();
    for (int i = 0; i < secrets; i++) {
      byte[] age = new byte[450 + random.nextInt(200)];
      random.nextBytes(age);
      StoredSecret.Builder s =
          StoredSecret.builder()
              .createdAt(Instant.ofEpochSecond(1_790_000_000L + i, random.nextInt(1_000_000_000)))
              .putParts("secret", SecretPart.encrypted(age));
      if (i % 3 == 0) {
        s.putParts("public", SecretPart.plaintext("ssh-ed25519 AAAAC3Nza" + i + " public"));
      }
      if (i % 2 == 0) {
        TreeSet<String> owners = new TreeSet<>();
        for (int o = 0; o < 2 + (i % 2); o++) {
          owners.add(names.get(random.nextInt(hosts)));
        }
        b.putSharedSecrets("shared-" + i, SharedSecretData.of(owners, s.build()));
      } else {
        hostSecrets
            .computeIfAbsent(names.get(i % hosts), h -> new TreeMap<>())
            .put("secret-" + i, s.build());
      }
    }
    return b.putAllHostSecrets(hostSecrets).build();
  }
}
