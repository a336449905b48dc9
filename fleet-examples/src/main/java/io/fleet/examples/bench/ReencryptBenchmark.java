package io.fleet.examples.bench;

import io.fleet.api.Fleet;
import io.fleet.api.Generators;
import io.fleet.api.data.FleetData;
import io.fleet.api.data.HostData;
import io.fleet.api.data.SecretPart;
import io.fleet.api.data.SharedSecretData;
import io.fleet.api.data.StoredSecret;
import io.fleet.nix.FleetNixFile;
import io.fleet.secrets.RotationAction;
import io.fleet.secrets.RotationResult;
import io.fleet.secrets.SecretRotation;
import io.fleet.secrets.age.Age;
import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.SecureRandom;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.stream.Collectors;
import java.util.stream.Stream;

/**
 * Re-encrypting 1,000 secrets of 1 KiB to 5 ssh-ed25519 recipients after a host's key changed, as
 * whole processes from the command line, side by side in one run on the same cores:
 *
 * <ul>
 *   <li><b>ours</b>: a plain Java main in a fresh JVM ({@code java -cp … ReencryptBenchmark
 *       --rotate fleet.nix identity}) that loads {@code fleet.nix} with {@link FleetNixFile}, plans
 *       with {@link SecretRotation} (every secret: REENCRYPT, a host key changed) and re-encrypts
 *       them all with the operator identity, saving the file (batched, journaled);
 *   <li><b>age CLI</b>: {@code sh -c 'for f in secrets/*.age; do age -d -i key "$f" | age -e -R
 *       recipients.txt -o "$f.new" && mv "$f.new" "$f"; done'}, one decrypt and one encrypt process
 *       per secret, as {@code agenix -r} does.
 * </ul>
 *
 * <p>Each side is timed by this process from starting the child process to its exit (wall clock),
 * and by the CPU time of its process tree (this process's {@code cutime + cstime} before and after
 * waiting for it). Rounds alternate the two sides, each from a fresh copy of the same input. Needs
 * {@code age} and {@code ssh-keygen}. Arguments: {@code [secrets] [rounds]}.
 *
 * <p>Our side runs on this JVM's class path unless {@code -Dbench.ours.cp=PATH} names another (for
 * example {@code fleet-examples/target/fleet-cli.jar}, the one jar a CLI user runs, whose classes
 * are not in signed jars). With {@code -Dbench.cds=true} (a class path of jars only) an untimed
 * training run first writes an AppCDS archive ({@code -XX:ArchiveClassesAtExit}) that the timed
 * runs then map ({@code -XX:SharedArchiveFile}), as a user's launcher script can; the report says
 * which configuration was measured. {@code -Dbench.childJvmArgs="…"} adds JVM options to our side.
 */
public final class ReencryptBenchmark {
  private static final int RECIPIENTS = 5;

  private ReencryptBenchmark() {}

  /** Runs the benchmark, or with {@code --rotate FILE IDENTITY} the measured Java side. */
  public static void main(String[] args) throws Exception {
    if (args.length > 0 && args[0].equals("--rotate")) {
      rotate(Path.of(args[1]), Files.readString(Path.of(args[2])));
      return;
    }
    int secrets = args.length > 0 ? Integer.parseInt(args[0]) : 1000;
    int rounds = args.length > 1 ? Integer.parseInt(args[1]) : 3;
    Path dir = Files.createTempDirectory("reencrypt-bench");
    try {
      run(dir, secrets, rounds);
    } finally {
      if (Boolean.getBoolean("bench.keep")) {
        System.out.println("  kept " + dir);
        return;
      }
      try (Stream<Path> s = Files.walk(dir)) {
        s.sorted((a, b) -> b.compareTo(a)).forEach(p -> p.toFile().delete());
      }
    }
  }

  /** The measured Java side: what a user's main does to re-key a fleet after a key change. */
  static void rotate(Path fleetNix, String identity) {
    long t0 = System.nanoTime();
    FleetNixFile store = FleetNixFile.at(fleetNix);
    FleetData data = store.load();
    // The fleet as its flake would declare it: every stored shared secret, for the same owners.
    Fleet.Builder fb = Fleet.builder().name("bench");
    for (String h : data.hosts().keySet()) {
      fb.host(h, x -> {});
    }
    for (Map.Entry<String, SharedSecretData> e : data.sharedSecrets().entrySet()) {
      List<String> owners = new ArrayList<>(e.getValue().owners());
      fb.sharedSecret(
          e.getKey(),
          s -> s.expectedOwners(owners.toArray(new String[0])).generator(Generators.password()));
    }
    long t1 = System.nanoTime();
    long c1 = cpu();
    SecretRotation rotation =
        SecretRotation.builder().fleet(fb.build()).store(store).operatorIdentity(identity).build();
    var plan = rotation.plan();
    long t2 = System.nanoTime();
    long c2 = cpu();
    RotationResult r = rotation.execute(plan);
    long t3 = System.nanoTime();
    long c3 = cpu();
    long n = r.done().stream().filter(s -> s.action() == RotationAction.REENCRYPT).count();
    System.out.printf(
        Locale.ROOT,
        "    java main: re-encrypted %d secrets; wall (CPU of the JVM) since main: load %.0f ms"
            + " (%.0f), plan %.0f ms (%.0f), execute %.0f ms (%.0f)%n",
        n,
        (t1 - t0) / 1e6,
        c1 / 1e6,
        (t2 - t1) / 1e6,
        (c2 - c1) / 1e6,
        (t3 - t2) / 1e6,
        (c3 - c2) / 1e6);
  }

  private static long cpu() {
    java.lang.management.OperatingSystemMXBean os =
        java.lang.management.ManagementFactory.getOperatingSystemMXBean();
    return os instanceof com.sun.management.OperatingSystemMXBean
        ? ((com.sun.management.OperatingSystemMXBean) os).getProcessCpuTime()
        : 0;
  }

  private static void run(Path dir, int secrets, int rounds) throws Exception {
    System.out.printf(
        "re-encrypt %d secrets of 1 KiB to %d ssh-ed25519 recipients; %d cores; load average %s%n",
        secrets, RECIPIENTS, Runtime.getRuntime().availableProcessors(), loadAverage());
    List<String> oldRecipients = new ArrayList<>();
    List<String> newRecipients = new ArrayList<>();
    for (int i = 0; i < RECIPIENTS; i++) {
      Path key = dir.resolve("host" + i);
      exec(
          dir,
          "ssh-keygen",
          "-q",
          "-t",
          "ed25519",
          "-N",
          "",
          "-C",
          "host" + i,
          "-f",
          key.toString());
      oldRecipients.add(pub(key));
    }
    // host4's key was replaced: every secret must be re-encrypted to the new set.
    Path rekeyed = dir.resolve("host4-new");
    exec(
        dir,
        "ssh-keygen",
        "-q",
        "-t",
        "ed25519",
        "-N",
        "",
        "-C",
        "host4",
        "-f",
        rekeyed.toString());
    newRecipients.addAll(oldRecipients.subList(0, RECIPIENTS - 1));
    newRecipients.add(pub(rekeyed));
    Path identity = dir.resolve("host0");

    SecureRandom rnd = new SecureRandom();
    Path pristine = Files.createDirectories(dir.resolve("pristine/secrets"));
    FleetData.Builder db = FleetData.builder();
    for (int i = 0; i < RECIPIENTS; i++) {
      db.putHosts("host" + i, HostData.withKey(newRecipients.get(i)));
    }
    List<String> owners = new ArrayList<>();
    for (int i = 0; i < RECIPIENTS; i++) {
      owners.add("host" + i);
    }
    Instant created = Instant.parse("2026-01-01T00:00:00Z");
    for (int i = 0; i < secrets; i++) {
      byte[] plain = new byte[1024];
      rnd.nextBytes(plain);
      byte[] file = Age.encrypt(plain, oldRecipients);
      String name = String.format("s%04d", i);
      Files.write(pristine.resolve(name + ".age"), file);
      db.putSharedSecrets(
          name,
          SharedSecretData.of(
              owners,
              StoredSecret.builder()
                  .createdAt(created)
                  .putParts("secret", SecretPart.encrypted(file))
                  .build()));
    }
    Path pristineNix = dir.resolve("pristine/fleet.nix");
    Files.writeString(pristineNix, FleetNixFile.format(db.build()));
    Path recipientsFile = Files.write(dir.resolve("recipients.txt"), newRecipients);
    System.out.printf(
        "  input: fleet.nix %.1f MB; %d .age files for the CLI%n",
        Files.size(pristineNix) / 1e6, secrets);

    String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
    // Absolute entries: the child runs in its round's directory.
    String cp =
        Arrays.stream(
                System.getProperty("bench.ours.cp", System.getProperty("java.class.path"))
                    .split(File.pathSeparator))
            .map(e -> Path.of(e).toAbsolutePath().toString())
            .collect(Collectors.joining(File.pathSeparator));
    List<String> jvmArgs = new ArrayList<>();
    String extra = System.getProperty("bench.childJvmArgs", "").trim();
    if (!extra.isEmpty()) {
      jvmArgs.addAll(Arrays.asList(extra.split("\\s+")));
    }
    if (Boolean.getBoolean("bench.cds")) {
      jvmArgs.add("-XX:SharedArchiveFile=" + train(dir, java, cp, jvmArgs, pristineNix, identity));
    }
    System.out.printf(
        "  ours: java %s-cp %s%n",
        jvmArgs.isEmpty() ? "" : String.join(" ", jvmArgs) + " ",
        cp.length() > 100 ? cp.substring(0, 100) + "…" : cp);
    List<double[]> ours = new ArrayList<>();
    List<double[]> cli = new ArrayList<>();
    for (int round = 0; round < rounds; round++) {
      Path work = dir.resolve("round" + round);
      Files.createDirectories(work.resolve("secrets"));
      Path nix = Files.copy(pristineNix, work.resolve("fleet.nix"));
      try (Stream<Path> s = Files.list(pristine)) {
        for (Path p : (Iterable<Path>) s::iterator) {
          Files.copy(
              p,
              work.resolve("secrets").resolve(p.getFileName()),
              StandardCopyOption.COPY_ATTRIBUTES);
        }
      }
      List<String> javaSide = new ArrayList<>(List.of(java));
      javaSide.addAll(jvmArgs);
      javaSide.addAll(
          List.of(
              "-cp",
              cp,
              ReencryptBenchmark.class.getName(),
              "--rotate",
              nix.toString(),
              identity.toString()));
      ours.add(timed(work, javaSide.toArray(new String[0])));
      cli.add(
          timed(
              work,
              "sh",
              "-c",
              "for f in secrets/*.age; do age -d -i \"$1\" \"$f\" | age -e -R \"$2\" -o \"$f.new\""
                  + " && mv \"$f.new\" \"$f\" || exit 1; done",
              "sh",
              identity.toString(),
              recipientsFile.toString()));
      check(work, dir.resolve("host4-new"), secrets);
      Path log = work.resolve(java.replace('/', '_') + ".log");
      if (Files.exists(log)) {
        System.out.print(Files.readString(log));
      }
      System.out.printf(
          Locale.ROOT,
          "  round %d: ours %.2f s wall (%.2f s CPU), age CLI %.2f s wall (%.2f s CPU)%n",
          round + 1,
          ours.get(round)[0],
          ours.get(round)[1],
          cli.get(round)[0],
          cli.get(round)[1]);
    }
    double oursMin = ours.stream().mapToDouble(t -> t[0]).min().orElseThrow();
    double cliMin = cli.stream().mapToDouble(t -> t[0]).min().orElseThrow();
    double oursMed = median(ours);
    double cliMed = median(cli);
    System.out.printf(
        Locale.ROOT,
        "  best: ours %.2f s, age CLI %.2f s = %.1fx; median: %.2f s vs %.2f s = %.1fx (goal >= 8x);"
            + " load average now %s%n",
        oursMin,
        cliMin,
        cliMin / oursMin,
        oursMed,
        cliMed,
        cliMed / oursMed,
        loadAverage());
  }

  /**
   * The untimed training run for {@code bench.cds}: our side once on a copy of the input, writing
   * the classes it loaded to an AppCDS archive; returns the archive.
   */
  private static Path train(
      Path dir, String java, String cp, List<String> jvmArgs, Path pristineNix, Path identity)
      throws Exception {
    for (String entry : cp.split(File.pathSeparator)) {
      if (Files.isDirectory(Path.of(entry))) {
        throw new IllegalArgumentException(
            "bench.cds needs a class path of jars only (AppCDS refuses directories), not "
                + entry
                + ": use -Dbench.ours.cp=fleet-examples/target/fleet-cli.jar");
      }
    }
    Path work = Files.createDirectories(dir.resolve("training"));
    Path nix = Files.copy(pristineNix, work.resolve("fleet.nix"));
    Path archive = dir.resolve("ours.jsa");
    List<String> argv = new ArrayList<>(List.of(java));
    argv.addAll(jvmArgs);
    argv.addAll(
        List.of(
            "-XX:ArchiveClassesAtExit=" + archive,
            "-cp",
            cp,
            ReencryptBenchmark.class.getName(),
            "--rotate",
            nix.toString(),
            identity.toString()));
    double[] t = timed(work, argv.toArray(new String[0]));
    System.out.printf(
        Locale.ROOT,
        "  AppCDS training run (untimed in the results): %.2f s wall, archive %.1f MB%n",
        t[0],
        Files.size(archive) / 1e6);
    return archive;
  }

  /** Both sides' results open with the new host key: every secret was re-encrypted. */
  private static void check(Path work, Path newKey, int secrets) throws IOException {
    FleetData d = FleetNixFile.at(work.resolve("fleet.nix")).load();
    List<String> id = List.of(Files.readString(newKey));
    if (d.sharedSecrets().size() != secrets) {
      throw new IllegalStateException("fleet.nix lost secrets");
    }
    for (SharedSecretData s : d.sharedSecrets().values()) {
      Age.decrypt(s.secret().part("secret").orElseThrow().bytes(), id);
    }
    try (Stream<Path> s = Files.list(work.resolve("secrets"))) {
      for (Path p : (Iterable<Path>) s::iterator) {
        Age.decrypt(Files.readAllBytes(p), id);
      }
    }
  }

  private static double median(List<double[]> t) {
    double[] w = t.stream().mapToDouble(x -> x[0]).sorted().toArray();
    return w[w.length / 2];
  }

  /** Wall seconds and CPU seconds of the process tree of {@code argv}, run in {@code dir}. */
  private static double[] timed(Path dir, String... argv) throws Exception {
    long cpu0 = childCpuTicks();
    long t0 = System.nanoTime();
    Process p =
        new ProcessBuilder(argv)
            .directory(dir.toFile())
            .redirectErrorStream(true)
            .redirectOutput(dir.resolve(argv[0].replace('/', '_') + ".log").toFile())
            .start();
    int exit = p.waitFor();
    double wall = (System.nanoTime() - t0) / 1e9;
    double cpu = (childCpuTicks() - cpu0) / 100.0;
    if (exit != 0) {
      throw new IllegalStateException(
          Arrays.toString(argv).substring(0, 60) + " failed with exit code " + exit);
    }
    return new double[] {wall, cpu};
  }

  /** cutime + cstime of /proc/self/stat: the CPU of the children waited for, in ticks. */
  private static long childCpuTicks() throws IOException {
    String stat = Files.readString(Path.of("/proc/self/stat"));
    String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
    return Long.parseLong(f[13]) + Long.parseLong(f[14]);
  }

  private static String pub(Path key) throws IOException {
    String[] f = Files.readString(Path.of(key + ".pub")).trim().split(" ");
    return f[0] + " " + f[1];
  }

  private static void exec(Path dir, String... argv) throws Exception {
    Process p = new ProcessBuilder(argv).directory(dir.toFile()).redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    if (p.waitFor() != 0) {
      throw new IllegalStateException(argv[0] + " failed: " + out);
    }
  }

  private static String loadAverage() {
    try {
      return String.join(
          " ", Arrays.asList(Files.readString(Path.of("/proc/loadavg")).split(" ")).subList(0, 3));
    } catch (IOException e) {
      return "unknown";
    }
  }
}
