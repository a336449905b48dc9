package io.fleet.transport;

import static io.fleet.testkit.FleetAssertions.assertThat;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.fleet.api.FleetConfigException;
import io.fleet.api.FleetJson;
import io.fleet.api.deploy.DeployAction;
import io.fleet.api.deploy.DeployStep;
import io.fleet.api.deploy.DeploymentPlan;
import io.fleet.api.deploy.DeploymentReport;
import io.fleet.api.deploy.HealthCheck;
import io.fleet.api.deploy.HostOutcome;
import io.fleet.api.deploy.HostReport;
import io.fleet.api.spi.CommandResult;
import io.fleet.testkit.FakeCommand;
import io.fleet.testkit.FakeFleet;
import io.fleet.testkit.FakeHost;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** {@code Planner.rollback(false)}, the original's {@code --disable-rollback}, on fake hosts. */
class DisableRollbackTest {
  @RegisterExtension final FakeFleet fake = FakeFleet.of(DeployerTest.fleet(2));

  Deployer deployer() {
    return Deployer.builder()
        .transport(fake.transport())
        .evaluator(fake.evaluator())
        .clock(fake.clock(), fake.clock()::sleep)
        .build();
  }

  /** What a health check saw on the host after activation: marker and watchdog. */
  final List<String> seenByCheck = new ArrayList<>();

  /** A health check {@code probe} that records the host's rollback state and exits {@code exit}. */
  void probe(FakeHost h, int exit) {
    h.onCommand(
        (host, c) -> {
          if (!c.argv().equals(List.of("probe"))) {
            return Optional.empty();
          }
          seenByCheck.add(
              "marker=" + host.rollbackMarker().isPresent() + " watchdog=" + host.watchdogDue());
          return Optional.of(CommandResult.of(exit, "", exit == 0 ? "" : "probe: unhealthy\n"));
        });
  }

  static List<FakeHost.Op> ops(FakeHost h) {
    return h.commands().stream().map(FakeCommand::op).collect(Collectors.toList());
  }

  @Test
  void failedActivationIsNotRolledBackAndTheHostStaysOnTheNewGeneration() {
    FakeHost h = fake.host("web-1").failNextActivation();
    Deployer d = deployer();
    DeploymentReport report =
        d.execute(
            d.plan(fake.fleet())
                .select("web-1")
                .action(DeployAction.SWITCH)
                .rollback(false)
                .build());

    assertThat(report)
        .hasOutcome("web-1", HostOutcome.FAILED)
        .failedAt("web-1", DeployStep.ACTIVATE)
        .hasErrorContaining("web-1", "broken.service")
        .hasErrorContaining("web-1", "rollback is disabled");
    HostReport r = report.host("web-1");
    assertThat(r.activationOutput()).hasValueSatisfying(o -> assertThat(o).contains("broken"));
    assertThat(r.rolledBackBy()).isEmpty();
    assertThat(r.rollbackDueAt()).isEmpty();
    assertThat(r.generationAfter()).hasValue(2L);
    assertThat(r.systemAfter()).hasValue(fake.newSystem("web-1"));
    assertThat(report.rollback()).isFalse();
    assertThat(report.summary()).contains("rollback disabled");
    assertThat(h)
        .isOnGeneration(2)
        .boots(fake.newSystem("web-1"))
        .isRunning(fake.newSystem("web-1"))
        .hasNoRollbackMarker()
        .wasNotRolledBack()
        .receivedOnlyKnownCommands();
    assertThat(h.watchdogDue()).isEmpty();
    assertThat(h.bootWatchdogDue()).isEmpty();
    // armed and confirmed before the activation; no rollback command afterwards
    assertThat(ops(h))
        .containsExactly(
            FakeHost.Op.STATUS,
            FakeHost.Op.IMPORT,
            FakeHost.Op.ARM,
            FakeHost.Op.CONFIRM,
            FakeHost.Op.ACTIVATE,
            FakeHost.Op.STATUS);
    // the other host was not in the plan and is untouched
    assertThat(fake.host("web-2")).isOnGeneration(1);
  }

  @Test
  void failedHealthCheckIsNotRolledBackEither() {
    FakeHost h = fake.host("web-1");
    probe(h, 1);
    Deployer d = deployer();
    DeploymentReport report =
        d.execute(
            d.plan(fake.fleet())
                .select("web-1")
                .action(DeployAction.SWITCH)
                .rollback(false)
                .healthCheck(HealthCheck.command("probe"))
                .build());

    assertThat(report)
        .hasOutcome("web-1", HostOutcome.FAILED)
        .failedAt("web-1", DeployStep.CHECK)
        .hasErrorContaining("web-1", "probe: unhealthy")
        .hasErrorContaining("web-1", "not rolled back");
    assertThat(seenByCheck).containsExactly("marker=false watchdog=Optional.empty");
    assertThat(h)
        .isOnGeneration(2)
        .isRunning(fake.newSystem("web-1"))
        .hasNoRollbackMarker()
        .wasNotRolledBack();
    assertThat(h.watchdogDue()).isEmpty();
  }

  @Test
  void successIsConfirmedWithNoWatchdogLeftArmed() {
    Deployer d = deployer();
    for (FakeHost h : fake.hosts()) {
      probe(h, 0);
    }
    DeploymentReport report =
        d.execute(
            d.plan(fake.fleet())
                .action(DeployAction.SWITCH)
                .rollback(false)
                .healthCheck(HealthCheck.command("probe"))
                .build());

    assertThat(report).isSuccessful().allHostsEnded(HostOutcome.CONFIRMED);
    assertThat(seenByCheck).containsOnly("marker=false watchdog=Optional.empty").hasSize(2);
    for (FakeHost h : fake.hosts()) {
      assertThat(h)
          .isOnGeneration(2)
          .isRunning(fake.newSystem(h.name()))
          .boots(fake.newSystem(h.name()))
          .hasNoRollbackMarker()
          .wasNotRolledBack()
          .receivedOnlyKnownCommands();
      assertThat(h.confirmations()).isEqualTo(1);
      assertThat(h.watchdogDue()).isEmpty();
      assertThat(report).hasGenerations(h.name(), 1, 2);
      assertThat(report.host(h.name()).systemAfter()).hasValue(fake.newSystem(h.name()));
    }
  }

  @Test
  void aHostArmedByAnotherDeploymentIsStillRefused() {
    FakeHost h = fake.host("web-1");
    Deployer d = deployer();
    // A deployment with rollback whose confirmation never comes leaves its marker armed.
    h.unreachableAfter(FakeHost.Op.ACTIVATE);
    DeploymentReport first =
        d.execute(d.plan(fake.fleet()).select("web-1").action(DeployAction.SWITCH).build());
    assertThat(first).hasOutcome("web-1", HostOutcome.ROLLBACK_PENDING);
    h.revive();
    DeploymentReport second =
        d.execute(
            d.plan(fake.fleet())
                .select("web-1")
                .action(DeployAction.SWITCH)
                .rollback(false)
                .build());
    assertThat(second)
        .hasOutcome("web-1", HostOutcome.FAILED)
        .hasErrorContaining("web-1", "rollback marker");
    assertThat(h).hasRollbackMarker();
    assertThat(h.watchdogDue()).isPresent();
  }

  @Test
  void planJsonCarriesTheFlagAndOldJsonReadsAsRollbackEnabled() throws Exception {
    Deployer d = deployer();
    DeploymentPlan plan = d.plan(fake.fleet()).action(DeployAction.TEST).rollback(false).build();
    assertThat(plan.rollback()).isFalse();
    assertThat(plan.summary()).contains("rollback disabled");
    String json = plan.toJson();
    assertThat(DeploymentPlan.fromJson(json)).isEqualTo(plan);
    assertThat(DeploymentPlan.fromJson(json).rollback()).isFalse();

    ObjectNode old = (ObjectNode) FleetJson.mapper().readTree(json);
    assertThat(old.remove("rollback")).isNotNull();
    DeploymentPlan read = DeploymentPlan.fromJson(FleetJson.mapper().writeValueAsString(old));
    assertThat(read.rollback()).isTrue();
    assertThat(read.id()).isEqualTo(plan.id());
    assertThat(d.plan(fake.fleet()).build().rollback()).isTrue();
  }

  @Test
  void disabledRollbackCannotBeCombinedWithRevertingSucceededHosts() {
    Deployer d = deployer();
    assertThatThrownBy(
            () -> d.plan(fake.fleet()).rollback(false).rollbackSucceededOnFailure(true).build())
        .isInstanceOf(FleetConfigException.class)
        .hasMessageContaining("rollback is disabled");
  }
}
