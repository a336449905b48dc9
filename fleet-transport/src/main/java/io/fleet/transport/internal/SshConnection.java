package io.fleet.transport.internal;

import io.fleet.api.TransportException;
import io.fleet.api.spi.Command;
import io.fleet.api.spi.CommandResult;
import io.fleet.api.spi.Connection;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Consumer;
import net.schmizz.sshj.SSHClient;
import net.schmizz.sshj.connection.channel.OpenFailException;
import net.schmizz.sshj.connection.channel.direct.Session;
import net.schmizz.sshj.connection.channel.direct.Signal;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One SSH connection to one host (through its jump hosts, if any): each command runs in its own
 * session channel, so commands may run concurrently on it.
 */
public final class SshConnection implements Connection {
  private static final Logger LOG = LoggerFactory.getLogger(SshConnection.class);
  private static final int STDERR_LIMIT = 1024 * 1024;

  private final String host;
  private final String where;
  private final boolean needsSudo;
  private final List<SSHClient> chain;
  private final Duration defaultTimeout;
  private final ExecutorService pumps;
  private final Consumer<SshConnection> onClose;
  private final AtomicBoolean closed = new AtomicBoolean();

  /**
   * A connection over {@code chain} (jump hosts first, the host itself last), already
   * authenticated.
   */
  public SshConnection(
      String host,
      String where,
      boolean needsSudo,
      List<SSHClient> chain,
      Duration defaultTimeout,
      ExecutorService pumps,
      Consumer<SshConnection> onClose) {
    this.host = host;
    this.where = where;
    this.needsSudo = needsSudo;
    this.chain = List.copyOf(chain);
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
          "the connection to host "
              + host
              + " was closed: open a new one to run "
              + brief(command));
    }
    String line = RemoteCommandLine.line(command, needsSudo);
    Duration timeout = command.timeout().orElse(defaultTimeout);
    long deadline = System.nanoTime() + timeout.toNanos();
    SSHClient client = chain.get(chain.size() - 1);
    Session session;
    try {
      session = client.startSession();
    } catch (OpenFailException e) {
      throw new TransportException(
          host,
          TransportException.Reason.OTHER,
          "host "
              + host
              + " refused to open another channel for "
              + brief(command)
              + " ("
              + e.getMessage()
              + "): too many commands at once on one connection? sshd allows MaxSessions (10 by"
              + " default)",
          e);
    } catch (IOException e) {
      throw lost(command, e);
    }
    Session.Command cmd;
    try {
      cmd = session.exec(line);
    } catch (IOException e) {
      closeQuietly(session);
      throw lost(command, e);
    }
    LOG.debug("host {}: running {}", host, line);
    // The caller's streams are only touched until this call returns: after a timeout, whatever
    // the abandoned channel still delivers is dropped.
    Gate gate = new Gate();
    BoundedCapture stderr = new BoundedCapture(STDERR_LIMIT);
    CommandPumps io =
        CommandPumps.start(
            pumps,
            gate.in(stdin),
            cmd.getOutputStream(),
            cmd.getErrorStream(),
            stderr,
            cmd.getInputStream(),
            gate.out(stdout));
    try {
      io.out.get(remaining(deadline), TimeUnit.NANOSECONDS);
      io.errors.get(remaining(deadline), TimeUnit.NANOSECONDS);
      cmd.join(Math.max(1, remaining(deadline)), TimeUnit.NANOSECONDS);
      if (!io.feed.isDone()) {
        // The command ended without reading all its input; that is its business.
        io.feed.cancel(true);
      } else {
        feedResult(io.feed);
      }
    } catch (TimeoutException e) {
      gate.close();
      abandon(session, cmd);
      throw timeout(command, timeout);
    } catch (IOException | ExecutionException e) {
      gate.close();
      abandon(session, cmd);
      if (System.nanoTime() - deadline >= 0) {
        throw timeout(command, timeout);
      }
      throw lost(command, e);
    } catch (InterruptedException e) {
      gate.close();
      abandon(session, cmd);
      Thread.currentThread().interrupt();
      throw new TransportException(
          host,
          TransportException.Reason.OTHER,
          "interrupted while running " + brief(command) + " on host " + host,
          e);
    }
    if (!cmd.isOpen() || cmd.getExitStatus() != null || cmd.getExitSignal() != null) {
      closeQuietly(session);
    } else {
      abandon(session, cmd);
    }
    Integer status = cmd.getExitStatus();
    int exit;
    if (status != null) {
      exit = status;
    } else if (cmd.getExitSignal() != null) {
      exit = 128 + signalNumber(cmd.getExitSignal());
    } else if (!client.isConnected()) {
      throw lost(command, null);
    } else {
      exit = 255;
    }
    byte[] err = stderr.bytes();
    String errText = new String(err, java.nio.charset.StandardCharsets.UTF_8);
    if (command.sudo() && needsSudo && RemoteCommandLine.isSudoPasswordPrompt(exit, errText)) {
      throw new TransportException(
          host,
          TransportException.Reason.AUTHENTICATION,
          "sudo on host "
              + host
              + " ("
              + where
              + ") asks for a password, so "
              + brief(command)
              + " cannot run as root: allow the login user passwordless sudo (NOPASSWD) or"
              + " deploy as root");
    }
    return new CommandResult(exit, new byte[0], err);
  }

  private static long remaining(long deadline) {
    return Math.max(0, deadline - System.nanoTime());
  }

  /**
   * Gives up on a command without waiting for the host: asks it to kill the command (sshd refuses
   * signals for some logins, root among them; then closing the channel closes the command's pipes)
   * and closes the channel in the background.
   */
  private void abandon(Session session, Session.Command cmd) {
    pumps.submit(
        () -> {
          try {
            cmd.signal(Signal.KILL);
          } catch (IOException | RuntimeException e) {
            LOG.debug("host {}: signalling an abandoned command: {}", host, e.toString());
          }
          closeQuietly(session);
        });
  }

  private void closeQuietly(Session session) {
    try {
      session.close();
    } catch (IOException | RuntimeException e) {
      LOG.debug("host {}: closing a channel: {}", host, e.toString());
    }
  }

  private void feedResult(Future<?> feed) throws ExecutionException, InterruptedException {
    try {
      feed.get();
    } catch (ExecutionException e) {
      // The remote side closed its input early (the command finished without reading it all).
      if (!(e.getCause() instanceof IOException)) {
        throw e;
      }
      LOG.debug("host {}: command stopped reading its input: {}", host, e.getCause().toString());
    }
  }

  private TransportException timeout(Command command, Duration timeout) {
    return new TransportException(
        host,
        TransportException.Reason.TIMEOUT,
        brief(command)
            + " on host "
            + host
            + " did not finish within "
            + timeout.toSeconds()
            + "s and was stopped: give it a longer timeout (Command.timeout) or find out why it"
            + " hangs");
  }

  private TransportException lost(Command command, Exception cause) {
    return new TransportException(
        host,
        TransportException.Reason.CONNECTION_LOST,
        "lost the connection to host "
            + host
            + " ("
            + where
            + ") while running "
            + brief(command)
            + (cause == null ? "" : ": " + cause.getMessage())
            + "; check that the host is up and reachable, then retry",
        cause);
  }

  private static String brief(Command command) {
    String line = command.shellLine();
    return line.length() > 120 ? line.substring(0, 117) + "..." : line;
  }

  private static int signalNumber(Signal signal) {
    switch (signal) {
      case HUP:
        return 1;
      case INT:
        return 2;
      case QUIT:
        return 3;
      case ILL:
        return 4;
      case ABRT:
        return 6;
      case FPE:
        return 8;
      case KILL:
        return 9;
      case USR1:
        return 10;
      case SEGV:
        return 11;
      case USR2:
        return 12;
      case PIPE:
        return 13;
      case ALRM:
        return 14;
      case TERM:
        return 15;
      default:
        return 127;
    }
  }

  @Override
  public boolean isOpen() {
    if (closed.get()) {
      return false;
    }
    SSHClient last = chain.get(chain.size() - 1);
    return last.isConnected() && last.isAuthenticated();
  }

  @Override
  public void close() {
    if (!closed.compareAndSet(false, true)) {
      return;
    }
    List<SSHClient> reversed = new ArrayList<>(chain);
    java.util.Collections.reverse(reversed);
    for (SSHClient c : reversed) {
      try {
        c.close();
      } catch (IOException | RuntimeException e) {
        LOG.debug("host {}: closing the connection: {}", host, e.toString());
      }
    }
    onClose.accept(this);
  }

  @Override
  public String toString() {
    return "SshConnection{" + host + " at " + where + (closed.get() ? ", closed" : "") + "}";
  }
}
