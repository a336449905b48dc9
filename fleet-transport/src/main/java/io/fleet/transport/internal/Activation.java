package io.fleet.transport.internal;

import io.fleet.api.TransportException;
import io.fleet.api.deploy.DeployAction;
import io.fleet.api.deploy.DeployStep;
import io.fleet.api.deploy.HostProtocol;
import io.fleet.api.spi.CommandResult;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;

/**
 * Activates the new system on an armed host ({@code switch-to-configuration} under systemd-run),
 * and finds out what the host did when the connection broke during it; a failure is rolled back.
 */
final class Activation extends HostRunStep {
  Activation(HostRunContext ctx, HostLink link, Rollback rollback) {
    super(ctx, link, rollback);
  }

  void activate(boolean retry) {
    ctx.begin(DeployStep.ACTIVATE);
    String act = ctx.plan.action().activation().orElseThrow();
    CommandResult r;
    try {
      r =
          link.rt(
              ctx.conn,
              HostProtocol.activate(ctx.system, act, ctx.sudo, ctx.plan.activationTimeout()));
    } catch (TransportException e) {
      if (e.reason() == TransportException.Reason.TIMEOUT) {
        rollback.rollback(
            "switch-to-configuration "
                + act
                + " did not finish within "
                + ctx.plan.activationTimeout()
                + ": "
                + e.getMessage());
      }
      afterLostActivation(e, retry);
      return;
    }
    Map<String, List<String>> kv = HostProtocol.parse(r.stdoutText());
    String output = activationOutput(kv.getOrDefault("activation-log", List.of()));
    if (!kv.containsKey("activation-exit")) {
      // systemd-run returned without the activation's result: it could not start the unit, or it
      // lost systemd (the host is shutting down). Look at the host before deciding.
      String why = r.stderrText().trim().isEmpty() ? "exit " + r.exitCode() : r.stderrText().trim();
      afterLostActivation(
          new TransportException(
              ctx.name,
              TransportException.Reason.CONNECTION_LOST,
              "switch-to-configuration " + act + " left no result: " + why),
          true);
      return;
    }
    if (!r.isSuccess()) {
      rollback.rollback(
          "switch-to-configuration "
              + act
              + " failed (exit "
              + r.exitCode()
              + "): "
              + (output.isEmpty() ? r.stderrText().trim() : output));
    }
    ctx.done("switch-to-configuration " + act + " succeeded");
  }

  /** Records the activation's output in the report; returns it trimmed. */
  private String activationOutput(List<String> lines) {
    String text = String.join("\n", lines).trim();
    if (!text.isEmpty()) {
      ctx.report.activationOutput(text);
    }
    return text;
  }

  /** The connection broke during activation: find out what the host did. */
  private void afterLostActivation(TransportException e, boolean retried) {
    ctx.events.failed(ctx.name, DeployStep.ACTIVATE, "connection lost: " + e.getMessage());
    HostStatus st = link.statusAfterLoss(e, "during activation");
    Instant waitUntil = ctx.clock.instant().plus(ctx.plan.activationTimeout());
    while (st.activating && ctx.clock.instant().isBefore(waitUntil)) {
      link.pause(Duration.ofSeconds(2));
      st = link.statusAfterLoss(e, "while waiting for activation");
    }
    if (st.activating) {
      rollback.rollback(
          "switch-to-configuration was still running after " + ctx.plan.activationTimeout());
    }
    rollback.checkStillOurs(st, "during activation");
    String act = ctx.plan.action().activation().orElseThrow();
    String output = activationOutput(st.activationLog);
    if (ctx.plan.action() == DeployAction.BOOT && !retried && st.activationExit.isEmpty()) {
      // `switch-to-configuration boot` is idempotent: run it again to know its result.
      activate(true);
      return;
    }
    int exit = st.activationExit.orElse(0);
    if (exit != 0) {
      rollback.rollback(
          "switch-to-configuration "
              + act
              + " failed (exit "
              + exit
              + ") while the connection was down ("
              + e.getMessage()
              + "): "
              + output);
    }
    if (!ctx.isOnTarget(st)) {
      rollback.rollback(
          "the connection was lost during activation ("
              + e.getMessage()
              + ") and the host does not run the new system");
    }
    ctx.done("activation finished while the connection was down");
  }
}
