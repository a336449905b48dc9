package io.fleet.testkit;

import java.time.Instant;
import java.util.List;
import java.util.Map;

/**
 * A command as a fake host received it: the argv parsed back from the shell line the transport
 * sent, standard input, whether it ran through sudo, what the host took it for ({@link
 * FakeHost.Op}), and when.
 */
public final class FakeCommand {
  private final List<String> argv;
  private final Map<String, String> env;
  private final byte[] stdin;
  private final boolean sudo;
  private final FakeHost.Op op;
  private final int connection;
  private final Instant time;

  FakeCommand(
      List<String> argv,
      Map<String, String> env,
      byte[] stdin,
      boolean sudo,
      FakeHost.Op op,
      int connection,
      Instant time) {
    this.argv = List.copyOf(argv);
    this.env = Map.copyOf(env);
    this.stdin = stdin;
    this.sudo = sudo;
    this.op = op;
    this.connection = connection;
    this.time = time;
  }

  /** The argv. */
  public List<String> argv() {
    return argv;
  }

  /** The extra environment variables. */
  public Map<String, String> env() {
    return env;
  }

  /** Standard input (empty when none, or when it was streamed: see {@link FakeHost.Op#IMPORT}). */
  public byte[] stdin() {
    return stdin.clone();
  }

  /** Whether it was run through {@code sudo}. */
  public boolean sudo() {
    return sudo;
  }

  /** What the host took it for. */
  public FakeHost.Op op() {
    return op;
  }

  /** The number of the connection it came on (1 for the host's first connection). */
  public int connection() {
    return connection;
  }

  /** When it arrived (virtual time). */
  public Instant time() {
    return time;
  }

  @Override
  public String toString() {
    return op + " " + io.fleet.api.spi.Shell.join(argv);
  }
}
