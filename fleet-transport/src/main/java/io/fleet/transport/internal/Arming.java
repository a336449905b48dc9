package io.fleet.transport.internal;

import io.fleet.api.TransportException;
import io.fleet.api.deploy.DeployStep;
import io.fleet.api.deploy.HostOutcome;
import io.fleet.api.deploy.HostProtocol;
import io.fleet.api.spi.CommandResult;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Arms a host's rollback (marker and watchdog, under the host's lock), reading the host's previous
 * generation and system as the arm script saw them; when the plan disables rollback, confirms at
 * once so no watchdog is left.
 */
final class Arming extends HostRunStep {
  Arming(HostRunContext ctx, HostLink link, Rollback rollback) {
    super(ctx, link, rollback);
  }

  /**
   * Arms the host (and disarms it at once if the plan disables rollback); ends the run on failure.
   */
  void arm() {
    ctx.begin(DeployStep.ARM);
    ctx.armedAt = ctx.clock.instant();
    ctx.report.rollbackDueAt(ctx.armedAt.plus(ctx.plan.rollbackWindow()));
    CommandResult armed;
    try {
      armed =
          link.rt(
              ctx.conn,
              HostProtocol.arm(
                  ctx.plan.id(),
                  Math.max(1, ctx.plan.rollbackWindow().toSeconds()),
                  ctx.plan.action().setsProfile() ? Optional.of(ctx.system) : Optional.empty(),
                  ctx.sudo,
                  ctx.plan.commandTimeout()));
    } catch (TransportException e) {
      afterLostArm(e);
      return;
    }
    if (armed.exitCode() == HostProtocol.EXIT_MARKER_EXISTS) {
      ctx.armedAt = null;
      ctx.fail(
          HostOutcome.FAILED,
          "another deployment armed the host first: " + armed.stderrText().trim());
    }
    if (!armed.isSuccess()) {
      rollback.rollback(
          "arming failed (exit " + armed.exitCode() + "): " + armed.stderrText().trim());
    }
    previousFromArm(armed.stdoutText());
    generationAfter(armed.stdoutText());
    if (!ctx.plan.rollback()) {
      disarm();
    } else {
      ctx.done("armed; watchdog due at " + ctx.armedAt.plus(ctx.plan.rollbackWindow()));
    }
  }

  /**
   * Rollback is disabled: confirm the deployment just armed, over the same connection, so the
   * watchdog timer is stopped and the marker removed before anything is activated. Arming and
   * confirming keep the protocol's lock and deployment-id checks; until the confirmation succeeds a
   * failure is rolled back as usual (nothing was activated yet).
   */
  private void disarm() {
    CommandResult r;
    try {
      r =
          link.rt(
              ctx.conn, HostProtocol.confirm(ctx.plan.id(), ctx.sudo, ctx.plan.commandTimeout()));
    } catch (TransportException e) {
      HostStatus st = link.statusAfterLoss(e, "while disarming the watchdog");
      if (st.markerId().filter(ctx.plan.id()::equals).isPresent()) {
        rollback.rollback(
            "the connection was lost while disarming the watchdog (" + e.getMessage() + ")");
      }
      if (ctx.rolledBack(st)) {
        rollback.afterRollback(st, "the watchdog rolled the host back before it was disarmed");
      }
      if (st.marker.isPresent()) {
        ctx.fail(
            HostOutcome.FAILED,
            "the connection was lost while disarming the watchdog ("
                + e.getMessage()
                + ") and another deployment has armed the host since; nothing was activated");
      }
      r = null; // the confirmation went through before the connection broke
    }
    if (r != null && !r.isSuccess()) {
      rollback.rollback(
          "disarming the watchdog failed (exit "
              + r.exitCode()
              + "): "
              + r.stderrText().trim()
              + "; nothing was activated");
    }
    ctx.disarmed = true;
    ctx.armedAt = null;
    ctx.report.rollbackDueAt(Optional.empty());
    ctx.done("armed and confirmed at once: rollback disabled, no watchdog");
  }

  private void afterLostArm(TransportException e) {
    ctx.events.failed(ctx.name, DeployStep.ARM, "connection lost: " + e.getMessage());
    HostStatus st = link.statusAfterLoss(e, "while arming");
    if (st.markerId().filter(ctx.plan.id()::equals).isPresent()) {
      rollback.rollback("the connection was lost while arming (" + e.getMessage() + ")");
    }
    ctx.armedAt = null;
    ctx.report.rollbackDueAt(Optional.empty());
    ctx.fail(
        HostOutcome.FAILED,
        "the connection was lost before the rollback was armed ("
            + e.getMessage()
            + "); nothing changed");
  }

  /** The previous generation and system, as the arm script read them under the lock. */
  private void previousFromArm(String stdout) {
    Map<String, List<String>> kv = HostProtocol.parse(stdout);
    List<String> g = kv.get("previous-generation");
    List<String> c = kv.get("previous-current");
    if (g != null && c != null) {
      try {
        ctx.previousGeneration = Long.parseLong(g.get(0).trim());
        ctx.previousCurrent = c.get(0);
        ctx.report.generationBefore(ctx.previousGeneration).systemBefore(ctx.previousCurrent);
      } catch (NumberFormatException e) {
        // keep the preflight's
      }
    }
  }

  private void generationAfter(String stdout) {
    List<String> g = HostProtocol.parse(stdout).get("generation");
    if (g != null) {
      try {
        ctx.report.generationAfter(Long.parseLong(g.get(0).trim()));
      } catch (NumberFormatException e) {
        ctx.report.generationAfter(Optional.empty());
      }
    }
  }
}
