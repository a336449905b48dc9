package io.fleet.examples.bench;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.fleet.testkit.ExternalTools;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The real Nix trees of {@code ../shared/nix} for benchmarks: unpacked with the tree's own {@code
 * unpack} script, and referred to by locked {@code path:} references (with their {@code narHash},
 * so nix does not hash a whole nixpkgs again on every command).
 */
public final class SharedNixTrees {
  private final Path root;

  private SharedNixTrees(Path root) {
    this.root = root;
  }

  /** Unpacks the trees into {@code dir} (once; later calls find them). */
  public static SharedNixTrees unpack(Path dir) throws IOException, InterruptedException {
    Path shared = ExternalTools.sharedDir().resolve("nix");
    Process p =
        new ProcessBuilder("sh", shared.resolve("unpack").toString(), dir.toString())
            .redirectErrorStream(true)
            .start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    if (p.waitFor() != 0) {
      throw new IllegalStateException("unpacking " + shared + " failed: " + out);
    }
    return new SharedNixTrees(dir.toAbsolutePath());
  }

  /** The locked reference of tree {@code name} (nixpkgs-lib, flake-parts, nixpkgs-20.09pre). */
  public String locked(String name) throws IOException, InterruptedException {
    Path tree = root.resolve(name);
    Path cache = root.resolve(name + ".locked-url");
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
    Files.writeString(cache, url);
    return url;
  }
}
