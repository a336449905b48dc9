package io.fleet.transport;

import static io.fleet.testkit.FleetAssertions.assertThat;
import static org.assertj.core.api.Assertions.assertThat;

import io.fleet.api.Fleet;
import io.fleet.api.deploy.DeployAction;
import io.fleet.api.deploy.DeploymentReport;
import io.fleet.api.deploy.HealthCheck;
import io.fleet.api.deploy.HostOutcome;
import io.fleet.api.deploy.HostProtocol;
import io.fleet.api.deploy.HostReport;
import io.fleet.api.spi.CommandResult;
import io.fleet.api.spi.Connection;
import io.fleet.testkit.FakeCommand;
import io.fleet.testkit.FakeFleet;
import io.fleet.testkit.FakeHost;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The protocol under a second deployer and under failed rollbacks, on fake hosts (the same cases
 * run on real systemd hosts in {@code e2e.SystemdDeploymentTest}).
 */
class HostProtocolRaceTest {
  @RegisterExtension
  final FakeFleet fake =
      FakeFleet.of(
          Fleet.builder()
              .name("race")
              .host("web-1", h -> h.tags("web"))
              .host("web-2", h -> h.tags("web"))
              .host("web-3", h -> h.tags("web"))
              .build());

  Deployer deployer() {
    return Deployer.builder()
        .transport(fake.transport())
        .evaluator(fake.evaluator())
        .clock(fake.clock(), fake.clock()::sleep)
        .build();
  }

  @Test
  void aRollbackWhosePreviousGenerationFailsToActivateIsIncompleteNotRolledBack() {
    FakeHost h = fake.host("web-1").failNextActivation().failNextRollbackActivation();
    Deployer d = deployer();
    DeploymentReport report = d.execute(d.plan(fake.fleet()).select("web-1").build());
    HostReport r = report.host("web-1");
    assertThat(r.outcome()).isEqualTo(HostOutcome.ROLLBACK_INCOMPLETE);
    assertThat(r.outcome().isRolledBack()).isFalse();
    assertThat(report.isSuccess()).isFalse();
    assertThat(r.error())
        .hasValueSatisfying(
            e -> assertThat(e).contains("its activation failed (exit 4)", "needs an operator"));
    assertThat(r.generationAfter()).contains(h.generation());
    assertThat(h).isOnGeneration(1).hasNoRollbackMarker();
  }

  @Test
  void theActivationsOwnOutputIsInTheReport() {
    fake.host("web-1").failNextActivation();
    Deployer d = deployer();
    HostReport r = d.execute(d.plan(fake.fleet()).select("web-1").build()).host("web-1");
    assertThat(r.outcome()).isEqualTo(HostOutcome.ROLLED_BACK);
    assertThat(r.error())
        .hasValueSatisfying(e -> assertThat(e).contains("exit 4", "broken.service"));
    assertThat(r.activationOutput()).hasValueSatisfying(o -> assertThat(o).contains("broken"));
  }

  @Test
  void afterTheWatchdogRolledBackTheReportHasTheHostsGenerationNotTheArmedOne() {
    FakeHost h = fake.host("web-1");
    h.onCommand(
        (host, c) -> {
          if (c.argv().get(0).equals("slow-check")) {
            fake.clock().advance(Duration.ofMinutes(11));
            return Optional.of(CommandResult.of(0, "ok\n", ""));
          }
          return Optional.empty();
        });
    Deployer d = deployer();
    HostReport r =
        d.execute(
                d.plan(fake.fleet())
                    .select("web-1")
                    .rollbackWindow(Duration.ofMinutes(10))
                    .healthCheck(HealthCheck.command("slow-check"))
                    .build())
            .host("web-1");
    assertThat(r.outcome()).isEqualTo(HostOutcome.ROLLED_BACK);
    assertThat(r.rolledBackBy()).contains("watchdog");
    assertThat(h).isOnGeneration(1);
    assertThat(r.generationAfter()).contains(1L);
    assertThat(r.systemAfter()).contains(fake.initialSystem("web-1"));
  }

  @Test
  void aLateConfirmationOrRollbackOfAnotherDeploymentLeavesTheArmedOneAlone() {
    FakeHost h = fake.host("web-1");
    try (Connection c = fake.transport().connect(fake.fleet().host("web-1"))) {
      assertThat(
              c.run(HostProtocol.arm("deploy-a", 600, Optional.empty(), false, null)).isSuccess())
          .isTrue();
      CommandResult confirm = c.run(HostProtocol.confirm("deploy-b", false, null));
      assertThat(confirm.exitCode()).isEqualTo(HostProtocol.EXIT_OTHER_DEPLOYMENT);
      CommandResult rollback = c.run(HostProtocol.rollbackNow("deploy-b", false, null));
      assertThat(rollback.exitCode()).isEqualTo(HostProtocol.EXIT_OTHER_DEPLOYMENT);
      CommandResult second =
          c.run(HostProtocol.arm("deploy-b", 600, Optional.empty(), false, null));
      assertThat(second.exitCode()).isEqualTo(HostProtocol.EXIT_MARKER_EXISTS);
    }
    // deploy-a is still armed: its marker and its watchdog, which fires when its window ends.
    assertThat(h.rollbackMarker())
        .hasValueSatisfying(m -> assertThat(m.get(2)).isEqualTo("deploy-a"));
    assertThat(h.watchdogDue()).isPresent();
    fake.clock().advance(Duration.ofSeconds(601));
    assertThat(h).rolledBackBy("watchdog").hasNoRollbackMarker();
  }

  @Test
  void theRevertOfSucceededHostsPassesEachHostsPreviousSystemAndReportsAFailedOne() {
    fake.host("web-3").failNextActivation();
    fake.host("web-2").failNextRollbackActivation();
    Deployer d = deployer();
    DeploymentReport report =
        d.execute(d.plan(fake.fleet()).parallelism(1).rollbackSucceededOnFailure(true).build());
    assertThat(report)
        .hasOutcome("web-1", HostOutcome.REVERTED)
        .hasOutcome("web-2", HostOutcome.ROLLBACK_INCOMPLETE)
        .hasOutcome("web-3", HostOutcome.ROLLED_BACK);
    for (String name : List.of("web-1", "web-2")) {
      FakeCommand revert =
          fake.host(name).commands().stream()
              .filter(c -> c.op() == FakeHost.Op.REVERT)
              .findFirst()
              .orElseThrow();
      // sh -c REVERT sh <id> <previous generation> <previous system> ROLLBACK
      assertThat(revert.argv().get(5)).isEqualTo("1");
      assertThat(revert.argv().get(6)).isEqualTo(fake.initialSystem(name));
      assertThat(fake.host(name)).isOnGeneration(1);
      assertThat(report.host(name).generationAfter()).contains(1L);
    }
  }

  @Test
  void aTestRollbackOfAHostThatRanAnotherSystemThanItsProfileIsIncomplete() {
    // A BOOT deployment leaves the profile on the new system while the old one still runs; a TEST
    // deployment then fails, and its rollback activates the profile: a third state.
    Deployer d = deployer();
    assertThat(
            d.execute(d.plan(fake.fleet()).select("web-1").action(DeployAction.BOOT).build())
                .host("web-1")
                .outcome())
        .isEqualTo(HostOutcome.CONFIRMED);
    FakeHost h = fake.host("web-1").failNextActivation();
    HostReport r =
        d.execute(d.plan(fake.fleet()).select("web-1").action(DeployAction.TEST).build())
            .host("web-1");
    assertThat(r.outcome()).isEqualTo(HostOutcome.ROLLBACK_INCOMPLETE);
    assertThat(r.error())
        .hasValueSatisfying(
            e ->
                assertThat(e)
                    .contains("neither its previous system " + fake.initialSystem("web-1")));
    assertThat(r.systemAfter()).contains(h.currentSystem());
  }
}
