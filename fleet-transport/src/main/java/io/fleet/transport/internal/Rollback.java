package io.fleet.transport.internal;

import io.fleet.api.TransportException;
import io.fleet.api.deploy.DeployStep;
import io.fleet.api.deploy.HostOutcome;
import io.fleet.api.deploy.HostProtocol;
import io.fleet.api.spi.CommandResult;
import io.fleet.api.spi.Connection;
import java.util.List;
import java.util.Optional;

/**
 * Rolls a host back when a step after arming fails, and ends the run after a rollback, whoever
 * performed it (this run or the host's watchdog), from the host's state as read after it.
 */
final class Rollback {
  private final HostRunContext ctx;
  private final HostLink link;

  Rollback(HostRunContext ctx, HostLink link) {
    this.ctx = ctx;
    this.link = link;
  }

  /** Rolls back at once (unless rollback is disabled and the host disarmed); ends the run. */
  void rollback(String reason) {
    DeployStep failedAt = ctx.step;
    if (ctx.failedStep == null) {
      ctx.failedStep = failedAt;
    }
    ctx.events.failed(ctx.name, failedAt, reason);
    if (ctx.disarmed) {
      link.stateIfReachable();
      ctx.end(
          HostOutcome.FAILED,
          reason
              + "; rollback is disabled: the host was not rolled back and stays on the new"
              + " generation");
    }
    ctx.begin(DeployStep.ROLLBACK);
    Connection c;
    try {
      c =
          ctx.conn != null && ctx.conn.isOpen()
              ? ctx.conn
              : link.reconnect(ctx.plan.reconnectTimeout());
    } catch (TransportException e) {
      ctx.pendingKeepStep(reason + "; the host cannot be reached to roll back: " + e.getMessage());
      return;
    }
    CommandResult r;
    try {
      r =
          link.rt(
              c, HostProtocol.rollbackNow(ctx.plan.id(), ctx.sudo, ctx.plan.activationTimeout()));
    } catch (TransportException e) {
      // The rollback runs under systemd-run and survives a dropped connection; look, and if it
      // never started, try once more over a new connection.
      try {
        ctx.conn = link.reconnect(ctx.plan.reconnectTimeout());
        HostStatus st = link.status(ctx.conn, List.of());
        if (st.markerId().filter(ctx.plan.id()::equals).isEmpty()) {
          afterRollback(st, reason);
        }
        r =
            link.rt(
                ctx.conn,
                HostProtocol.rollbackNow(ctx.plan.id(), ctx.sudo, ctx.plan.activationTimeout()));
      } catch (TransportException e2) {
        ctx.pendingKeepStep(
            reason + "; the connection was lost while rolling back: " + e2.getMessage());
        return;
      }
    }
    HostStatus st =
        HostStatus.hasState(r.stdoutText())
            ? HostStatus.parseState(r.stdoutText(), ctx.name)
            : null;
    if (st != null && r.exitCode() == HostProtocol.EXIT_OTHER_DEPLOYMENT && ctx.rolledBack(st)) {
      // Our watchdog rolled the host back, and another deployment has armed it since.
      afterRollback(st, reason);
    }
    if (!r.isSuccess() || st == null) {
      String log = st == null ? "" : String.join("\n", st.rollbackLog).trim();
      ctx.end(
          HostOutcome.ROLLBACK_FAILED,
          reason
              + "; rolling back failed (exit "
              + r.exitCode()
              + "): "
              + (r.stderrText().trim() + " " + log).trim()
              + "; the host needs an operator");
    }
    afterRollback(st, reason);
  }

  /**
   * Ends the run after a rollback, whoever performed it, with the host's state as read after it:
   * {@link HostOutcome#ROLLED_BACK} if the host is back on its previous generation and system,
   * {@link HostOutcome#ROLLBACK_INCOMPLETE} if it is on neither that nor the new one.
   */
  void afterRollback(HostStatus st, String reason) {
    ctx.state(st);
    ctx.report.rolledBackBy(st.rolledBackBy(ctx.plan.id()).orElse("unknown"));
    Optional<Integer> exit = st.rollbackExitOf(ctx.plan.id());
    if (exit.isPresent() && exit.get() != 0) {
      ctx.done("rolled back to generation " + st.generation + ", whose activation failed");
      ctx.end(
          HostOutcome.ROLLBACK_INCOMPLETE,
          reason
              + "; rolled back to generation "
              + st.generation
              + ", but its activation failed (exit "
              + exit.get()
              + "): "
              + String.join("\n", st.rollbackLog).trim()
              + "; the host runs "
              + st.current
              + "; it needs an operator");
    }
    if (st.generation != ctx.previousGeneration || !st.current.equals(ctx.previousCurrent)) {
      ctx.done("rolled back, but to neither the previous nor the new system");
      ctx.end(
          HostOutcome.ROLLBACK_INCOMPLETE,
          reason
              + "; the rollback left the host on generation "
              + st.generation
              + " running "
              + st.current
              + ", neither its previous system "
              + ctx.previousCurrent
              + " (generation "
              + ctx.previousGeneration
              + ") nor the new one; it needs an operator");
    }
    ctx.done("rolled back to generation " + st.generation);
    ctx.end(HostOutcome.ROLLED_BACK, reason);
  }

  /** If our marker is gone, a watchdog rolled the host back: end with that. */
  void checkStillOurs(HostStatus st, String when) {
    if (ctx.disarmed) {
      return;
    }
    if (st.markerId().filter(ctx.plan.id()::equals).isEmpty()) {
      if (ctx.failedStep == null) {
        ctx.failedStep = ctx.step;
      }
      afterRollback(
          st,
          "the connection was lost "
              + when
              + " and the host rolled itself back"
              + (ctx.rebooted ? " after a reboot" : ""));
    }
  }
}
