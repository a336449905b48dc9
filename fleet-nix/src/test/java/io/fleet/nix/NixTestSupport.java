package io.fleet.nix;

import io.fleet.testkit.ExternalTools;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.stream.Stream;

/** Test flakes and evaluators that run offline against the real nix. */
final class NixTestSupport {
  private NixTestSupport() {}

  /** The real nix (skipped locally when missing, a failure under CI=true). */
  static Path requireNix() {
    return ExternalTools.require("nix");
  }

  /** An evaluator that never reaches the network. */
  static NixEvaluator.Builder offline() {
    return NixEvaluator.builder()
        .option("substituters", "")
        .option("flake-registry", "")
        .option("sandbox", "false");
  }

  /** Copies this module's flake (flake.nix and src/main/nix) to {@code dir}, as a flake input. */
  static Path copyFleetFlake(Path dir) {
    try {
      Path target = Files.createDirectories(dir.resolve("fleet-nix"));
      Files.copy(Path.of("flake.nix"), target.resolve("flake.nix"));
      copyTree(Path.of("src/main/nix"), target.resolve("src/main/nix"));
      return target;
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
