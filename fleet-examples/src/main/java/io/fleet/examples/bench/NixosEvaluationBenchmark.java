package io.fleet.examples.bench;

import io.fleet.api.Fleet;
import io.fleet.nix.NixEvaluator;
import io.fleet.testkit.SharedNixTrees;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.stream.Stream;

/**
 * Seconds and peak memory of evaluating fleets of real NixOS hosts (the shared 2020 nixpkgs, {@code
 * ../shared/nix}) through {@link NixEvaluator}, side by side in one run: one {@code nix eval} for
 * the whole fleet ("single": chunk size = fleet size) against the pool ({@link
 * NixEvaluator.Builder#evaluationWorkers} = cores, chunks of at most {@link
 * NixEvaluator#DEFAULT_CHUNK_SIZE} hosts and at most hosts ÷ cores, so every core gets work). Each
 * evaluation computes every host's {@code toplevel.drvPath}, secrets and tags. Peak memory is each
 * nix process's maximum resident set size, from {@code /usr/bin/time}; "ideal" is the single
 * process's seconds ÷ cores.
 *
 * <p>Run: {@code mvn -q -pl fleet-examples -am compile exec:java
 * -Dexec.mainClass=io.fleet.examples.bench.NixosEvaluationBenchmark -Dexec.args="10 30 100"}
 * (optionally {@code --memory-limit-mb 1500} for the pool). Needs {@code nix} and {@code
 * /usr/bin/time}; offline.
 */
public final class NixosEvaluationBenchmark {
  private NixosEvaluationBenchmark() {}

  /**
   * Entry point; arguments: the fleet sizes to measure (default 10 30; add 100 for the issue's
   * large fleet: the single process then takes some 3 minutes and 6 GB), and optionally {@code
   * --memory-limit-mb N} to give the pool {@link NixEvaluator.Builder#evaluationMemoryLimit}.
   */
  public static void main(String[] args) throws Exception {
    List<Integer> sizes = new ArrayList<>();
    long memoryLimit = 0;
    for (int i = 0; i < args.length; i++) {
      if (args[i].equals("--memory-limit-mb") && i + 1 < args.length) {
        memoryLimit = Long.parseLong(args[++i]) << 20;
      } else {
        sizes.add(Integer.parseInt(args[i]));
      }
    }
    if (sizes.isEmpty()) {
      sizes.addAll(List.of(10, 30));
    }
    int cores = Runtime.getRuntime().availableProcessors();
    Path dir = Files.createTempDirectory("fleet-nixos-bench");
    SharedNixTrees trees = SharedNixTrees.unpack(Path.of("target/nix-trees"));
    String nixpkgs = trees.locked("nixpkgs-20.09pre");
    String nixpkgsLib = trees.locked("nixpkgs-lib");
    Path fleetFlake = NixEvaluator.writeFleetFlake(dir.resolve("fleet-nix"));

    System.out.printf(
        "cores %d, load average %s%n"
            + "         mode    hosts  seconds  ideal  processes  max-peak-rss-MB  per-process-MB%n",
        cores, Files.readString(Path.of("/proc/loadavg")).trim());
    for (int n : sizes) {
      double singleSeconds = 0;
      for (String mode : List.of("single", "pool")) {
        Path run = dir.resolve(mode + "-" + n);
        Path rssDir = run.resolve("rss");
        Files.createDirectories(rssDir);
        Path wrapper = run.resolve("nix-timed");
        Files.writeString(
            wrapper, "#!/bin/sh\nexec /usr/bin/time -f %M -o '" + rssDir + "'/rss-$$ nix \"$@\"\n");
        Files.setPosixFilePermissions(wrapper, PosixFilePermissions.fromString("rwxr-xr-x"));
        Path flake = run.resolve("flake");
        Files.createDirectories(flake);
        Files.writeString(flake.resolve("flake.nix"), flakeText(n));
        NixEvaluator.Builder b =
            NixEvaluator.builder()
                .nixBinary(wrapper.toString())
                .option("substituters", "")
                .option("flake-registry", "")
                .overrideInput("fleet", "path:" + fleetFlake)
                .overrideInput("fleet/nixpkgs-lib", nixpkgsLib)
                .overrideInput("nixpkgs", nixpkgs);
        if (mode.equals("single")) {
          b.evaluationChunkSize(n).evaluationWorkers(1);
        } else {
          int perCore = (n + cores - 1) / cores;
          b.evaluationWorkers(cores)
              .evaluationChunkSize(Math.min(NixEvaluator.DEFAULT_CHUNK_SIZE, perCore))
              .evaluationMemoryLimit(memoryLimit);
        }
        try (NixEvaluator nix = b.build()) {
          long start = System.nanoTime();
          Fleet fleet = nix.evaluate("path:" + flake, "default");
          double seconds = (System.nanoTime() - start) / 1e9;
          if (fleet.hosts().size() != n) {
            throw new IllegalStateException(
                "expected " + n + " hosts, got " + fleet.hosts().size());
          }
          List<Long> mbs = new ArrayList<>();
          try (Stream<Path> files = Files.list(rssDir)) {
            for (Path f : files.sorted().toList()) {
              String last = Files.readString(f).trim().lines().reduce((x, y) -> y).orElse("0");
              mbs.add(Long.parseLong(last) / 1024);
            }
          }
          if (mode.equals("single")) {
            singleSeconds = seconds;
          }
          System.out.printf(
              "         %-6s  %5d  %7.1f  %5.1f  %9d  %15d  %s%n",
              mode,
              n,
              seconds,
              singleSeconds / cores,
              mbs.size(),
              mbs.stream().mapToLong(Long::longValue).max().orElse(0),
              mbs);
        }
      }
    }
  }

  private static String flakeText(int hosts) {
    return "{\n"
        + "  inputs.fleet.url = \"github:CertainLach/fleet\";\n"
        + "  inputs.nixpkgs.url = \"github:nixos/nixpkgs\";\n"
        + "  outputs = { self, fleet, nixpkgs }: {\n"
        + "    fleetConfigurations.default = fleet.lib.fleetConfiguration {\n"
        + "      inherit nixpkgs;\n"
        + "      modules = [ {\n"
        + "        nixos = {\n"
        + "          fileSystems.\"/\" = { device = \"/dev/vda1\"; fsType = \"ext4\"; };\n"
        + "          boot.loader.grub.device = \"/dev/vda\";\n"
        + "          environment.etc.bench-run.text = \""
        + UUID.randomUUID()
        + "\";\n"
        + "          secrets.wg-key = { generator = { mkWireguard }: mkWireguard { }; };\n"
        + "        };\n"
        + "        hosts = builtins.listToAttrs (builtins.genList (i: {\n"
        + "          name = \"host-${toString i}\"; value = { tags = [ \"bench\" ]; };\n"
        + "        }) "
        + hosts
        + ");\n"
        + "      } ];\n"
        + "    };\n"
        + "  };\n"
        + "}\n";
  }
}
