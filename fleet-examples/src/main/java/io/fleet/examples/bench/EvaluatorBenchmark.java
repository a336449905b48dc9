package io.fleet.examples.bench;

import io.fleet.api.Fleet;
import io.fleet.api.spi.BuildListener;
import io.fleet.nix.NixEvaluator;
import io.fleet.testkit.SharedNixTrees;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;

/**
 * Evaluates and builds a fleet of N hosts (default 100) with the real nix, twice over fresh
 * systems: once with {@link NixEvaluator} (one {@code nix eval} for all hosts, one {@code nix
 * build} for all systems) and once the naive way (one {@code nix eval} and one {@code nix build}
 * per host), and prints the times and their ratio.
 *
 * <p>Both sides get the same nix options (offline, {@code max-jobs} from the second argument); only
 * the batched side can use parallel jobs, since the naive side builds one system per process.
 *
 * <p>Run: {@code mvn -q -pl fleet-examples -am compile exec:java
 * -Dexec.mainClass=io.fleet.examples.bench.EvaluatorBenchmark -Dexec.args="100 auto 3"}. Needs
 * {@code nix} on PATH; builds with {@code builtins.derivation} and {@code /bin/sh}, offline.
 */
public final class EvaluatorBenchmark {
  private static final List<String> BASE_OPTIONS =
      List.of(
          "--extra-experimental-features",
          "nix-command flakes",
          "--option",
          "substituters",
          "",
          "--option",
          "flake-registry",
          "",
          "--option",
          "sandbox",
          "false",
          "--option",
          "build-users-group",
          "");

  private static String maxJobs = "auto";
  // fleet-nix's nixpkgs-lib input, the shared tree (../shared/nix), so nothing is fetched.
  private static String nixpkgsLib;

  private EvaluatorBenchmark() {}

  /**
   * Entry point; optional arguments: the number of hosts (100), nix's max-jobs (auto), rounds (3).
   */
  public static void main(String[] args) throws Exception {
    int hosts = args.length > 0 ? Integer.parseInt(args[0]) : 100;
    maxJobs = args.length > 1 ? args[1] : "auto";
    Path dir = Files.createTempDirectory("fleet-evaluator-bench");
    nixpkgsLib = SharedNixTrees.unpack(Path.of("target/nix-trees")).locked("nixpkgs-lib");
    Path fleetFlake = NixEvaluator.writeFleetFlake(dir.resolve("fleet-nix"));

    int rounds = args.length > 2 ? Integer.parseInt(args[2]) : 3;
    // Warm-up: nix's store database, the fleet-nix input, the JVM.
    runBatched(flake(dir, fleetFlake, "warmup", 3), 3);

    // Rounds alternate between the two sides (the machine's load drifts); medians are reported.
    List<long[]> batchedRuns = new ArrayList<>();
    List<long[]> naiveRuns = new ArrayList<>();
    for (int round = 0; round < rounds; round++) {
      String batchedFlake = flake(dir, fleetFlake, "batched-" + round, hosts);
      long t0 = System.nanoTime();
      long[] phases = runBatched(batchedFlake, hosts);
      batchedRuns.add(new long[] {System.nanoTime() - t0, phases[0]});

      String naiveFlake = flake(dir, fleetFlake, "naive-" + round, hosts);
      t0 = System.nanoTime();
      long naiveEval = runNaive(naiveFlake, hosts);
      naiveRuns.add(new long[] {System.nanoTime() - t0, naiveEval});
      System.out.printf(
          "round %d: batched %.2f s (evaluate %.2f s), one nix per host %.2f s (evaluate %.2f s)%n",
          round + 1,
          batchedRuns.get(round)[0] / 1e9,
          batchedRuns.get(round)[1] / 1e9,
          naiveRuns.get(round)[0] / 1e9,
          naiveRuns.get(round)[1] / 1e9);
    }
    long batched = median(batchedRuns, 0);
    long batchedEval = median(batchedRuns, 1);
    long naive = median(naiveRuns, 0);
    long naiveEval = median(naiveRuns, 1);

    System.out.printf(
        "hosts: %d (each with a fresh system to build), max-jobs %s, median of %d rounds%n",
        hosts, maxJobs, rounds);
    System.out.printf(
        "batched NixEvaluator: %7.2f s  (evaluate %.2f s in 1 nix process, build in 1 more)%n",
        batched / 1e9, batchedEval / 1e9);
    System.out.printf(
        "one nix per host:     %7.2f s  (evaluate %.2f s in %d processes, build in %d more)%n",
        naive / 1e9, naiveEval / 1e9, hosts, hosts);
    System.out.printf(
        "speed-up: %.1fx overall, %.1fx for evaluation%n",
        (double) naive / batched, (double) naiveEval / batchedEval);
  }

  private static long median(List<long[]> runs, int index) {
    long[] values = runs.stream().mapToLong(r -> r[index]).sorted().toArray();
    return values[values.length / 2];
  }

  private static long[] runBatched(String flake, int hosts) {
    try (NixEvaluator nix =
        NixEvaluator.builder()
            .option("substituters", "")
            .option("flake-registry", "")
            .option("sandbox", "false")
            .option("build-users-group", "")
            .option("max-jobs", maxJobs)
            .overrideInput("fleet/nixpkgs-lib", nixpkgsLib)
            .build()) {
      long t0 = System.nanoTime();
      Fleet fleet = nix.evaluate(flake, "default");
      long eval = System.nanoTime() - t0;
      Map<String, String> built = nix.build(fleet, fleet.hosts().keySet(), BuildListener.NONE);
      long build = System.nanoTime() - t0 - eval;
      if (built.size() != hosts) {
        throw new IllegalStateException("built " + built.size() + " of " + hosts + " hosts");
      }
      return new long[] {eval, build};
    }
  }

  /** One nix eval per host (the same facts evaluate.nix collects), then one nix build per host. */
  private static long runNaive(String flake, int hosts) throws Exception {
    long t0 = System.nanoTime();
    List<String> drvs = new ArrayList<>();
    for (int i = 0; i < hosts; i++) {
      String out =
          nix(
              "eval",
              "--json",
              flake + "#fleetConfigurations.\"default\".hosts.\"host-" + i + "\"",
              "--apply",
              "h: { inherit (h) system tags deployTarget secrets; drvPath = h.toplevel.drvPath; }");
      if (!out.contains("drvPath")) {
        throw new IllegalStateException("unexpected nix eval output: " + out);
      }
      drvs.add(out);
    }
    long eval = System.nanoTime() - t0;
    for (int i = 0; i < hosts; i++) {
      nix(
          "build",
          "--json",
          "--no-link",
          flake + "#fleetConfigurations.\"default\".hosts.\"host-" + i + "\".toplevel");
    }
    return eval;
  }

  private static String nix(String subcommand, String... args)
      throws IOException, InterruptedException {
    List<String> cmd = new ArrayList<>();
    cmd.add("nix");
    cmd.add(subcommand);
    cmd.addAll(BASE_OPTIONS);
    cmd.addAll(List.of("--option", "max-jobs", maxJobs));
    cmd.addAll(List.of("--override-input", "fleet/nixpkgs-lib", nixpkgsLib));
    cmd.addAll(List.of(args));
    Process p = new ProcessBuilder(cmd).redirectError(ProcessBuilder.Redirect.DISCARD).start();
    p.getOutputStream().close();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    if (p.waitFor() != 0) {
      throw new IllegalStateException("failed: " + String.join(" ", cmd));
    }
    return out;
  }

  private static String flake(Path dir, Path fleetFlake, String name, int hosts)
      throws IOException {
    Path flakeDir = Files.createDirectories(dir.resolve(name));
    Files.writeString(
        flakeDir.resolve("flake.nix"),
        "{\n"
            + "  inputs.fleet.url = \"path:"
            + fleetFlake
            + "\";\n"
            + "  outputs = { self, fleet }: {\n"
            + "    fleetConfigurations.default = fleet.lib.fleetConfiguration {\n"
            + "      mkSystem = fleet.lib.shellSystem;\n"
            + "      modules = [ {\n"
            + "        nixos = { run = \""
            + UUID.randomUUID()
            + "\"; services.motd = \"benchmark\"; };\n"
            + "        sharedSecrets.token = { expectedOwners = [ \"host-0\" ];"
            + " generator = { mkPassword }: mkPassword { }; };\n"
            + "        hosts = builtins.listToAttrs (builtins.genList (i: {\n"
            + "          name = \"host-${toString i}\";\n"
            + "          value = { tags = [ \"bench\" ]; nixos.secrets.key ="
            + " { generator = { mkEd25519 }: mkEd25519 { }; }; };\n"
            + "        }) "
            + hosts
            + ");\n"
            + "      } ];\n"
            + "    };\n"
            + "  };\n"
            + "}\n");
    return "path:" + flakeDir;
  }
}
