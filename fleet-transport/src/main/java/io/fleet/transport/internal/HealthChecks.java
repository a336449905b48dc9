package io.fleet.transport.internal;

import io.fleet.api.TransportException;
import io.fleet.api.deploy.DeployStep;
import io.fleet.api.deploy.HealthCheck;
import io.fleet.api.spi.Command;
import io.fleet.api.spi.CommandResult;
import io.fleet.transport.Deployer;
import java.net.URI;
import java.util.Optional;

/**
 * Runs one health check on the activated host (a command over the connection, or an HTTP probe),
 * with its attempts and interval; a check that keeps failing rolls the host back.
 */
final class HealthChecks extends HostRunStep {
  private final Deployer.HttpProbe http;

  HealthChecks(HostRunContext ctx, HostLink link, Rollback rollback, Deployer.HttpProbe http) {
    super(ctx, link, rollback);
    this.http = http;
  }

  /** Runs {@code check} until it passes or its attempts are used up (then rolls back). */
  void run(HealthCheck check) {
    String why = null;
    for (int attempt = 1; attempt <= check.attempts(); attempt++) {
      if (attempt > 1) {
        link.pause(check.interval());
      }
      if (!check.command().isEmpty()) {
        try {
          CommandResult r =
              link.rt(
                  ctx.conn,
                  Command.builder()
                      .argv(check.command())
                      .sudo(ctx.sudo)
                      .timeout(check.timeout())
                      .build());
          if (r.isSuccess()) {
            return;
          }
          why =
              "exit "
                  + r.exitCode()
                  + ": "
                  + (r.stdoutText().trim() + " " + r.stderrText().trim()).trim();
        } catch (TransportException e) {
          if (e.reason() == TransportException.Reason.UNSUPPORTED_COMMAND) {
            rollback.rollback(
                "health check " + check.name() + " is not understood: " + e.getMessage());
          }
          why = e.getMessage();
          ctx.conn = link.reconnectOrPending("during the health check " + check.name());
        }
      } else {
        URI url = check.urlFor(ctx.host.deployTarget().address()).orElseThrow();
        Optional<String> problem = http.problem(url, check.timeout());
        if (problem.isEmpty()) {
          return;
        }
        why = "GET " + url + ": " + problem.get();
      }
    }
    ctx.events.failed(ctx.name, DeployStep.CHECK, check.name() + ": " + why);
    rollback.rollback(
        "health check '"
            + check.name()
            + "' failed after "
            + check.attempts()
            + " attempt(s): "
            + why);
  }
}
