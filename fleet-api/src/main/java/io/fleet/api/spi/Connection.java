package io.fleet.api.spi;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.io.OutputStream;

/**
 * An open connection to one host, from {@link Transport#connect}. Commands may run on it one after
 * another or concurrently (SSH channels are multiplexed). {@link #close()} may be called more than
 * once.
 *
 * <p>An implementation must, for every command: run exactly {@link Command#argv()} (through {@link
 * Shell#join} where a shell is involved, never by concatenating text); add {@link Command#env()} to
 * the environment; run it as root through {@code sudo -n} when {@link Command#sudo()} is set and
 * the login user is not root; fail with a {@link io.fleet.api.TransportException} of reason {@code
 * TIMEOUT} (after killing the command where it can) when {@link Command#timeout()} passes; and
 * never log standard input, which may hold secret material.
 */
public interface Connection extends AutoCloseable {
  /** The name of the host this connection is to. */
  String host();

  /**
   * Runs {@code command} to completion, feeding it {@link Command#stdin()} (then closing its input;
   * with no stdin, its input is closed at once) and capturing its standard output and error. A
   * non-zero exit code is a result, not an exception.
   *
   * <p>The default feeds {@link Command#stdin()} to {@link #run(Command, InputStream,
   * OutputStream)} and captures standard output in memory; implementations need only the streaming
   * form.
   *
   * @throws io.fleet.api.TransportException if the connection fails or the command times out
   */
  default CommandResult run(Command command) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    CommandResult r =
        run(command, new ByteArrayInputStream(command.stdin().orElse(new byte[0])), out);
    return new CommandResult(r.exitCode(), out.toByteArray(), r.stderr());
  }

  /**
   * Runs {@code command}, streaming {@code stdin} into it (then closing its input) and its standard
   * output into {@code stdout} as it arrives, without holding either in memory. The result's stdout
   * is empty; its stderr is captured. Neither stream is closed.
   *
   * @throws io.fleet.api.TransportException if the connection fails or the command times out
   */
  CommandResult run(Command command, InputStream stdin, OutputStream stdout);

  /** Whether the connection is still usable. */
  boolean isOpen();

  /** Closes the connection; idempotent. */
  @Override
  void close();
}
