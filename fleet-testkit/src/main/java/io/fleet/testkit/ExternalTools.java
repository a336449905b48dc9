package io.fleet.testkit;

import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.Optional;
import org.junit.jupiter.api.Assertions;
import org.junit.jupiter.api.Assumptions;

/**
 * For tests that drive a real tool ({@code nix}, {@code age}, {@code sshd}): find it, and when it
 * is missing skip the test with a message naming the tool on a developer machine, but fail it when
 * {@code CI=true}, where the CI script must have installed it.
 */
public final class ExternalTools {
  private ExternalTools() {}

  /** Whether this run is CI ({@code CI=true}), where no tool may be missing. */
  public static boolean isCi() {
    return "true".equalsIgnoreCase(System.getenv("CI"));
  }

  /** The tool's path on {@code PATH} (or {@code /usr/sbin}, {@code /sbin}), if present. */
  public static Optional<Path> find(String tool) {
    String path = System.getenv().getOrDefault("PATH", "") + File.pathSeparator + "/usr/sbin:/sbin";
    for (String dir : path.split(File.pathSeparator)) {
      if (dir.isEmpty()) {
        continue;
      }
      Path p = Paths.get(dir, tool);
      if (Files.isExecutable(p)) {
        return Optional.of(p);
      }
    }
    return Optional.empty();
  }

  /**
   * The tool's path; skips the calling test when it is missing (fails it under {@code CI=true}).
   */
  public static Path require(String tool) {
    Optional<Path> p = find(tool);
    if (p.isPresent()) {
      return p.get();
    }
    String message =
        tool + " is not installed: this test drives the real " + tool + " (on Debian: see .ci/run)";
    if (isCi()) {
      Assertions.fail(message + "; CI=true, so it must not be skipped");
    }
    Assumptions.abort(message);
    throw new AssertionError("unreachable");
  }

  /**
   * The project's {@code shared/} directory (test data): the {@code fleet.shared.dir} system
   * property the build sets, else {@code ../shared} from the working directory or its parents.
   */
  public static Path sharedDir() {
    String prop = System.getProperty("fleet.shared.dir");
    if (prop != null && Files.isDirectory(Paths.get(prop))) {
      return Paths.get(prop).toAbsolutePath().normalize();
    }
    Path dir = Paths.get("").toAbsolutePath();
    for (Path d = dir; d != null; d = d.getParent()) {
      Path candidate = d.resolveSibling("shared");
      if (Files.isDirectory(candidate.resolve("testdata"))) {
        return candidate.normalize();
      }
    }
    throw new IllegalStateException(
        "cannot find shared/ (test data) beside the checkout; set -Dfleet.shared.dir");
  }

  /** A file or directory under {@code shared/testdata}. */
  public static Path testData(String relative) {
    return sharedDir().resolve("testdata").resolve(relative);
  }
}
