package io.fleet.examples.cli;

import io.fleet.api.FleetConfigException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * A {@code --fleet} argument: a flake reference and the fleet configuration in it, {@code
 * FLAKE[#NAME]} (default {@code default}). A local flake ({@code path:DIR}, a plain directory, or
 * {@code git+file:DIR}) is checked here, before {@code nix} runs: the directory must exist and hold
 * a {@code flake.nix}. Other references ({@code github:…}) go to {@code nix} as they are.
 */
record FlakeRef(String ref, String configuration, Optional<Path> localDir) {
  private static final Pattern CONFIGURATION = Pattern.compile("[A-Za-z0-9_][A-Za-z0-9_'-]*");
  private static final Pattern SCHEME = Pattern.compile("[a-z][a-z0-9+.-]*:.*");

  static FlakeRef parse(String text) {
    if (text == null || text.isBlank() || text.chars().anyMatch(Character::isWhitespace)) {
      throw new FleetConfigException(
          "--fleet "
              + quote(text)
              + " is not a flake reference: give a directory, path:DIR or"
              + " another flake reference, optionally followed by #CONFIGURATION");
    }
    String ref = text;
    String configuration = "default";
    int hash = text.indexOf('#');
    if (hash >= 0) {
      ref = text.substring(0, hash);
      configuration = text.substring(hash + 1);
      if (ref.isEmpty() || !CONFIGURATION.matcher(configuration).matches()) {
        throw new FleetConfigException(
            "--fleet "
                + quote(text)
                + " is malformed: write FLAKE#NAME, where NAME is a fleetConfigurations attribute"
                + " name such as default");
      }
    }
    String dir;
    if (ref.startsWith("path:")) {
      dir = ref.substring("path:".length());
    } else if (ref.startsWith("git+file:")) {
      dir = ref.substring("git+file:".length());
    } else if (SCHEME.matcher(ref).matches()) {
      return new FlakeRef(ref, configuration, Optional.empty());
    } else {
      dir = ref;
    }
    int query = dir.indexOf('?');
    String rest = query >= 0 ? dir.substring(query) : "";
    if (query >= 0) {
      dir = dir.substring(0, query);
    }
    if (dir.isEmpty()) {
      throw new FleetConfigException("--fleet " + quote(text) + " names no directory");
    }
    Path path = Path.of(dir).toAbsolutePath().normalize();
    if (!Files.isDirectory(path)) {
      throw new FleetConfigException(
          "--fleet " + quote(text) + ": the flake directory " + path + " does not exist");
    }
    if (rest.isEmpty() && !Files.isRegularFile(path.resolve("flake.nix"))) {
      throw new FleetConfigException(
          "--fleet "
              + quote(text)
              + ": "
              + path
              + " has no flake.nix; point --fleet at the directory of your fleet's flake");
    }
    String scheme = ref.startsWith("git+file:") ? "git+file:" : "path:";
    return new FlakeRef(scheme + path + rest, configuration, Optional.of(path));
  }

  private static String quote(String s) {
    return s == null ? "(none)" : "'" + s + "'";
  }
}
