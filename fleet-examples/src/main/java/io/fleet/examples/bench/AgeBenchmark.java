package io.fleet.examples.bench;

import io.fleet.secrets.age.Age;
import io.fleet.secrets.age.internal.ChunkAead;
import io.fleet.secrets.age.internal.X25519Engine;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

/**
 * Benchmarks the in-process age implementation against the {@code age} CLI.
 *
 * <ol>
 *   <li>X25519: microseconds per scalar multiplication for each implementation behind {@code
 *       X25519Engine} (the default is the fastest);
 *   <li>ChaCha20-Poly1305: GB/s of the JDK's and BouncyCastle's, on 64 KiB chunks;
 *   <li>(a) re-encrypting 1,000 secrets of 1 KiB to 5 ssh-ed25519 recipients (decrypt with a host
 *       key, encrypt to all five) on all cores, against the {@code age} CLI run once per secret as
 *       agenix does (timed on a sample and extrapolated);
 *   <li>(b) encrypting and decrypting a 256 MiB file, against the {@code age} CLI on the same file.
 * </ol>
 *
 * <p>Run it on Java 17 and Java 25 with the same class path. Needs {@code age}, {@code age-keygen}
 * and {@code ssh-keygen} on the {@code PATH}. Arguments: {@code [secrets] [cliSample] [MiB]}.
 */
public final class AgeBenchmark {
  private AgeBenchmark() {}

  /** Runs the benchmark and prints its figures. */
  public static void main(String[] args) throws Exception {
    int secrets = args.length > 0 ? Integer.parseInt(args[0]) : 1000;
    int cliSample = args.length > 1 ? Integer.parseInt(args[1]) : 50;
    int mib = args.length > 2 ? Integer.parseInt(args[2]) : 256;
    int cores = Runtime.getRuntime().availableProcessors();
    System.out.printf(
        "age benchmark on Java %s (%s), %d cores, X25519 engine %s, ChaCha20-Poly1305 %s%n",
        System.getProperty("java.version"),
        System.getProperty("java.vm.name"),
        cores,
        X25519Engine.get().name(),
        System.getProperty("fleet.age.chacha", "jdk"));
    Path dir = Files.createTempDirectory("age-bench");
    try {
      x25519();
      chacha();
      reencrypt(dir, secrets, cliSample, cores);
      throughput(dir, mib);
    } finally {
      try (var s = Files.walk(dir)) {
        s.sorted((a, b) -> b.compareTo(a)).forEach(p -> p.toFile().delete());
      }
    }
  }

  private static void x25519() {
    System.out.println("== X25519 scalar multiplication (µs per operation, one thread)");
    SecureRandom rnd = new SecureRandom();
    byte[] scalar = new byte[32];
    rnd.nextBytes(scalar);
    String best = null;
    double bestUs = Double.MAX_VALUE;
    for (String name : List.of("bouncycastle", "tink", "jdk")) {
      X25519Engine e = X25519Engine.named(name);
      byte[] u = e.publicKey(scalar);
      for (int i = 0; i < 2000; i++) { // warm-up
        u = e.agree(scalar, u);
      }
      int n = 5000;
      long t0 = System.nanoTime();
      for (int i = 0; i < n; i++) {
        u = e.agree(scalar, u);
      }
      double us = (System.nanoTime() - t0) / 1e3 / n;
      System.out.printf(Locale.ROOT, "  %-13s %7.1f µs%n", name, us);
      if (us < bestUs) {
        bestUs = us;
        best = name;
      }
    }
    System.out.printf("  fastest: %s (in use: %s)%n", best, X25519Engine.get().name());
  }

  private static void chacha() {
    System.out.println("== ChaCha20-Poly1305 on 64 KiB chunks (one thread)");
    byte[] key = new byte[32];
    byte[] in = new byte[65536];
    byte[] out = new byte[65536 + 16];
    byte[] back = new byte[65536];
    byte[] nonce = new byte[12];
    for (String impl : List.of("jdk", "bc")) {
      ChunkAead aead = ChunkAead.create(key, impl);
      long counter = 0;
      for (int i = 0; i < 2000; i++) { // warm-up
        setNonce(nonce, counter++);
        aead.seal(nonce, in, 0, in.length, out, 0);
      }
      int n = 4096; // 256 MiB
      long t0 = System.nanoTime();
      for (int i = 0; i < n; i++) {
        setNonce(nonce, counter++);
        aead.seal(nonce, in, 0, in.length, out, 0);
      }
      double seal = (double) n * in.length / (System.nanoTime() - t0);
      t0 = System.nanoTime();
      for (int i = 0; i < n; i++) {
        // A fresh instance: the JDK refuses to re-initialise with the key and nonce it just used.
        if (ChunkAead.create(key, impl).open(nonce, out, 0, out.length, back, 0) < 0) {
          throw new IllegalStateException("open failed");
        }
      }
      double open = (double) n * in.length / (System.nanoTime() - t0);
      System.out.printf(Locale.ROOT, "  %-4s seal %.2f GB/s, open %.2f GB/s%n", impl, seal, open);
    }
  }

  private static void setNonce(byte[] nonce, long counter) {
    for (int i = 0; i < 8; i++) {
      nonce[i] = (byte) (counter >>> (8 * i));
    }
  }

  private static void reencrypt(Path dir, int secrets, int cliSample, int cores) throws Exception {
    System.out.printf(
        "== (a) re-encrypt %d secrets of 1 KiB to 5 ssh-ed25519 recipients%n", secrets);
    List<String> recipients = new ArrayList<>();
    List<String> identities = new ArrayList<>();
    for (int i = 0; i < 5; i++) {
      Path key = dir.resolve("host" + i);
      run("ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", "host" + i, "-f", key.toString());
      recipients.add(Files.readString(dir.resolve("host" + i + ".pub")).strip());
      identities.add(Files.readString(key));
    }
    SecureRandom rnd = new SecureRandom();
    List<byte[]> files = new ArrayList<>();
    for (int i = 0; i < secrets; i++) {
      byte[] secret = new byte[1024];
      rnd.nextBytes(secret);
      files.add(Age.encrypt(secret, recipients));
    }
    List<String> hostKey = List.of(identities.get(0));
    ExecutorService pool = Executors.newFixedThreadPool(cores);
    try {
      double best = Double.MAX_VALUE;
      double bestEncryptOnly = Double.MAX_VALUE;
      for (int round = 0; round < 3; round++) {
        long t0 = System.nanoTime();
        List<byte[]> re =
            parallel(pool, files, f -> Age.encrypt(Age.decrypt(f, hostKey), recipients));
        best = Math.min(best, (System.nanoTime() - t0) / 1e6);
        if (re.size() != secrets) {
          throw new IllegalStateException();
        }
        t0 = System.nanoTime();
        parallel(pool, files, f -> Age.encrypt(new byte[1024], recipients));
        bestEncryptOnly = Math.min(bestEncryptOnly, (System.nanoTime() - t0) / 1e6);
      }
      System.out.printf(
          Locale.ROOT,
          "  in-process, %d threads: decrypt+encrypt %.0f ms total, %.3f ms/secret;"
              + " encrypt only %.0f ms, %.3f ms/secret%n",
          cores,
          best,
          best / secrets,
          bestEncryptOnly,
          bestEncryptOnly / secrets);

      Path recipientsFile = Files.write(dir.resolve("recipients.txt"), recipients);
      Path plain = Files.write(dir.resolve("secret"), new byte[1024]);
      Path out = dir.resolve("secret.age");
      run("age", "-e", "-R", recipientsFile.toString(), "-o", out.toString(), plain.toString());
      long t0 = System.nanoTime();
      for (int i = 0; i < cliSample; i++) {
        run("age", "-e", "-R", recipientsFile.toString(), "-o", out.toString(), plain.toString());
      }
      double cliEnc = (System.nanoTime() - t0) / 1e6 / cliSample;
      Path host = dir.resolve("host0");
      Path dec = dir.resolve("secret.out");
      t0 = System.nanoTime();
      for (int i = 0; i < cliSample; i++) {
        run("age", "-d", "-i", host.toString(), "-o", dec.toString(), out.toString());
        run("age", "-e", "-R", recipientsFile.toString(), "-o", out.toString(), dec.toString());
      }
      double cliRe = (System.nanoTime() - t0) / 1e6 / cliSample;
      System.out.printf(
          Locale.ROOT,
          "  age CLI, one process per step, sequential (sample of %d): encrypt %.2f ms/secret"
              + " (%.0f ms for %d), decrypt+encrypt %.2f ms/secret (%.0f ms for %d)%n",
          cliSample,
          cliEnc,
          cliEnc * secrets,
          secrets,
          cliRe,
          cliRe * secrets,
          secrets);
      System.out.printf(
          Locale.ROOT,
          "  speed-up: re-encrypt %.1fx (vs CLI decrypt+encrypt), %.1fx (vs CLI encrypt only);"
              + " encrypt only %.1fx%n",
          cliRe * secrets / best,
          cliEnc * secrets / best,
          cliEnc * secrets / bestEncryptOnly);
    } finally {
      pool.shutdownNow();
      pool.awaitTermination(10, TimeUnit.SECONDS);
    }
  }

  /** A step applied to one secret. */
  private interface Step {
    byte[] apply(byte[] in);
  }

  private static List<byte[]> parallel(ExecutorService pool, List<byte[]> files, Step step)
      throws Exception {
    int threads = Runtime.getRuntime().availableProcessors();
    List<Future<List<byte[]>>> parts = new ArrayList<>();
    int per = (files.size() + threads - 1) / threads;
    for (int t = 0; t < threads; t++) {
      List<byte[]> slice =
          files.subList(Math.min(files.size(), t * per), Math.min(files.size(), (t + 1) * per));
      parts.add(
          pool.submit(
              () -> {
                List<byte[]> r = new ArrayList<>(slice.size());
                for (byte[] f : slice) {
                  r.add(step.apply(f));
                }
                return r;
              }));
    }
    List<byte[]> all = new ArrayList<>();
    for (Future<List<byte[]>> f : parts) {
      all.addAll(f.get());
    }
    return all;
  }

  private static void throughput(Path dir, int mib) throws Exception {
    System.out.printf("== (b) %d MiB payload, file to file%n", mib);
    String identity = Age.generateIdentity();
    String recipient = Age.recipientOf(identity);
    Path idFile = Files.writeString(dir.resolve("id.txt"), identity + "\n");
    Path plain = dir.resolve("big");
    byte[] block = new byte[1 << 20];
    SecureRandom rnd = new SecureRandom();
    try (OutputStream o = Files.newOutputStream(plain)) {
      for (int i = 0; i < mib; i++) {
        rnd.nextBytes(block);
        o.write(block);
      }
    }
    long bytes = (long) mib << 20;
    Path ours = dir.resolve("big.ours.age");
    Path oursOut = dir.resolve("big.ours.out");
    Path cli = dir.resolve("big.cli.age");
    Path cliOut = dir.resolve("big.cli.out");
    double encOurs = Double.MAX_VALUE;
    double decOurs = Double.MAX_VALUE;
    double encCli = Double.MAX_VALUE;
    double decCli = Double.MAX_VALUE;
    for (int round = 0; round < 3; round++) {
      long t0 = System.nanoTime();
      try (InputStream in = Files.newInputStream(plain);
          OutputStream out = Files.newOutputStream(ours)) {
        Age.encrypt(in, out, List.of(recipient), false);
      }
      encOurs = Math.min(encOurs, (System.nanoTime() - t0) / 1e9);
      t0 = System.nanoTime();
      try (InputStream in = Files.newInputStream(ours);
          OutputStream out = Files.newOutputStream(oursOut)) {
        Age.decrypt(in, out, List.of(identity));
      }
      decOurs = Math.min(decOurs, (System.nanoTime() - t0) / 1e9);
      t0 = System.nanoTime();
      run("age", "-e", "-r", recipient, "-o", cli.toString(), plain.toString());
      encCli = Math.min(encCli, (System.nanoTime() - t0) / 1e9);
      t0 = System.nanoTime();
      run("age", "-d", "-i", idFile.toString(), "-o", cliOut.toString(), ours.toString());
      decCli = Math.min(decCli, (System.nanoTime() - t0) / 1e9);
    }
    if (Files.mismatch(plain, oursOut) != -1 || Files.mismatch(plain, cliOut) != -1) {
      throw new IllegalStateException("round trip mismatch");
    }
    System.out.printf(
        Locale.ROOT,
        "  ours:    encrypt %.2f GB/s, decrypt %.2f GB/s%n"
            + "  age CLI: encrypt %.2f GB/s, decrypt %.2f GB/s%n"
            + "  ratio ours/CLI: encrypt %.2fx, decrypt %.2fx%n",
        bytes / encOurs / 1e9,
        bytes / decOurs / 1e9,
        bytes / encCli / 1e9,
        bytes / decCli / 1e9,
        encCli / encOurs,
        decCli / decOurs);
  }

  private static void run(String... cmd) throws IOException, InterruptedException {
    Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
    byte[] out = p.getInputStream().readAllBytes();
    if (p.waitFor() != 0) {
      throw new IllegalStateException(
          Arrays.toString(cmd) + " failed: " + new String(out, StandardCharsets.UTF_8));
    }
  }
}
