package io.fleet.api;

import java.util.List;
import java.util.Optional;

/**
 * Evaluating or building the fleet's Nix configuration failed. Carries the command that ran, its
 * exit code, Nix's own error text and, where the failure is in one host, that host.
 */
public class EvaluationException extends FleetException {
  private static final long serialVersionUID = 1L;

  private final List<String> command;
  private final int exitCode;
  private final String stderr;
  private final String host;

  /**
   * A command that ran and failed.
   *
   * @param command its argv
   * @param exitCode its exit code
   * @param stderr what it printed on standard error (null for none)
   * @param host the host whose configuration failed, or null
   */
  public EvaluationException(
      String message, List<String> command, int exitCode, String stderr, String host) {
    super(message);
    this.command = List.copyOf(command);
    this.exitCode = exitCode;
    this.stderr = stderr == null ? "" : stderr;
    this.host = host;
  }

  /** A command that could not be started or whose output could not be read. */
  public EvaluationException(String message, List<String> command, Throwable cause) {
    super(message, cause);
    this.command = List.copyOf(command);
    this.exitCode = -1;
    this.stderr = "";
    this.host = null;
  }

  /** The argv of the command that failed. */
  public List<String> command() {
    return command;
  }

  /** Its exit code, or -1 if it could not be started. */
  public int exitCode() {
    return exitCode;
  }

  /** What the command printed on standard error (Nix's own message). */
  public String stderr() {
    return stderr;
  }

  /** The host whose configuration failed, where the failure is in one host. */
  public Optional<String> host() {
    return Optional.ofNullable(host);
  }
}
