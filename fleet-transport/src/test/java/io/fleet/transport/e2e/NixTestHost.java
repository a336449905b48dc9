package io.fleet.transport.e2e;

import io.fleet.api.deploy.HostProtocol;
import io.fleet.api.spi.CommandResult;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;

/**
 * What the two kinds of test host ({@link SshdHost}, {@link SystemdHost}) have in common: a root
 * directory seen from this machine and commands run inside, and from those the state of the host's
 * system profile and a way to install a system before a deployment.
 */
interface NixTestHost {
  /** The host's name. */
  String name();

  /** {@code insidePath} (absolute, as the host sees it) as a path on this machine. */
  Path path(String insidePath);

  /** Runs {@code argv} inside the host as root, with {@code stdin} if not null. */
  CommandResult exec(InputStream stdin, String... argv);

  /** The store path the host's system profile points at. */
  default Optional<String> systemProfile() {
    Path p = path(HostProtocol.PROFILE);
    if (!Files.isSymbolicLink(p)) {
      return Optional.empty();
    }
    try {
      Path gen = p.resolveSibling(Files.readSymbolicLink(p));
      return Optional.of(Files.readSymbolicLink(gen).toString());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** The profile's generation number, or 0 if there is no profile yet. */
  default int systemGeneration() {
    Path p = path(HostProtocol.PROFILE);
    if (!Files.isSymbolicLink(p)) {
      return 0;
    }
    try {
      String link = Files.readSymbolicLink(p).toString();
      return Integer.parseInt(link.replaceAll("^system-(\\d+)-link$", "$1"));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /**
   * Copies {@code storePath}'s closure from this machine's store into the host's (without SSH),
   * sets it as the host's system profile and activates it with {@code switch-to-configuration
   * switch}: the host's state before a deployment.
   */
  default void installSystem(String storePath) {
    CommandResult q =
        SshdHost.runProcess(List.of("nix-store", "--query", "--requisites", storePath), null);
    check(q, "nix-store --query --requisites " + storePath);
    List<String> export = new ArrayList<>(List.of("nix-store", "--export"));
    export.addAll(Arrays.asList(q.stdoutText().trim().split("\n")));
    try {
      Process p = new ProcessBuilder(export).redirectError(ProcessBuilder.Redirect.DISCARD).start();
      CommandResult r = exec(p.getInputStream(), "nix-store", "--import");
      p.waitFor();
      check(r, "nix-store --import on " + name());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
    check(
        exec(null, "nix-env", "--profile", HostProtocol.PROFILE, "--set", storePath),
        "nix-env --set");
    check(
        exec(null, HostProtocol.PROFILE + "/bin/switch-to-configuration", "switch"),
        "switch-to-configuration");
  }

  /** How many SSH logins an sshd log (or journal) shows accepted. */
  static int acceptedLogins(String sshdLog) {
    int n = 0;
    for (String line : sshdLog.split("\n")) {
      if (line.contains("Accepted publickey for")) {
        n++;
      }
    }
    return n;
  }

  /** Fails with the command's output unless it succeeded. */
  static void check(CommandResult r, String what) {
    if (!r.isSuccess()) {
      throw new IllegalStateException(
          what + " failed (" + r.exitCode() + "): " + r.stderrText() + r.stdoutText());
    }
  }
}
