package io.fleet.transport;

import static io.fleet.testkit.FleetAssertions.assertThat;
import static org.assertj.core.api.Assertions.assertThat;

import io.fleet.api.Fleet;
import io.fleet.api.deploy.DeployAction;
import io.fleet.api.deploy.DeployStep;
import io.fleet.api.deploy.DeploymentReport;
import io.fleet.api.deploy.HealthCheck;
import io.fleet.api.deploy.HostOutcome;
import io.fleet.api.deploy.HostReport;
import io.fleet.api.spi.CommandResult;
import io.fleet.testkit.FakeFleet;
import io.fleet.testkit.FakeHost;
import io.fleet.testkit.FakeHost.Op;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.function.BiConsumer;
import java.util.function.Function;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Every step of the protocol crossed with the faults a host can have, for each activating action.
 * Whatever happens, the host ends either confirmed on its new generation or back on its previous
 * one with no marker, and the report says which and why.
 */
class FaultMatrixTest {
  static final Duration WINDOW = Duration.ofMinutes(10);
  static final String H = "web-1";

  @RegisterExtension final FakeFleet fake = FakeFleet.of(Fleet.builder().host(H, h -> {}).build());

  /** A fault: where it strikes, how to script it, and the outcome per action. */
  static final class Fault {
    final DeployStep step;
    final String name;
    final BiConsumer<FakeHost, FakeFleet> script;
    final Function<DeployAction, HostOutcome> expected;

    Fault(
        DeployStep step,
        String name,
        BiConsumer<FakeHost, FakeFleet> script,
        Function<DeployAction, HostOutcome> expected) {
      this.step = step;
      this.name = name;
      this.script = script;
      this.expected = expected;
    }
  }

  static Function<DeployAction, HostOutcome> always(HostOutcome o) {
    return a -> o;
  }

  static List<Fault> faults() {
    List<Fault> f = new ArrayList<>();
    HostOutcome failed = HostOutcome.FAILED;
    HostOutcome back = HostOutcome.ROLLED_BACK;
    HostOutcome pending = HostOutcome.ROLLBACK_PENDING;
    HostOutcome ok = HostOutcome.CONFIRMED;
    // preflight
    f.add(new Fault(DeployStep.PREFLIGHT, "host unreachable", (h, x) -> h.kill(), always(failed)));
    f.add(
        new Fault(
            DeployStep.PREFLIGHT,
            "connection drops",
            (h, x) -> h.dropConnectionBefore(Op.STATUS),
            always(failed)));
    f.add(
        new Fault(
            DeployStep.PREFLIGHT,
            "disk too full for the closure",
            (h, x) -> h.freeBytes(1000),
            always(failed)));
    // copy
    f.add(
        new Fault(
            DeployStep.COPY,
            "disk full during the copy",
            (h, x) -> h.diskFullOnNextCopy(),
            always(failed)));
    f.add(
        new Fault(
            DeployStep.COPY,
            "connection drops after the import",
            (h, x) -> h.dropConnectionAfter(Op.IMPORT),
            always(failed)));
    f.add(
        new Fault(
            DeployStep.COPY,
            "host unreachable during the copy",
            (h, x) -> h.unreachableFrom(Op.IMPORT),
            always(failed)));
    // arm
    f.add(
        new Fault(
            DeployStep.ARM,
            "connection drops before arming",
            (h, x) -> h.dropConnectionBefore(Op.ARM),
            always(failed)));
    f.add(
        new Fault(
            DeployStep.ARM,
            "connection drops after arming",
            (h, x) -> h.dropConnectionAfter(Op.ARM),
            always(back)));
    f.add(
        new Fault(
            DeployStep.ARM,
            "host unreachable after arming",
            (h, x) -> h.unreachableAfter(Op.ARM),
            always(pending)));
    // activate
    f.add(
        new Fault(
            DeployStep.ACTIVATE,
            "activation fails",
            (h, x) -> h.failNextActivation(),
            always(back)));
    f.add(
        new Fault(
            DeployStep.ACTIVATE,
            "activation hangs",
            (h, x) -> h.hangNextActivation(),
            always(back)));
    f.add(
        new Fault(
            DeployStep.ACTIVATE,
            "connection drops before activation",
            (h, x) -> h.dropConnectionBefore(Op.ACTIVATE),
            a -> a == DeployAction.BOOT ? ok : back));
    f.add(
        new Fault(
            DeployStep.ACTIVATE,
            "connection drops after activation",
            (h, x) -> h.dropConnectionAfter(Op.ACTIVATE),
            always(ok)));
    f.add(
        new Fault(
            DeployStep.ACTIVATE,
            "host unreachable after activation",
            (h, x) -> h.unreachableAfter(Op.ACTIVATE),
            always(pending)));
    f.add(
        new Fault(
            DeployStep.ACTIVATE,
            "host unreachable before activation",
            (h, x) -> h.unreachableFrom(Op.ACTIVATE),
            always(pending)));
    f.add(
        new Fault(
            DeployStep.ACTIVATE,
            "host reboots during activation",
            (h, x) -> h.rebootDuring(Op.ACTIVATE),
            a -> a == DeployAction.TEST ? back : ok));
    f.add(
        new Fault(
            DeployStep.ACTIVATE,
            "activation fails, then the rollback's connection drops before it runs",
            (h, x) -> h.failNextActivation().dropConnectionBefore(Op.ROLLBACK),
            always(back)));
    f.add(
        new Fault(
            DeployStep.ACTIVATE,
            "activation fails, then the rollback's connection drops after it ran",
            (h, x) -> h.failNextActivation().dropConnectionAfter(Op.ROLLBACK),
            always(back)));
    f.add(
        new Fault(
            DeployStep.ACTIVATE,
            "activation fails, then the host becomes unreachable",
            (h, x) -> h.failNextActivation().unreachableFrom(Op.ROLLBACK),
            always(pending)));
    // check
    f.add(
        new Fault(
            DeployStep.CHECK,
            "health check fails",
            (h, x) -> h.failHealthChecksOfNewSystems(),
            a -> a == DeployAction.BOOT ? ok : back));
    f.add(
        new Fault(
            DeployStep.CHECK,
            "host unreachable during the check",
            (h, x) -> h.unreachableFrom(Op.HEALTH),
            always(pending)));
    f.add(
        new Fault(
            DeployStep.CHECK,
            "host reboots during the check",
            (h, x) -> h.rebootDuring(Op.HEALTH),
            always(back)));
    f.add(
        new Fault(
            DeployStep.CONFIRM,
            "checks outlast the rollback window",
            (h, x) ->
                h.onCommand(
                    (host, c) -> {
                      if (c.argv().get(0).equals("slow-check")) {
                        x.clock().advance(WINDOW.plusMinutes(1));
                        return Optional.of(CommandResult.of(0, "ok\n", ""));
                      }
                      return Optional.empty();
                    }),
            always(back)));
    // confirm
    f.add(
        new Fault(
            DeployStep.CONFIRM,
            "host unreachable at confirmation",
            (h, x) -> h.unreachableFrom(Op.CONFIRM),
            always(pending)));
    f.add(
        new Fault(
            DeployStep.CONFIRM,
            "connection drops before confirmation",
            (h, x) -> h.dropConnectionBefore(Op.CONFIRM),
            always(ok)));
    f.add(
        new Fault(
            DeployStep.CONFIRM,
            "connection drops after confirmation",
            (h, x) -> h.dropConnectionAfter(Op.CONFIRM),
            always(ok)));
    return f;
  }

  static Stream<Arguments> scenarios() {
    List<Arguments> all = new ArrayList<>();
    for (Fault f : faults()) {
      for (DeployAction a : List.of(DeployAction.SWITCH, DeployAction.TEST, DeployAction.BOOT)) {
        all.add(Arguments.of(a, f.step, f.name, f));
      }
    }
    return all.stream();
  }

  @Test
  void theMatrixIsBigEnough() {
    assertThat(scenarios().count()).isGreaterThanOrEqualTo(25);
    assertThat(faults().stream().map(f -> f.step).distinct())
        .containsExactlyInAnyOrder(
            DeployStep.PREFLIGHT,
            DeployStep.COPY,
            DeployStep.ARM,
            DeployStep.ACTIVATE,
            DeployStep.CHECK,
            DeployStep.CONFIRM);
  }

  @ParameterizedTest(name = "{0} / {1}: {2}")
  @MethodSource("scenarios")
  void hostEndsConfirmedOrBackOnItsPreviousGeneration(
      DeployAction action, DeployStep step, String name, Fault fault) {
    FakeHost host = fake.host(H);
    String before = fake.initialSystem(H);
    String target = fake.newSystem(H);
    fault.script.accept(host, fake);
    Deployer d =
        Deployer.builder()
            .transport(fake.transport())
            .evaluator(fake.evaluator())
            .clock(fake.clock(), fake.clock()::sleep)
            .build();
    Deployer.Planner p =
        d.plan(fake.fleet())
            .action(action)
            .rollbackWindow(WINDOW)
            .healthCheck(HealthCheck.command("systemctl", "is-system-running"));
    if (name.equals("checks outlast the rollback window")) {
      p.healthCheck(HealthCheck.command("slow-check"));
    }
    DeploymentReport report = d.execute(p.build());
    HostReport r = report.host(H);
    HostOutcome expected = fault.expected.apply(action);

    assertThat(report).hasOutcome(H, expected);
    assertThat(host).receivedOnlyKnownCommands();
    if (expected != HostOutcome.CONFIRMED) {
      assertThat(r.failedStep()).as("failed step").contains(step);
      assertThat(r.error()).as("why").isPresent();
    }
    if (expected == HostOutcome.ROLLBACK_PENDING) {
      assertThat(r.rollbackDueAt()).isPresent();
      assertThat(host).hasRollbackMarker();
      // the deployer cannot reach the host: its watchdog rolls it back when the window ends
      fake.clock().advance(WINDOW.plusMinutes(1));
      host.revive();
      assertThat(host).rolledBackBy("watchdog");
    }

    assertThat(host).hasNoRollbackMarker();
    assertThat(host.isActivating()).isFalse();
    if (expected == HostOutcome.CONFIRMED) {
      assertThat(host).wasNotRolledBack();
      assertThat(host).isOnGeneration(action.setsProfile() ? 2 : 1);
      if (action.runsNewSystem()) {
        assertThat(host).isRunning(target);
      }
      if (action.setsProfile()) {
        assertThat(host).boots(target);
      }
      assertThat(r.generationAfter()).contains(action.setsProfile() ? 2L : 1L);
    } else {
      assertThat(host).isOnGeneration(1).isRunning(before).boots(before);
      if (expected == HostOutcome.FAILED) {
        assertThat(host).wasNotRolledBack();
      } else {
        assertThat(host).rolledBack();
        assertThat(r.outcome().isRolledBack()).isTrue();
      }
    }
  }

  @Test
  void aStaleMarkerStopsTheNextDeploymentUntilTheWatchdogHasRun() {
    FakeHost host = fake.host(H);
    host.unreachableAfter(Op.ARM);
    Deployer d =
        Deployer.builder()
            .transport(fake.transport())
            .evaluator(fake.evaluator())
            .clock(fake.clock(), fake.clock()::sleep)
            .build();
    DeploymentReport first = d.execute(d.plan(fake.fleet()).rollbackWindow(WINDOW).build());
    assertThat(first).hasOutcome(H, HostOutcome.ROLLBACK_PENDING);
    host.revive();
    DeploymentReport second = d.execute(d.plan(fake.fleet()).rollbackWindow(WINDOW).build());
    assertThat(second)
        .hasOutcome(H, HostOutcome.FAILED)
        .failedAt(H, DeployStep.PREFLIGHT)
        .hasErrorContaining(H, "rollback marker");
    fake.clock().advance(WINDOW);
    assertThat(host).rolledBackBy("watchdog").hasNoRollbackMarker().isOnGeneration(1);
    DeploymentReport third = d.execute(d.plan(fake.fleet()).rollbackWindow(WINDOW).build());
    assertThat(third).isSuccessful();
    assertThat(host).isOnGeneration(3).isRunning(fake.newSystem(H)).hasNoRollbackMarker();
  }
}
