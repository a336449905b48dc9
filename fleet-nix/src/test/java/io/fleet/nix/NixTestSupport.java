package io.fleet.nix;

import io.fleet.testkit.ExternalTools;
import io.fleet.testkit.SharedNixTrees;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.HashMap;
import java.util.Map;
import java.util.stream.Stream;

/** Test flakes and evaluators that run offline against the real nix. */
final class NixTestSupport {
  private NixTestSupport() {}

  /** The real nix (skipped locally when missing, a failure under CI=true). */
  static Path requireNix() {
    return ExternalTools.require("nix");
  }

  /**
   * An evaluator that never reaches the network: fleet-nix's {@code nixpkgs-lib} input is the
   * shared tree (see {@link NixTrees}).
   */
  static NixEvaluator.Builder offline() {
    return NixEvaluator.builder()
        .option("substituters", "")
        .option("flake-registry", "")
        .option("sandbox", "false")
        .option("build-users-group", "")
        .overrideInput(
            "fleet/nixpkgs-lib", SharedNixTrees.inTarget().locked(SharedNixTrees.NIXPKGS_LIB));
  }

  /**
   * An offline evaluator whose flake inputs {@code nixpkgs}, {@code flake-parts} and {@code fleet}
   * are the shared trees (a 2020 nixpkgs with real NixOS, flake-parts and its nixpkgs-lib) and
   * fleet-nix's flake written into {@code tmp}, whatever URLs the flake gives them.
   */
  static NixEvaluator.Builder realNixos(Path tmp) {
    Path fleet = NixEvaluator.writeFleetFlake(tmp.resolve("fleet-nix"));
    return offline()
        .overrideInput("nixpkgs", SharedNixTrees.inTarget().locked(SharedNixTrees.NIXPKGS_2020))
        .overrideInput("flake-parts", SharedNixTrees.inTarget().locked(SharedNixTrees.FLAKE_PARTS))
        .overrideInput(
            "flake-parts/nixpkgs-lib", SharedNixTrees.inTarget().locked(SharedNixTrees.NIXPKGS_LIB))
        .overrideInput("fleet", "path:" + fleet);
  }

  /**
   * Copies test flake {@code src/test/resources/flakes/<name>} into {@code tmp}, with
   * {@code @FLEET@} replaced by the path of fleet-nix's flake (written there from the jar's
   * resources) and the other {@code @KEY@}s by {@code vars}.
   *
   * @return the flake reference, {@code path:<dir>}
   */
  static String flake(Path tmp, String name, Map<String, String> vars) {
    try {
      Path fleet = NixEvaluator.writeFleetFlake(tmp.resolve("fleet-nix"));
      Path dir = tmp.resolve(name);
      copyTree(Path.of("src/test/resources/flakes", name), dir);
      Map<String, String> all = new HashMap<>(vars);
      all.put("FLEET", fleet.toString());
      try (Stream<Path> files = Files.walk(dir)) {
        for (Path p : (Iterable<Path>) files::iterator) {
          if (p.toString().endsWith(".nix")) {
            String text = Files.readString(p);
            for (Map.Entry<String, String> e : all.entrySet()) {
              text = text.replace("@" + e.getKey() + "@", e.getValue());
            }
            Files.writeString(p, text);
          }
        }
      }
      return "path:" + dir;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  static void copyTree(Path from, Path to) throws IOException {
    try (Stream<Path> files = Files.walk(from)) {
      for (Path p : (Iterable<Path>) files::iterator) {
        Path t = to.resolve(from.relativize(p).toString());
        if (Files.isDirectory(p)) {
          Files.createDirectories(t);
        } else {
          Files.copy(p, t, StandardCopyOption.REPLACE_EXISTING);
        }
      }
    }
  }

  static void write(Path file, String text) {
    try {
      Files.createDirectories(file.getParent());
      Files.writeString(file, text);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
