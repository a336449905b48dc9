package io.fleet.examples.bench;

import io.fleet.api.Fleet;
import io.fleet.nix.NixEvaluator;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;

/**
 * Seconds and peak memory of evaluating fleets of real NixOS hosts (the shared 2020 nixpkgs, {@code
 * ../shared/nix}) through {@link NixEvaluator}: one {@code nix eval} per fleet, every host's {@code
 * toplevel.drvPath}, secrets and tags. Peak memory is the nix process's maximum resident set size,
 * from {@code /usr/bin/time}.
 *
 * <p>Run: {@code mvn -q -pl fleet-examples -am compile exec:java
 * -Dexec.mainClass=io.fleet.examples.bench.NixosEvaluationBenchmark -Dexec.args="1 10 30"}. Needs
 * {@code nix} and {@code /usr/bin/time}; offline.
 */
public final class NixosEvaluationBenchmark {
  private NixosEvaluationBenchmark() {}

  /** Entry point; arguments: the fleet sizes to measure (default 1 10 30). */
  public static void main(String[] args) throws Exception {
    List<Integer> sizes = new ArrayList<>();
    for (String a : args) {
      sizes.add(Integer.parseInt(a));
    }
    if (sizes.isEmpty()) {
      sizes.addAll(List.of(1, 10, 30));
    }
    Path dir = Files.createTempDirectory("fleet-nixos-bench");
    SharedNixTrees trees = SharedNixTrees.unpack(Path.of("target/nix-trees"));
    String nixpkgs = trees.locked("nixpkgs-20.09pre");
    String nixpkgsLib = trees.locked("nixpkgs-lib");
    Path fleetFlake = NixEvaluator.writeFleetFlake(dir.resolve("fleet-nix"));
    Path rss = dir.resolve("peak-rss");
    Path wrapper = dir.resolve("nix-timed");
    Files.writeString(wrapper, "#!/bin/sh\nexec /usr/bin/time -f %M -o '" + rss + "' nix \"$@\"\n");
    Files.setPosixFilePermissions(wrapper, PosixFilePermissions.fromString("rwxr-xr-x"));

    System.out.println("hosts  seconds  peak-rss-MB  (one nix eval through NixEvaluator)");
    for (int n : sizes) {
      Path flake = dir.resolve("fleet-" + n);
      Files.createDirectories(flake);
      Files.writeString(flake.resolve("flake.nix"), flakeText(n));
      try (NixEvaluator nix =
          NixEvaluator.builder()
              .nixBinary(wrapper.toString())
              .option("substituters", "")
              .option("flake-registry", "")
              .overrideInput("fleet", "path:" + fleetFlake)
              .overrideInput("fleet/nixpkgs-lib", nixpkgsLib)
              .overrideInput("nixpkgs", nixpkgs)
              .build()) {
        long start = System.nanoTime();
        Fleet fleet = nix.evaluate("path:" + flake, "default");
        double seconds = (System.nanoTime() - start) / 1e9;
        if (fleet.hosts().size() != n) {
          throw new IllegalStateException("expected " + n + " hosts, got " + fleet.hosts().size());
        }
        long kb = Long.parseLong(Files.readString(rss).trim().lines().reduce((a, b) -> b).get());
        System.out.printf("%5d  %7.1f  %11d%n", n, seconds, kb / 1024);
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
