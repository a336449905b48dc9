package io.fleet.examples.cli;

/**
 * The exit codes of the example CLI, which scripts can rely on. Every error also prints one line
 * starting with {@code fleet: } on standard error that names the thing at fault and what to do.
 */
public final class ExitCode {
  /** Everything selected ended where it was asked to. */
  public static final int OK = 0;

  /**
   * The command ran, but some hosts failed: each is back on (or never left) its previous system, or
   * was skipped because another failed. For {@code exec}: a host exited non-zero, timed out or did
   * not run (and every host could be reached).
   */
  public static final int FAILED_HOSTS = 1;

  /**
   * Usage: an unknown command or option, a bad option value, or options that do not go together.
   */
  public static final int USAGE = 2;

  /**
   * Bad input: an unknown host, tag or secret, a missing or malformed data file, a malformed flake
   * path, or a fleet that does not validate.
   */
  public static final int BAD_INPUT = 3;

  /** {@code nix} could not evaluate the fleet or build a system. */
  public static final int EVALUATION = 4;

  /**
   * A host could not be reached, or a command on it failed. For {@code exec}: a host could not be
   * reached, refused the login or dropped the connection (this wins over {@link #FAILED_HOSTS}).
   */
  public static final int TRANSPORT = 5;

  /** A secret could not be generated, encrypted or decrypted. */
  public static final int SECRET = 6;

  /**
   * A host needs an operator: its rollback failed, or it could not be reached after the rollback
   * was armed and its watchdog will roll it back when the rollback window ends.
   */
  public static final int NEEDS_OPERATOR = 7;

  /** A bug: an unexpected exception (its stack trace is printed with {@code --verbose}). */
  public static final int INTERNAL = 70;

  private ExitCode() {}
}
