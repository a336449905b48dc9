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
import java.util.concurrent.Callable;
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
      t0 = System.nanoTime();
      for (int i = 0; i < n; i++) {
        u = e.publicKey(u);
      }
      double base = (System.nanoTime() - t0) / 1e3 / n;
      System.out.printf(Locale.ROOT, "  %-13s %7.1f µs (fixed base: %7.1f µs)%n", name, us, base);
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
      Timing re = null;
      Timing encOnly = null;
      for (int round = 0; round < 3; round++) {
        Timing t =
            Timing.of(
                () -> parallel(pool, files, f -> Age.encrypt(Age.decrypt(f, hostKey), recipients)));
        re = re == null || t.wallMs < re.wallMs ? t : re;
        t = Timing.of(() -> parallel(pool, files, f -> Age.encrypt(new byte[1024], recipients)));
        encOnly = encOnly == null || t.wallMs < encOnly.wallMs ? t : encOnly;
      }
      System.out.printf(
          Locale.ROOT,
          "  ours, in-process on %d threads: decrypt+encrypt %s; encrypt only %s%n",
          cores,
          re.per(secrets),
          encOnly.per(secrets));

      Path recipientsFile = Files.write(dir.resolve("recipients.txt"), recipients);
      Path plain = Files.write(dir.resolve("secret"), new byte[1024]);
      Path out = dir.resolve("secret.age");
      Path host = dir.resolve("host0");
      Path dec = dir.resolve("secret.out");
      run("age", "-e", "-R", recipientsFile.toString(), "-o", out.toString(), plain.toString());
      Timing cliEnc =
          Timing.of(
              () -> {
                for (int i = 0; i < cliSample; i++) {
                  run(
                      "age",
                      "-e",
                      "-R",
                      recipientsFile.toString(),
                      "-o",
                      out.toString(),
                      plain.toString());
                }
                return null;
              });
      Timing cliRe =
          Timing.of(
              () -> {
                for (int i = 0; i < cliSample; i++) {
                  run("age", "-d", "-i", host.toString(), "-o", dec.toString(), out.toString());
                  run(
                      "age",
                      "-e",
                      "-R",
                      recipientsFile.toString(),
                      "-o",
                      out.toString(),
                      dec.toString());
                }
                return null;
              });
      System.out.printf(
          Locale.ROOT,
          "  age CLI, one process per secret, sequential as agenix (sample of %d):"
              + " encrypt %s; decrypt+encrypt %s%n",
          cliSample,
          cliEnc.per(cliSample),
          cliRe.per(cliSample));
      double ourRe = re.wallMs / secrets;
      double ourEnc = encOnly.wallMs / secrets;
      double ourReCpu = re.cpuMs / secrets;
      double ourEncCpu = encOnly.cpuMs / secrets;
      System.out.printf(
          Locale.ROOT,
          "  speed-up, wall clock as measured: re-encrypt %.1fx vs CLI decrypt+encrypt, %.1fx vs"
              + " CLI encrypt; encrypt %.1fx vs CLI encrypt%n",
          cliRe.wallMs / cliSample / ourRe,
          cliEnc.wallMs / cliSample / ourRe,
          cliEnc.wallMs / cliSample / ourEnc);
      System.out.printf(
          Locale.ROOT,
          "  speed-up from CPU time (what %d idle cores give; CLI CPU = its processes'):"
              + " re-encrypt %.1fx vs CLI decrypt+encrypt, %.1fx vs CLI encrypt;"
              + " encrypt %.1fx vs CLI encrypt%n",
          cores,
          cliRe.cpuMs / cliSample / (ourReCpu / cores),
          cliEnc.cpuMs / cliSample / (ourReCpu / cores),
          cliEnc.cpuMs / cliSample / (ourEncCpu / cores));
    } finally {
      pool.shutdownNow();
      pool.awaitTermination(10, TimeUnit.SECONDS);
    }
  }

  /** Wall-clock and CPU time of one measured step (CPU: this JVM's plus its child processes'). */
  private static final class Timing {
    final double wallMs;
    final double cpuMs;

    private Timing(double wallMs, double cpuMs) {
      this.wallMs = wallMs;
      this.cpuMs = cpuMs;
    }

    static Timing of(Callable<?> step) throws Exception {
      long cpu0 = ownCpuNanos() + childCpuNanos();
      long t0 = System.nanoTime();
      step.call();
      long wall = System.nanoTime() - t0;
      long cpu = ownCpuNanos() + childCpuNanos() - cpu0;
      return new Timing(wall / 1e6, cpu / 1e6);
    }

    String per(int n) {
      return String.format(
          Locale.ROOT,
          "%.0f ms wall (%.3f ms/secret), %.0f ms CPU (%.3f ms/secret)",
          wallMs,
          wallMs / n,
          cpuMs,
          cpuMs / n);
    }
  }

  private static long ownCpuNanos() {
    java.lang.management.OperatingSystemMXBean os =
        java.lang.management.ManagementFactory.getOperatingSystemMXBean();
    if (os instanceof com.sun.management.OperatingSystemMXBean) {
      return ((com.sun.management.OperatingSystemMXBean) os).getProcessCpuTime();
    }
    return 0;
  }

  /** CPU time of the child processes waited for (cutime + cstime of /proc/self/stat). */
  private static long childCpuNanos() {
    try {
      String stat = Files.readString(Path.of("/proc/self/stat"));
      String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
      // After the command: field 3 is f[0]; cutime and cstime are fields 16 and 17.
      long ticks = Long.parseLong(f[13]) + Long.parseLong(f[14]);
      return ticks * 10_000_000L; // 100 ticks per second
    } catch (IOException | RuntimeException e) {
      return 0;
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
    Timing encOurs = null;
    Timing decOurs = null;
    Timing encCli = null;
    Timing decCli = null;
    for (int round = 0; round < 3; round++) {
      Timing t =
          Timing.of(
              () -> {
                try (InputStream in = Files.newInputStream(plain);
                    OutputStream out = Files.newOutputStream(ours)) {
                  Age.encrypt(in, out, List.of(recipient), false);
                }
                return null;
              });
      encOurs = encOurs == null || t.wallMs < encOurs.wallMs ? t : encOurs;
      t =
          Timing.of(
              () -> {
                try (InputStream in = Files.newInputStream(ours);
                    OutputStream out = Files.newOutputStream(oursOut)) {
                  Age.decrypt(in, out, List.of(identity));
                }
                return null;
              });
      decOurs = decOurs == null || t.wallMs < decOurs.wallMs ? t : decOurs;
      t =
          Timing.of(
              () -> {
                run("age", "-e", "-r", recipient, "-o", cli.toString(), plain.toString());
                return null;
              });
      encCli = encCli == null || t.wallMs < encCli.wallMs ? t : encCli;
      t =
          Timing.of(
              () -> {
                run("age", "-d", "-i", idFile.toString(), "-o", cliOut.toString(), ours.toString());
                return null;
              });
      decCli = decCli == null || t.wallMs < decCli.wallMs ? t : decCli;
    }
    if (Files.mismatch(plain, oursOut) != -1 || Files.mismatch(plain, cliOut) != -1) {
      throw new IllegalStateException("round trip mismatch");
    }
    double mb = bytes / 1e6;
    System.out.printf(
        Locale.ROOT,
        "  ours:    encrypt %.2f GB/s (CPU %.0f ms), decrypt %.2f GB/s (CPU %.0f ms)%n"
            + "  age CLI: encrypt %.2f GB/s (CPU %.0f ms), decrypt %.2f GB/s (CPU %.0f ms)%n"
            + "  ratio ours/CLI, wall clock: encrypt %.2fx, decrypt %.2fx;"
            + " CPU time: encrypt %.2fx, decrypt %.2fx%n",
        mb / encOurs.wallMs,
        encOurs.cpuMs,
        mb / decOurs.wallMs,
        decOurs.cpuMs,
        mb / encCli.wallMs,
        encCli.cpuMs,
        mb / decCli.wallMs,
        decCli.cpuMs,
        encCli.wallMs / encOurs.wallMs,
        decCli.wallMs / decOurs.wallMs,
        encCli.cpuMs / encOurs.cpuMs,
        decCli.cpuMs / decOurs.cpuMs);
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
