package io.fleet.nix;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.fleet.testkit.ExternalTools;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The real Nix trees of {@code ../shared/nix} (nixpkgs' lib, flake-parts, a whole nixpkgs of 2020),
 * unpacked once per test JVM into {@code target/nix-trees} with the tree's own {@code unpack}
 * script, for use as {@code path:} flake inputs.
 */
final class NixTrees {
  private static Path root;

  private NixTrees() {}

  /**
   * The directory holding {@code nixpkgs-lib}, {@code flake-parts} and {@code nixpkgs-20.09pre}.
   */
  static synchronized Path root() {
    if (root == null) {
      Path shared = ExternalTools.sharedDir().resolve("nix");
      Path dir = Path.of("target/nix-trees").toAbsolutePath();
      try {
        Process p =
            new ProcessBuilder("sh", shared.resolve("unpack").toString(), dir.toString())
                .redirectErrorStream(true)
                .start();
        String out = new String(p.getInputStream().readAllBytes());
        if (p.waitFor() != 0) {
          throw new IllegalStateException("unpacking " + shared + " failed: " + out);
        }
      } catch (IOException e) {
        throw new IllegalStateException("cannot unpack " + shared + ": " + e.getMessage(), e);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IllegalStateException("interrupted while unpacking " + shared, e);
      }
      root = dir;
    }
    return root;
  }

  /** nixpkgs' lib of 2026 (nix-community/nixpkgs.lib), with types.deferredModule. */
  static Path nixpkgsLib() {
    return root().resolve("nixpkgs-lib");
  }

  /** flake-parts of 2026. */
  static Path flakeParts() {
    return root().resolve("flake-parts");
  }

  /** A whole nixpkgs of 2020-07-26 (NixOS 20.09pre), for evaluating real NixOS systems. */
  static Path nixpkgs2020() {
    return root().resolve("nixpkgs-20.09pre");
  }

  /**
   * The locked flake reference of a tree ({@code path:DIR?lastModified=…&narHash=…}). With the hash
   * in the reference nix finds the tree in its store instead of hashing it again on every command
   * (over a minute for the whole nixpkgs on a busy machine). Computed once with {@code nix flake
   * metadata} and kept beside the tree.
   */
  static synchronized String locked(Path tree) {
    Path cache = tree.resolveSibling(tree.getFileName() + ".locked-url");
    try {
      if (Files.isRegularFile(cache)
          && Files.getLastModifiedTime(cache)
                  .compareTo(Files.getLastModifiedTime(tree.resolve(".unpacked")))
              > 0) {
        return Files.readString(cache).trim();
      }
      Process p =
          new ProcessBuilder(
                  "nix",
                  "flake",
                  "metadata",
                  "--json",
                  "--extra-experimental-features",
                  "nix-command flakes",
                  "--option",
                  "flake-registry",
                  "",
                  "path:" + tree)
              .redirectError(ProcessBuilder.Redirect.DISCARD)
              .start();
      String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
      if (p.waitFor() != 0) {
        throw new IllegalStateException("nix flake metadata path:" + tree + " failed");
      }
      String url = new ObjectMapper().readTree(out).path("url").asText();
      if (!url.contains("narHash=")) {
        throw new IllegalStateException("nix flake metadata gave no narHash: " + out);
      }
      Files.writeString(cache, url);
      return url;
    } catch (IOException e) {
      throw new IllegalStateException("cannot lock " + tree + ": " + e.getMessage(), e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while locking " + tree, e);
    }
  }
}
