package io.fleet.transport.internal;

import io.fleet.api.TransportException;
import io.fleet.api.deploy.DeployStep;
import io.fleet.api.deploy.HostOutcome;
import io.fleet.api.deploy.HostProtocol;
import io.fleet.api.spi.CommandResult;
import io.fleet.api.spi.Connection;

/**
 * Confirms a deployment over a new connection (proving the host is still reachable after the
 * activation), and tells a lost or refused confirmation from one the watchdog overtook.
 */
final class Confirmation extends HostRunStep {
  Confirmation(HostRunContext ctx, HostLink link, Rollback rollback) {
    super(ctx, link, rollback);
  }

  void confirm(boolean mayRetry) {
    ctx.begin(DeployStep.CONFIRM);
    Connection fresh;
    try {
      fresh = link.reconnect(ctx.plan.reconnectTimeout());
    } catch (TransportException e) {
      ctx.pending("the host could not be reached again to confirm: " + e.getMessage());
      return;
    }
    CommandResult r;
    try {
      r = link.rt(fresh, HostProtocol.confirm(ctx.plan.id(), ctx.sudo, ctx.plan.commandTimeout()));
    } catch (TransportException e) {
      ctx.conn = fresh;
      HostStatus st = link.statusAfterLoss(e, "during confirmation");
      if (st.marker.isEmpty() && ctx.isOnTarget(st) && !st.rollingBack && !ctx.rolledBack(st)) {
        ctx.state(st);
        ctx.end(HostOutcome.CONFIRMED, null);
      }
      if (st.markerId().filter(ctx.plan.id()::equals).isPresent() && mayRetry) {
        confirm(false);
        return;
      }
      rollback.checkStillOurs(st, "during confirmation");
      rollback.rollback("the confirmation was lost: " + e.getMessage());
      return;
    }
    HostStatus st =
        HostStatus.hasState(r.stdoutText())
            ? HostStatus.parseState(r.stdoutText(), ctx.name)
            : null;
    if (r.exitCode() == HostProtocol.EXIT_NO_MARKER
        || (r.exitCode() == HostProtocol.EXIT_OTHER_DEPLOYMENT
            && st != null
            && ctx.rolledBack(st))) {
      ctx.failedStep = DeployStep.CONFIRM;
      String why =
          "the watchdog rolled the host back before it was confirmed (rollback window "
              + ctx.plan.rollbackWindow()
              + "); lengthen the window if activation and checks need longer";
      if (st == null) {
        ctx.report.rolledBackBy("watchdog");
        ctx.end(HostOutcome.ROLLED_BACK, why);
      }
      rollback.afterRollback(st, why);
    }
    if (!r.isSuccess() || st == null) {
      ctx.failedStep = DeployStep.CONFIRM;
      ctx.end(
          HostOutcome.ROLLBACK_FAILED,
          "confirmation refused (exit " + r.exitCode() + "): " + r.stderrText().trim());
    }
    ctx.state(st);
    if (!st.bootId.equals(ctx.before.bootId)) {
      ctx.rebooted = true;
    }
    ctx.done("confirmed");
    ctx.end(HostOutcome.CONFIRMED, null);
  }
}
