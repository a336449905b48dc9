package io.fleet.transport.internal;

import io.fleet.api.TransportException;
import io.fleet.api.spi.Command;
import io.fleet.api.spi.CommandResult;
import io.fleet.api.spi.Connection;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Consumer;

/** A "connection" to this machine: each command is a child process, started without a shell. */
public final class LocalConnection implements Connection {
  private static final int STDERR_LIMIT = 1024 * 1024;

  private final String host;
  private final boolean needsSudo;
  private final Duration defaultTimeout;
  private final ExecutorService pumps;
  private final Consumer<LocalConnection> onClose;
  private final AtomicBoolean closed = new AtomicBoolean();

  /** A connection for {@code host}; {@code needsSudo} when this process does not run as root. */
  public LocalConnection(
      String host,
      boolean needsSudo,
      Duration defaultTimeout,
      ExecutorService pumps,
      Consumer<LocalConnection> onClose) {
    this.host = host;
    this.needsSudo = needsSudo;
    this.defaultTimeout = defaultTimeout;
    this.pumps = pumps;
    this.onClose = onClose;
  }

  @Override
  public String host() {
    return host;
  }

  @Override
  public CommandResult run(Command command, InputStream stdin, OutputStream stdout) {
    if (closed.get()) {
      throw new TransportException(
          host,
          TransportException.Reason.CONNECTION_LOST,
          "the local connection for host " + host + " was closed: open a new one");
    }
    // The same argv a remote host would get (sudo -n, env K=V), run directly: no shell.
    List<String> argv = RemoteCommandLine.argv(command, needsSudo);
    Duration timeout = command.timeout().orElse(defaultTimeout);
    Process p;
    try {
      p = new ProcessBuilder(argv).start();
    } catch (IOException e) {
      return new CommandResult(
          127,
          new byte[0],
          ("cannot run " + argv.get(0) + ": " + e.getMessage() + "\n")
              .getBytes(StandardCharsets.UTF_8));
    }
    BoundedCapture stderr = new BoundedCapture(STDERR_LIMIT);
    CommandPumps io =
        CommandPumps.start(
            pumps,
            stdin,
            p.getOutputStream(),
            p.getErrorStream(),
            stderr,
            p.getInputStream(),
            stdout);
    try {
      if (!p.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
        p.descendants().forEach(ProcessHandle::destroyForcibly);
        p.destroyForcibly();
        throw new TransportException(
            host,
            TransportException.Reason.TIMEOUT,
            command.shellLine()
                + " on this machine did not finish within "
                + timeout.toSeconds()
                + "s and was killed: give it a longer timeout (Command.timeout)");
      }
      io.out.get(timeout.toMillis(), TimeUnit.MILLISECONDS);
      io.errors.get(timeout.toMillis(), TimeUnit.MILLISECONDS);
      try {
        io.feed.get(1, TimeUnit.SECONDS);
      } catch (ExecutionException | TimeoutException e) {
        // the command ended without reading all its input; that is its business
        io.feed.cancel(true);
      }
    } catch (InterruptedException e) {
      p.destroyForcibly();
      Thread.currentThread().interrupt();
      throw new TransportException(
          host, TransportException.Reason.OTHER, "interrupted while running " + command, e);
    } catch (ExecutionException | TimeoutException e) {
      p.destroyForcibly();
      throw new TransportException(
          host,
          TransportException.Reason.OTHER,
          "copying the output of " + command.shellLine() + " failed: " + e.getCause(),
          e);
    }
    int exit = p.exitValue();
    byte[] err = stderr.bytes();
    if (command.sudo()
        && needsSudo
        && RemoteCommandLine.isSudoPasswordPrompt(exit, new String(err, StandardCharsets.UTF_8))) {
      throw new TransportException(
          host,
          TransportException.Reason.AUTHENTICATION,
          "sudo on this machine asks for a password, so "
              + command.shellLine()
              + " cannot run as root: allow passwordless sudo (NOPASSWD) or run as root");
    }
    return new CommandResult(exit, new byte[0], err);
  }

  @Override
  public boolean isOpen() {
    return !closed.get();
  }

  @Override
  public void close() {
    if (closed.compareAndSet(false, true)) {
      onClose.accept(this);
    }
  }

  @Override
  public String toString() {
    return "LocalConnection{" + host + (closed.get() ? ", closed" : "") + "}";
  }
}
