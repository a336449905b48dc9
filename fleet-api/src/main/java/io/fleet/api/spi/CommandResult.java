package io.fleet.api.spi;

import java.nio.charset.StandardCharsets;

/** What a finished command gave: its exit code and what it printed. */
public final class CommandResult {
  private final int exitCode;
  private final byte[] stdout;
  private final byte[] stderr;

  /** A result; the arrays are copied. */
  public CommandResult(int exitCode, byte[] stdout, byte[] stderr) {
    this.exitCode = exitCode;
    this.stdout = stdout.clone();
    this.stderr = stderr.clone();
  }

  /** A result with text output. */
  public static CommandResult of(int exitCode, String stdout, String stderr) {
    return new CommandResult(
        exitCode, stdout.getBytes(StandardCharsets.UTF_8), stderr.getBytes(StandardCharsets.UTF_8));
  }

  /** The exit code; 0 is success. */
  public int exitCode() {
    return exitCode;
  }

  /** Whether the exit code is 0. */
  public boolean isSuccess() {
    return exitCode == 0;
  }

  /** Standard output (empty when it was streamed elsewhere). */
  public byte[] stdout() {
    return stdout.clone();
  }

  /** Standard error. */
  public byte[] stderr() {
    return stderr.clone();
  }

  /** Standard output as UTF-8. */
  public String stdoutText() {
    return new String(stdout, StandardCharsets.UTF_8);
  }

  /** Standard error as UTF-8. */
  public String stderrText() {
    return new String(stderr, StandardCharsets.UTF_8);
  }

  @Override
  public String toString() {
    return "CommandResult{exit="
        + exitCode
        + ", stdout="
        + stdout.length
        + " bytes, stderr="
        + stderr.length
        + " bytes}";
  }
}
