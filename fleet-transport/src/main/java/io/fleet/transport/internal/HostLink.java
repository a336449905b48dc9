package io.fleet.transport.internal;

import io.fleet.api.DeploymentException;
import io.fleet.api.FleetException;
import io.fleet.api.TransportException;
import io.fleet.api.deploy.HostProtocol;
import io.fleet.api.spi.Command;
import io.fleet.api.spi.CommandResult;
import io.fleet.api.spi.Connection;
import io.fleet.api.spi.Transport;
import io.fleet.transport.Deployer;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * The run's connections to its host: opening (and reopening with backoff), round trips counted in
 * the report, the status query, and finding out where the host is after a connection was lost.
 */
final class HostLink {
  private final HostRunContext ctx;
  private final Transport transport;
  private final Deployer.Sleeper sleeper;
  private final List<Connection> opened = new ArrayList<>();

  HostLink(HostRunContext ctx, Transport transport, Deployer.Sleeper sleeper) {
    this.ctx = ctx;
    this.transport = transport;
    this.sleeper = sleeper;
  }

  /** After a lost connection: reconnect and query; unreachable means the watchdog takes over. */
  HostStatus statusAfterLoss(TransportException e, String when) {
    ctx.conn = reconnectOrPending(when + " (" + e.getMessage() + ")");
    try {
      HostStatus st = status(ctx.conn, List.of());
      if (!st.bootId.equals(ctx.before.bootId)) {
        ctx.rebooted = true;
      }
      return st;
    } catch (TransportException e2) {
      ctx.pendingKeepStep("the connection was lost " + when + " and again: " + e2.getMessage());
      throw new HostRunContext.End();
    }
  }

  /** Reads the host's state into the report over the current connection, if it answers. */
  void stateIfReachable() {
    try {
      if (ctx.conn == null || !ctx.conn.isOpen()) {
        ctx.conn = reconnect(ctx.plan.reconnectTimeout());
      }
      ctx.state(status(ctx.conn, List.of()));
    } catch (FleetException e) {
      ctx.report.systemAfter(Optional.empty());
    }
  }

  Connection reconnectOrPending(String when) {
    try {
      return reconnect(ctx.plan.reconnectTimeout());
    } catch (TransportException e) {
      ctx.pendingKeepStep("the connection was lost " + when + " and the host cannot be reached");
      throw new HostRunContext.End();
    }
  }

  /** Opens a connection, retrying with backoff for up to {@code timeout}. */
  Connection reconnect(Duration timeout) {
    Instant until = ctx.clock.instant().plus(timeout);
    Duration backoff = Duration.ofSeconds(1);
    while (true) {
      try {
        return connect();
      } catch (TransportException e) {
        if (e.reason() == TransportException.Reason.HOST_KEY_MISMATCH
            || e.reason() == TransportException.Reason.AUTHENTICATION
            || !ctx.clock.instant().plus(backoff).isBefore(until)) {
          throw e;
        }
        pause(backoff);
        backoff =
            backoff.multipliedBy(2).compareTo(Duration.ofSeconds(10)) > 0
                ? Duration.ofSeconds(10)
                : backoff.multipliedBy(2);
      }
    }
  }

  Connection connect() {
    Connection c = transport.connect(ctx.host);
    opened.add(c);
    return c;
  }

  /** Closes every connection the run opened. */
  void closeAll() {
    for (Connection c : opened) {
      try {
        c.close();
      } catch (RuntimeException ignored) {
        // closing a broken connection may fail; nothing to do
      }
    }
  }

  void pause(Duration d) {
    try {
      sleeper.sleep(d);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  HostStatus status(Connection c, List<String> paths) {
    CommandResult r = rt(c, HostProtocol.status(paths, ctx.sudo, ctx.plan.commandTimeout()));
    if (!r.isSuccess()) {
      throw new DeploymentException(
          ctx.name,
          "the status query on "
              + ctx.name
              + " failed (exit "
              + r.exitCode()
              + "): "
              + r.stderrText().trim(),
          null);
    }
    return HostStatus.parse(r.stdoutText(), ctx.name);
  }

  CommandResult rt(Connection c, Command command) {
    ctx.roundTrips++;
    return c.run(command);
  }
}
