package io.fleet.transport.internal;

import io.fleet.api.TransportException;
import io.fleet.api.deploy.HostProtocol;
import io.fleet.api.deploy.HostReport;
import io.fleet.api.spi.Command;
import io.fleet.api.spi.CommandResult;
import io.fleet.api.spi.Connection;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The build step of a host that builds its own system ({@link
 * io.fleet.api.deploy.DeployStep#BUILD}): {@link HostProtocol#realise} of the system's derivation,
 * whose closure the copy has just sent, then the check that the host built the planned system.
 * Nothing is armed yet, so every failure leaves the host as it was (only its store has grown).
 */
final class TargetBuild {
  /** Runs one command on a connection, counting the round trip. */
  @FunctionalInterface
  interface RoundTrip {
    CommandResult run(Connection c, Command command);
  }

  private final RoundTrip rt;
  private final HostReport.Builder report;
  private final String host;
  private final boolean sudo;

  TargetBuild(RoundTrip rt, HostReport.Builder report, String host, boolean sudo) {
    this.rt = rt;
    this.report = report;
    this.host = host;
    this.sudo = sudo;
  }

  /**
   * Realises {@code drv} on the host over {@code conn}, within {@code timeout}.
   *
   * @return empty when the host built {@code system}; otherwise why not, naming the host and the
   *     derivation, with the end of the build's output (also put in the report)
   */
  Optional<String> run(Connection conn, String drv, String system, Duration timeout) {
    CommandResult r;
    try {
      r = rt.run(conn, HostProtocol.realise(drv, sudo, timeout));
    } catch (TransportException e) {
      String why =
          e.reason() == TransportException.Reason.TIMEOUT
              ? "did not finish within " + timeout
              : "lost its connection";
      return Optional.of(
          "building "
              + drv
              + " on "
              + host
              + " "
              + why
              + ": "
              + e.getMessage()
              + "; nothing was activated");
    }
    Map<String, List<String>> kv = HostProtocol.parse(r.stdoutText());
    if (!r.isSuccess()) {
      String log = String.join("\n", kv.getOrDefault("build-log", List.of())).trim();
      if (log.isEmpty()) {
        log = r.stderrText().trim();
      }
      if (!log.isEmpty()) {
        report.buildOutput(log);
      }
      return Optional.of(
          "building the system derivation "
              + drv
              + " on "
              + host
              + " failed (nix-store --realise exit "
              + r.exitCode()
              + ")"
              + (log.isEmpty() ? "" : ": " + lastLines(log, 20))
              + "; nothing was activated");
    }
    List<String> outputs = kv.getOrDefault("output", List.of());
    if (!outputs.contains(system)) {
      return Optional.of(
          "realising "
              + drv
              + " on "
              + host
              + " gave "
              + (outputs.isEmpty() ? "no output" : String.join(", ", outputs))
              + ", not the planned system "
              + system
              + " (the host's nix computes other paths: is its store not /nix/store?); nothing"
              + " was activated");
    }
    return Optional.empty();
  }

  /** The last {@code n} lines of {@code text}, for the error message (the report has it all). */
  static String lastLines(String text, int n) {
    String[] lines = text.split("\n", -1);
    if (lines.length <= n) {
      return text;
    }
    return "…\n" + String.join("\n", List.of(lines).subList(lines.length - n, lines.length));
  }
}
