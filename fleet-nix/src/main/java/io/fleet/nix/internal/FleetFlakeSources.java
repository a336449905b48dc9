package io.fleet.nix.internal;

import io.fleet.api.FleetException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.List;

/** fleet-nix's flake (flake.nix and the Nix library), as shipped in the jar. */
public final class FleetFlakeSources {
  /** Every file of the flake, relative to its root. A test checks this against the sources. */
  public static final List<String> FILES =
      List.of(
          "flake.nix",
          "src/main/nix/lib.nix",
          "src/main/nix/fleet-options.nix",
          "src/main/nix/secret-generation-options.nix",
          "src/main/nix/generators.nix",
          "src/main/nix/systems.nix",
          "src/main/nix/flake-module.nix",
          "src/main/nix/nixos/default.nix",
          "src/main/nix/nixos/secrets.nix",
          "src/main/nix/nixos/secret-options.nix",
          "src/main/nix/nixos/rollback-watchdog.nix",
          "src/main/nix/nixos/rollback.sh",
          "src/main/nix/nixos/install-secret-part.sh");

  private FleetFlakeSources() {}

  /** Writes the flake into {@code dir} (created if needed), replacing files already there. */
  public static Path write(Path dir) {
    try {
      for (String file : FILES) {
        Path target = dir.resolve(file);
        Files.createDirectories(target.getParent());
        try (InputStream in =
            FleetFlakeSources.class.getResourceAsStream("/io/fleet/nix/flake/" + file)) {
          if (in == null) {
            throw new FleetException(
                "fleet-nix's jar lacks io/fleet/nix/flake/" + file + "; the jar is incomplete");
          }
          Path tmp = Files.createTempFile(target.getParent(), ".fleet-", ".tmp");
          Files.copy(in, tmp, StandardCopyOption.REPLACE_EXISTING);
          Files.move(
              tmp, target, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        }
      }
      return dir;
    } catch (IOException e) {
      throw new FleetException(
          "cannot write fleet-nix's flake to " + dir + ": " + e.getMessage(), e);
    }
  }
}
