package io.fleet.testkit;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The real Nix trees of {@code ../shared/nix} ({@code nixpkgs-lib}, {@code flake-parts}, a whole
 * nixpkgs of 2020 as {@code nixpkgs-20.09pre}) for tests and benchmarks that drive the real {@code
 * nix} offline: unpacked with the tree's own {@code unpack} script, and referred to by locked
 * {@code path:} references (with their {@code narHash}, so nix does not hash a whole nixpkgs again
 * on every command, over a minute on a busy machine).
 *
 * <pre>{@code
 * SharedNixTrees trees = SharedNixTrees.inTarget();
 * evaluator.overrideInput("fleet/nixpkgs-lib", trees.locked(SharedNixTrees.NIXPKGS_LIB));
 * }</pre>
 */
public final class SharedNixTrees {
  /** nixpkgs' lib of 2026 (nix-community/nixpkgs.lib), with {@code types.deferredModule}. */
  public static final String NIXPKGS_LIB = "nixpkgs-lib";

  /** flake-parts of 2026. */
  public static final String FLAKE_PARTS = "flake-parts";

  /** A whole nixpkgs of 2020-07-26 (NixOS 20.09pre), for evaluating real NixOS systems. */
  public static final String NIXPKGS_2020 = "nixpkgs-20.09pre";

  private static SharedNixTrees inTarget;

  private final Path root;

  private SharedNixTrees(Path root) {
    this.root = root;
  }

  /** The trees unpacked into {@code target/nix-trees} of the working directory, once per JVM. */
  public static synchronized SharedNixTrees inTarget() {
    if (inTarget == null) {
      inTarget = unpack(Path.of("target/nix-trees"));
    }
    return inTarget;
  }

  /**
   * Unpacks the trees into {@code dir} (the script finds trees already unpacked there).
   *
   * @throws IllegalStateException if the script fails
   */
  public static SharedNixTrees unpack(Path dir) {
    Path shared = ExternalTools.sharedDir().resolve("nix");
    try {
      Process p =
          new ProcessBuilder("sh", shared.resolve("unpack").toString(), dir.toString())
              .redirectErrorStream(true)
              .start();
      String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
      if (p.waitFor() != 0) {
        throw new IllegalStateException("unpacking " + shared + " failed: " + out);
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot unpack " + shared + ": " + e.getMessage(), e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while unpacking " + shared, e);
    }
    return new SharedNixTrees(dir.toAbsolutePath());
  }

  /** The directory holding the trees. */
  public Path root() {
    return root;
  }

  /** Tree {@code name} ({@link #NIXPKGS_LIB}, {@link #FLAKE_PARTS}, {@link #NIXPKGS_2020}). */
  public Path tree(String name) {
    return root.resolve(name);
  }

  /**
   * The locked flake reference of tree {@code name} ({@code path:DIR?lastModified=…&narHash=…}),
   * computed once with {@code nix flake metadata} and kept beside the tree.
   *
   * @throws IllegalStateException if nix fails or gives no {@code narHash}
   */
  public synchronized String locked(String name) {
    Path tree = tree(name);
    Path cache = root.resolve(name + ".locked-url");
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
      throw new UncheckedIOException("cannot lock " + tree + ": " + e.getMessage(), e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while locking " + tree, e);
    }
  }
}
