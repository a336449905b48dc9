package io.fleet.examples.infra;

import static io.fleet.testkit.FleetAssertions.assertThat;
import static org.assertj.core.api.Assertions.assertThat;

import io.fleet.api.deploy.DeployAction;
import io.fleet.api.deploy.DeployStep;
import io.fleet.api.deploy.DeploymentReport;
import io.fleet.api.deploy.HealthCheck;
import io.fleet.api.deploy.HostOutcome;
import io.fleet.testkit.FakeFleet;
import io.fleet.testkit.FakeHost;
import io.fleet.transport.Deployer;
import java.time.Duration;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * How to test your fleet's deployment policy with fake hosts: script a fault, deploy, then check
 * where every host ended. Each test gets fresh hosts (the extension restarts before each test).
 */
class ShopDeploymentTest {
  @RegisterExtension final FakeFleet fake = FakeFleet.of(ShopFleet.build().validate());

  private Deployer deployer;

  @BeforeEach
  void wireTheDeployerToTheFakeHosts() {
    // Transport, evaluator, virtual clock and fake HTTP endpoints, all from the fake fleet.
    deployer = fake.deployer();
  }

  @Test
  void aSwitchPutsEveryHostOnItsNewSystem() {
    DeploymentReport report = deployer.execute(deployer.plan(fake.fleet()).build());

    assertThat(report).isSuccessful().allHostsEnded(HostOutcome.CONFIRMED);
    assertThat(fake).allOnNewSystem().allConfirmed().hasNoRollbackMarkers();
    for (FakeHost host : fake.hosts()) {
      assertThat(host).isOnGeneration(2).isRunning(fake.newSystem(host.name()));
    }
  }

  @Test
  void aBrokenCanaryStopsTheRolloutBeforeTheOtherHosts() {
    fake.host("db-1").failNextActivation(); // db-1 sorts first: it is the canary
    DeploymentReport report =
        deployer.execute(deployer.plan(fake.fleet()).canary(1).keepGoing(true).build());

    assertThat(report)
        .hasOutcome("db-1", HostOutcome.ROLLED_BACK)
        .failedAt("db-1", DeployStep.ACTIVATE)
        .hasOutcome("web-1", HostOutcome.SKIPPED);
    assertThat(fake.host("db-1")).isOnGeneration(1).rolledBack().hasNoRollbackMarker();
    assertThat(fake.host("web-1")).isOnGeneration(1).wasNotRolledBack();
  }

  @Test
  void aHostThatFailsToActivateIsRolledBackWhileTheOthersCarryOn() {
    fake.host("web-2").failNextActivation();
    DeploymentReport report =
        deployer.execute(deployer.plan(fake.fleet()).select("@web").keepGoing(true).build());

    assertThat(report)
        .hasOutcome("web-1", HostOutcome.CONFIRMED)
        .hasOutcome("web-2", HostOutcome.ROLLED_BACK)
        .hasOutcome("web-3", HostOutcome.CONFIRMED);
    assertThat(report.hosts()).hasSize(3); // db-1 was not selected
    assertThat(fake.host("web-2"))
        .isOnGeneration(1)
        .isRunning(fake.initialSystem("web-2"))
        .rolledBackBy("deployer");
    assertThat(fake.host("db-1")).isOnGeneration(1).wasNotConfirmed();
    assertThat(fake).hasOnNewSystemExactly("web-1", "web-3").hasRolledBackExactly("web-2");
  }

  @Test
  void aHostThatVanishesAfterArmingIsRolledBackByItsWatchdog() {
    Duration window = Duration.ofMinutes(3);
    FakeHost web3 = fake.host("web-3");
    web3.unreachableAfter(FakeHost.Op.ARM);
    DeploymentReport report =
        deployer.execute(
            deployer.plan(fake.fleet()).select("web-3").rollbackWindow(window).build());

    assertThat(report).hasOutcome("web-3", HostOutcome.ROLLBACK_PENDING);
    assertThat(report.host("web-3").rollbackDueAt()).isPresent();
    fake.clock().advance(window.plusMinutes(1)); // virtual time: nothing sleeps
    web3.revive();
    assertThat(web3).rolledBackBy("watchdog").isOnGeneration(1).hasNoRollbackMarker();
  }

  @Test
  void anHttpHealthCheckGatesEachHost() {
    fake.host("web-1").httpEndpoint("/healthz", 200);
    fake.host("web-2").httpEndpoint("/healthz", 500);
    // web-3 serves nothing: its check fails too, and the report says why.
    DeploymentReport report =
        deployer.execute(
            deployer
                .plan(fake.fleet())
                .select("@web")
                .keepGoing(true)
                .healthCheck(HealthCheck.http("http://{host}/healthz"))
                .build());

    assertThat(report)
        .hasOutcome("web-1", HostOutcome.CONFIRMED)
        .hasOutcome("web-2", HostOutcome.ROLLED_BACK)
        .hasOutcome("web-3", HostOutcome.ROLLED_BACK)
        .failedAt("web-2", DeployStep.CHECK);
    assertThat(report.host("web-2").error()).hasValueSatisfying(e -> assertThat(e).contains("500"));
    assertThat(fake.host("web-1")).isOnNewSystem().wasConfirmed();
  }

  @Test
  void anUnhealthyNewSystemIsRolledBack() {
    fake.host("web-1").failHealthChecksOfNewSystems();
    DeploymentReport report =
        deployer.execute(
            deployer
                .plan(fake.fleet())
                .select("web-1")
                .action(DeployAction.SWITCH)
                .healthCheck(HealthCheck.command("systemctl", "is-system-running"))
                .build());

    assertThat(report)
        .hasOutcome("web-1", HostOutcome.ROLLED_BACK)
        .failedAt("web-1", DeployStep.CHECK);
    assertThat(fake.host("web-1")).isOnGeneration(1).isRunning(fake.initialSystem("web-1"));
  }
}
