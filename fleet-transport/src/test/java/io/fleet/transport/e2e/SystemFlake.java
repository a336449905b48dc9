package io.fleet.transport.e2e;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.fleet.testkit.ExternalTools;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The test flake ({@code flake/flake.nix} beside this class): systems {@code v1}, {@code v2},
 * {@code v3}, each a store path with {@code bin/switch-to-configuration} (see the flake for the
 * control files that make activation fail or hang), built by the real {@code nix}.
 */
public final class SystemFlake {
  /** Flags for the nix CLI: no substituters, no registry, flakes on. */
  public static final List<String> NIX_FLAGS =
      List.of(
          "--extra-experimental-features",
          "nix-command flakes",
          "--option",
          "substituters",
          "",
          "--option",
          "flake-registry",
          "");

  private SystemFlake() {}

  /** Writes the flake to a fresh directory under {@code dir} and returns that directory. */
  public static Path write(Path dir) {
    try {
      Path flake = Files.createDirectories(dir.resolve("test-flake"));
      try (InputStream in = SystemFlake.class.getResourceAsStream("flake/flake.nix")) {
        Files.copy(in, flake.resolve("flake.nix"));
      }
      return flake;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** The Nix system of this machine ({@code x86_64-linux}, {@code aarch64-linux}). */
  public static String nixSystem() {
    String arch = System.getProperty("os.arch");
    return ("amd64".equals(arch) || "x86_64".equals(arch) ? "x86_64" : "aarch64") + "-linux";
  }

  /** The flake attribute of a version. */
  public static String attribute(String version) {
    return "systems." + nixSystem() + "." + version;
  }

  /**
   * Builds {@code versions} of the flake in {@code flakeDir} with one {@code nix build} and returns
   * version → store path.
   */
  public static Map<String, String> build(Path flakeDir, String... versions) {
    ExternalTools.require("nix");
    List<String> argv = new ArrayList<>(List.of("nix"));
    argv.addAll(NIX_FLAGS);
    argv.addAll(List.of("build", "--no-link", "--json"));
    for (String v : versions) {
      argv.add("path:" + flakeDir + "#" + attribute(v));
    }
    try {
      Process p = new ProcessBuilder(argv).redirectError(ProcessBuilder.Redirect.PIPE).start();
      byte[] out = p.getInputStream().readAllBytes();
      String err = new String(p.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
      if (p.waitFor() != 0) {
        throw new IllegalStateException("nix build of the test flake failed: " + err);
      }
      JsonNode json = new ObjectMapper().readTree(out);
      Map<String, String> paths = new LinkedHashMap<>();
      for (int i = 0; i < versions.length; i++) {
        paths.put(versions[i], json.get(i).get("outputs").get("out").asText());
      }
      return paths;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }
}
