package io.fleet.transport.internal;

import io.fleet.api.Host;
import io.fleet.api.deploy.DeploymentPlan;
import io.fleet.api.deploy.HostOutcome;
import io.fleet.api.deploy.HostProtocol;
import io.fleet.api.deploy.HostReport;
import io.fleet.api.spi.CommandResult;
import io.fleet.api.spi.Connection;
import io.fleet.api.spi.Transport;
import java.util.Optional;

/**
 * Returns a confirmed host to the generation and system it had before the deployment ({@link
 * HostProtocol#revert}, the opt-in fleet policy when another host failed), and reports the state
 * the host is in afterwards, as read from it.
 */
public final class HostRevert {
  private HostRevert() {}

  /**
   * Whether {@code r} is a host that the fleet policy reverts: confirmed, from a known generation.
   */
  public static boolean canRevert(HostReport r) {
    return r.outcome() == HostOutcome.CONFIRMED && r.generationBefore().isPresent();
  }

  /** Reverts the host of {@code confirmed}; never throws, the outcome says how it went. */
  public static HostReport revert(
      DeploymentPlan plan, HostReport confirmed, Transport transport, String why) {
    Host host = plan.host(confirmed.host());
    boolean sudo = host.deployTarget().needsSudo();
    HostReport.Builder b = HostReport.builder().from(confirmed);
    long previousGeneration = confirmed.generationBefore().orElseThrow();
    // Each host's own previous system, not the new one.
    String previousSystem = confirmed.systemBefore().orElse("");
    try (Connection c = transport.connect(host)) {
      CommandResult res =
          c.run(
              HostProtocol.revert(
                  plan.id(), previousGeneration, previousSystem, sudo, plan.activationTimeout()));
      String out = res.stdoutText();
      if (!res.isSuccess() || !HostStatus.hasState(out)) {
        b.outcome(HostOutcome.ROLLBACK_FAILED)
            .error(
                why
                    + "; the revert failed (exit "
                    + res.exitCode()
                    + "): "
                    + res.stderrText().trim());
      } else {
        HostStatus st = HostStatus.parseState(out, confirmed.host());
        b.generationAfter(st.generation).systemAfter(st.current).rolledBackBy("deployer");
        Optional<Integer> exit = st.rollbackExitOf(plan.id());
        if (exit.isPresent() && exit.get() != 0) {
          b.outcome(HostOutcome.ROLLBACK_INCOMPLETE)
              .error(
                  why
                      + "; reverted to generation "
                      + st.generation
                      + ", but its activation failed (exit "
                      + exit.get()
                      + "): "
                      + String.join("\n", st.rollbackLog).trim()
                      + "; the host needs an operator");
        } else if (st.generation != previousGeneration || !st.current.equals(previousSystem)) {
          b.outcome(HostOutcome.ROLLBACK_INCOMPLETE)
              .error(
                  why
                      + "; the revert left the host on generation "
                      + st.generation
                      + " running "
                      + st.current
                      + ", not its previous system "
                      + previousSystem
                      + " (generation "
                      + previousGeneration
                      + "); the host needs an operator");
        } else {
          b.outcome(HostOutcome.REVERTED).error(why);
        }
      }
    } catch (RuntimeException e) {
      b.outcome(HostOutcome.ROLLBACK_FAILED).error(why + "; the revert failed: " + e.getMessage());
    }
    return b.roundTrips(confirmed.roundTrips() + 1).build();
  }
}
