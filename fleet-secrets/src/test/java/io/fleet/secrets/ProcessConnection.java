package io.fleet.secrets;

import io.fleet.api.TransportException;
import io.fleet.api.spi.Command;
import io.fleet.api.spi.CommandResult;
import io.fleet.api.spi.Connection;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * A {@link Connection} that runs commands on this machine (fleet-secrets cannot see
 * LocalTransport).
 */
public final class ProcessConnection implements Connection {
  private final String host;
  private final Map<String, String> env;
  private boolean open = true;

  public ProcessConnection(String host) {
    this(host, Map.of());
  }

  /** Runs every command with {@code env} added (for example a {@code TMPDIR} a test watches). */
  public ProcessConnection(String host, Map<String, String> env) {
    this.host = host;
    this.env = Map.copyOf(env);
  }

  @Override
  public String host() {
    return host;
  }

  @Override
  public CommandResult run(Command command, InputStream stdin, OutputStream stdout) {
    try {
      ProcessBuilder pb = new ProcessBuilder(command.argv());
      pb.environment().putAll(env);
      pb.environment().putAll(command.env());
      Process p = pb.start();
      CompletableFuture<Void> out =
          CompletableFuture.runAsync(() -> copy(p.getInputStream(), stdout));
      ByteArrayOutputStream err = new ByteArrayOutputStream();
      CompletableFuture<Void> errs =
          CompletableFuture.runAsync(() -> copy(p.getErrorStream(), err));
      try (OutputStream in = p.getOutputStream()) {
        stdin.transferTo(in);
      } catch (IOException e) {
        // The command need not read its input.
      }
      long timeout = command.timeout().map(d -> d.toMillis()).orElse(120_000L);
      if (!p.waitFor(timeout, TimeUnit.MILLISECONDS)) {
        p.destroyForcibly();
        throw new TransportException(host, TransportException.Reason.TIMEOUT, "command timed out");
      }
      out.join();
      errs.join();
      return new CommandResult(p.exitValue(), new byte[0], err.toByteArray());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  private static void copy(InputStream in, OutputStream out) {
    try {
      in.transferTo(out);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  @Override
  public boolean isOpen() {
    return open;
  }

  @Override
  public void close() {
    open = false;
  }
}
